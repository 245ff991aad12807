using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ApiPipeline;

/// <summary>Credentials could not be applied; the engine turns this into an <see cref="ExtractionException"/> for the page.</summary>
internal sealed class AuthFailureException(ExtractionErrorKind kind, string detail, HttpStatusCode? status = null, Exception? inner = null)
    : Exception(detail, inner)
{
    public ExtractionErrorKind Kind { get; } = kind;

    public HttpStatusCode? Status { get; } = status;
}

/// <summary>
/// Applies an extractor's <see cref="AuthOptions"/> to each request: reads the named secrets once from the <see cref="ICredentialSource"/>,
/// adds the header (or, for a query API key, the parameter to the request URI only), and for OAuth 2.0 client credentials fetches, caches
/// and refreshes the access token. Every value read or obtained is registered with the <see cref="SecretScrubber"/>.
/// </summary>
internal sealed class Authenticator
{
    private const int MaxTokenResponseBytes = 1024 * 1024;
    private static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromDays(100 * 365);
    private readonly AuthOptions _options;
    private readonly ICredentialSource _source;
    private readonly HttpClient _http;
    private readonly TimeProvider _clock;
    private readonly SecretScrubber _secrets;
    private readonly string _extractor;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private readonly Uri? _tokenUrl;
    private string? _secret;
    private string? _id;
    private AccessToken? _token;
    // Whether the warning that the token endpoint gives tokens no lifetime was logged (once per extractor).
    private int _lifetimeWarned;

    /// <summary>
    /// Token requests finished so far, and the failure of the last one (<see langword="null"/> when it succeeded or was cancelled); both
    /// written under <see cref="_tokenGate"/>. A request that waited for the gate while a token request was in flight takes that one's
    /// failure instead of sending a token request of its own.
    /// </summary>
    private int _fetchesDone;
    private AuthFailureException? _lastFailure;

    /// <summary>
    /// The credential values put on requests (the key, token or password, Basic's encoding, the last access tokens): an API may echo one
    /// into its next link, and <see cref="WithoutCredentials"/> takes it out of there.
    /// </summary>
    private string[] _sent = [];
    private readonly Lock _sentLock = new();

    public Authenticator(AuthOptions options, ICredentialSource source, HttpClient http, TimeProvider clock, SecretScrubber secrets, string extractor, ILogger? logger)
    {
        _extractor = extractor;
        _logger = logger;
        _options = options;
        _source = source;
        _http = http;
        _clock = clock;
        _secrets = secrets;
        _tokenUrl = options.Kind == AuthKind.OAuth2ClientCredentials ? new Uri(options.TokenUrl!, UriKind.Absolute) : null;
    }

    /// <summary>Whether a 401 is worth one more try with a fresh credential (OAuth 2.0 tokens).</summary>
    public bool RefreshesOn401 => _options.Kind == AuthKind.OAuth2ClientCredentials;

    /// <summary>Access tokens fetched so far (for tests and metrics).</summary>
    public int TokensFetched { get; private set; }

    /// <summary>
    /// Adds the credentials to <paramref name="request"/>; returns the access token used, for <see cref="Invalidate"/>, and whether this
    /// call sent a request to the token endpoint (which costs the rate limiter's tokens when the endpoint is on the limited host).
    /// </summary>
    public async ValueTask<(string? Credential, bool TokenRequested)> ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        switch (_options.Kind)
        {
            case AuthKind.ApiKey:
            {
                string key = await SecretAsync(cancellationToken).ConfigureAwait(false);
                Sent(key);
                if (!string.IsNullOrEmpty(_options.QueryParam))
                {
                    request.RequestUri = QueryString.Set(request.RequestUri!, _options.QueryParam, key);
                }
                else
                {
                    request.Headers.TryAddWithoutValidation(_options.Header ?? AuthOptions.DefaultApiKeyHeader, key);
                }

                return (null, false);
            }

            case AuthKind.Bearer:
            {
                string token = await SecretAsync(cancellationToken).ConfigureAwait(false);
                Sent(token);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                return (null, false);
            }

            case AuthKind.Basic:
            {
                // Without Secret the password is empty. A password too short to be a secret ("", Freshdesk's "X") means the user name is the
                // API key (Stripe, Freshdesk), and so the secret; with a real password the user name is an ordinary name, which may well be
                // an input's value or a next link's filter too.
                string password = string.IsNullOrWhiteSpace(_options.Secret) ? "" : await SecretAsync(cancellationToken).ConfigureAwait(false);
                bool keyAsUserName = password.Length < SecretText.MinLength;
                string user = await IdAsync(secret: keyAsUserName, cancellationToken).ConfigureAwait(false);
                string encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
                _secrets.Add(encoded);
                Sent(keyAsUserName ? user : password);
                Sent(encoded);
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", encoded);
                return (null, false);
            }

            case AuthKind.OAuth2ClientCredentials:
            {
                var (token, requested) = await TokenAsync(cancellationToken).ConfigureAwait(false);
                Sent(token);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                return (token, requested);
            }

            default:
                return (null, false);
        }
    }

    /// <summary>
    /// <paramref name="url"/> without the query API key, which <see cref="ApplyAsync"/> adds to every request anyway, nor any parameter
    /// holding a credential sent (an API may echo a bearer or access token as <c>access_token=</c>): a next link would otherwise
    /// become a checkpoint, an error's URL or a dead-letter entry, and the credential goes with each request anyway.
    /// </summary>
    public Uri WithoutCredentials(Uri url)
        => QueryString.RemoveValues(
            _options is { Kind: AuthKind.ApiKey, QueryParam: { Length: > 0 } name } ? QueryString.Remove(url, name) : url,
            Volatile.Read(ref _sent));

    /// <summary>
    /// Notes a credential value put on a request (<see cref="_sent"/>): the last 16, as access tokens come and go. A value shorter than
    /// 8 characters is not noted: it could be a next link's own value (<c>page=2</c> for a password of <c>2</c>).
    /// </summary>
    private void Sent(string value)
    {
        var sent = Volatile.Read(ref _sent);
        if (value.Length >= 8 && Array.IndexOf(sent, value) < 0)
        {
            lock (_sentLock)
            {
                sent = _sent;
                if (Array.IndexOf(sent, value) < 0)
                {
                    Volatile.Write(ref _sent, [value, .. sent.AsSpan(0, Math.Min(sent.Length, 15))]);
                }
            }
        }
    }

    /// <summary>Forgets <paramref name="used"/> if it is still the cached token, so the next request fetches a new one.</summary>
    public void Invalidate(string? used)
    {
        // Again if the cached entry was replaced meanwhile by one of the same token (a failed early refresh moving its next attempt).
        var current = Volatile.Read(ref _token);
        while (used is not null && current?.Value == used)
        {
            var seen = Interlocked.CompareExchange(ref _token, null, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>The access token to send, and whether this call sent a token request to get it.</summary>
    private async ValueTask<(string Token, bool Requested)> TokenAsync(CancellationToken cancellationToken)
    {
        int fetchesSeen = Volatile.Read(ref _fetchesDone);
        if (Fresh(Volatile.Read(ref _token)) is string cached)
        {
            return (cached, false);
        }

        // While the cached token is still valid, a request does not wait for another's early refresh: it goes with the cached one.
        // Validity is read once: the token may expire between two reads of the clock, and the gate cannot be taken twice.
        var cachedNow = Volatile.Read(ref _token);
        if (Valid(cachedNow))
        {
            if (!_tokenGate.Wait(0))
            {
                return (cachedNow!.Value, false);
            }
        }
        else
        {
            await _tokenGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var current = Volatile.Read(ref _token);
            if (Fresh(current) is string fetchedMeanwhile)
            {
                return (fetchedMeanwhile, false);
            }

            if (_fetchesDone != fetchesSeen && _lastFailure is { } failed)
            {
                // The token request in flight while this one waited failed: that is this request's outcome too, rather than one more
                // token request to an endpoint that just failed. The next request after this tries again.
                throw new AuthFailureException(failed.Kind, failed.Message, failed.Status, failed.InnerException);
            }

            // An early refresh (the cached token is still valid) gets at most EarlyRefreshWait, so that a slow or hanging token
            // endpoint does not use up the page's attempt; a refresh once the token has expired gets as long as the page allows.
            bool early = Valid(current);
            using var wait = early ? new CancellationTokenSource(EarlyRefreshWait, _clock) : null;
            using var cap = early ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, wait!.Token) : null;
            try
            {
                var token = await FetchTokenAsync(cap?.Token ?? cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _token, token);
                return (token.Value, true);
            }
            catch (Exception ex) when (ex is AuthFailureException or OperationCanceledException && early && !cancellationToken.IsCancellationRequested && Valid(current) && Volatile.Read(ref _token) == current)
            {
                // The early refresh failed or took too long, but the cached token has not expired: it still serves, and the refresh is
                // tried again EarlyRefreshWait later (not by every page meanwhile). A token invalidated after a 401 (also one invalidated
                // during this refresh) is no longer cached, so it never comes back this way.
                var later = _clock.GetUtcNow() + EarlyRefreshWait;
                Interlocked.CompareExchange(ref _token, current! with { RefreshAt = later < current!.ExpiresAt ? later : current.ExpiresAt }, current);
                if (_logger is not null)
                {
                    Log.TokenRefreshFailed(_logger, _extractor, ex is AuthFailureException ? ex.Message : $"the token request took longer than {Duration.Format(EarlyRefreshWait)}", current!.ExpiresAt!.Value);
                }

                return (current!.Value, true);
            }
            catch (OperationCanceledException) when (early && !cancellationToken.IsCancellationRequested)
            {
                // The cap cut the early refresh off, and the cached token has expired or been invalidated meanwhile: nothing valid is
                // left to go with, so the token is fetched with the page's own budget.
                var token = await FetchTokenAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _token, token);
                return (token.Value, true);
            }
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    /// <summary>
    /// The longest an early refresh may take before the page goes with the cached token, which has not expired; also how long after a
    /// failed one the next is tried.
    /// </summary>
    private static readonly TimeSpan EarlyRefreshWait = TimeSpan.FromSeconds(5);

    /// <summary>Whether <paramref name="token"/> is cached and has an expiry that has not come yet (it may be due for an early refresh).</summary>
    private bool Valid(AccessToken? token) => token is { ExpiresAt: DateTimeOffset expiresAt } && _clock.GetUtcNow() < expiresAt;

    private string? Fresh(AccessToken? token)
        => token is not null && (token.RefreshAt is not DateTimeOffset refresh || _clock.GetUtcNow() < refresh) ? token.Value : null;

    /// <summary>Sends a token request (under <see cref="_tokenGate"/>) and notes its outcome for the requests waiting meanwhile.</summary>
    private async Task<AccessToken> FetchTokenAsync(CancellationToken cancellationToken)
    {
        AuthFailureException? failure = null;
        try
        {
            return await RequestTokenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AuthFailureException ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            _lastFailure = failure;
            Volatile.Write(ref _fetchesDone, _fetchesDone + 1);
        }
    }

    private async Task<AccessToken> RequestTokenAsync(CancellationToken cancellationToken)
    {
        string clientSecret = await SecretAsync(cancellationToken).ConfigureAwait(false);
        string clientId = await IdAsync(secret: false, cancellationToken).ConfigureAwait(false);
        bool basic = _options.ClientAuthentication == OAuthClientAuthentication.Basic;
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (!basic)
        {
            form.Add(new("client_id", clientId));
            form.Add(new("client_secret", clientSecret));
        }

        if (!string.IsNullOrEmpty(_options.Scope))
        {
            form.Add(new("scope", _options.Scope));
        }

        if (!string.IsNullOrEmpty(_options.Audience))
        {
            form.Add(new("audience", _options.Audience));
        }

        string shownUrl = UrlRedactor.Redact(_tokenUrl!);
        using var request = new HttpRequestMessage(HttpMethod.Post, _tokenUrl) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Accept.ParseAdd("application/json");
        if (basic)
        {
            // client_secret_basic (RFC 6749 §2.3.1): id and secret each form-urlencoded, then base64(id:secret).
            string encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(WebUtility.UrlEncode(clientId) + ":" + WebUtility.UrlEncode(clientSecret)));
            _secrets.Add(encoded);
            _secrets.Add(WebUtility.UrlEncode(clientSecret)); // an endpoint may echo the client it decoded no further than that
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", encoded);
        }

        HttpResponseMessage response;
        byte[] body;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AuthFailureException(ExtractionErrorKind.Timeout, $"the token request to {shownUrl} timed out", null, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new AuthFailureException(ExtractionErrorKind.Transport, $"the token request to {shownUrl} failed: {_secrets.Scrub(ex.Message)}", null, ex);
        }

        using (response)
        {
            if (Redirects.Is(response.StatusCode))
            {
                // The token request carries the client's credentials: it is not sent on to another address (the extractor's client
                // follows no redirect itself), and asking again gives the same answer. The target is shown without its query, which
                // may carry what no name tells apart (a login page's return URL holding the token URL's key).
                string to = response.Headers.Location is { } location
                    ? $" to '{_secrets.Scrub(UrlRedactor.Redact(new Uri((location.IsAbsoluteUri ? location : new Uri(_tokenUrl!, location)).GetLeftPart(UriPartial.Path))))}' (query not shown)"
                    : "";
                throw new AuthFailureException(
                    ExtractionErrorKind.Authentication,
                    $"the token endpoint {shownUrl} redirected ({(int)response.StatusCode}){to}; a token request carries the client's credentials and is not sent on to another address: set the token URL (TokenUrl) to the final address",
                    response.StatusCode);
            }

            try
            {
                // Bounded whether or not the length is declared (a chunked body is read only up to the limit).
                using var buffer = new ResponseBuffer();
                await buffer.ReadAsync(response.Content, MaxTokenResponseBytes, cancellationToken).ConfigureAwait(false);
                body = buffer.Span.ToArray();
            }
            catch (ResponseBuffer.BodyTooLargeException)
            {
                throw new AuthFailureException(ExtractionErrorKind.Authentication, $"the token endpoint {shownUrl} answered with a body of more than {MaxTokenResponseBytes:N0} bytes; a token response is a small JSON object", response.StatusCode);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new AuthFailureException(ExtractionErrorKind.Transport, $"the token endpoint {shownUrl} answer was cut off: {_secrets.Scrub(ex.Message)}", response.StatusCode, ex);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new AuthFailureException(ExtractionErrorKind.Timeout, $"the token request to {shownUrl} timed out", response.StatusCode, ex);
            }

            if (!response.IsSuccessStatusCode)
            {
                int code = (int)response.StatusCode;
                var kind = code >= 500 || code == 408 || code == 429 ? ExtractionErrorKind.HttpStatus : ExtractionErrorKind.Authentication;
                string detail = ErrorOf(body) is string error ? $" ({error})" : $". Body starts: {HttpText.Snippet(body, 300, _secrets)}";
                throw new AuthFailureException(kind, $"the token endpoint {shownUrl} answered {code} {response.ReasonPhrase}{detail}", response.StatusCode);
            }

            var token = ParseToken(body, shownUrl);
            TokensFetched++;
            _secrets.Add(token.Value);
            return token;
        }
    }

    private AccessToken ParseToken(byte[] body, string shownUrl)
    {
        TokenAnswer answer;
        try
        {
            answer = ReadAnswer(body);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new AuthFailureException(ExtractionErrorKind.Authentication, $"the token endpoint {shownUrl} answered with a body that is not JSON ({ex.Message})", HttpStatusCode.OK, ex);
        }

        if (answer.AccessToken is not { Length: > 0 } value)
        {
            // Some servers (GitHub among them) answer a refused request with 200 and an error body.
            string error = ErrorOf(answer) is string shown ? $" ({shown})" : "";
            throw new AuthFailureException(ExtractionErrorKind.Authentication, $"the token endpoint {shownUrl} answered without an access_token{error}", HttpStatusCode.OK);
        }

        // RFC 6750 is the only token type supported; many servers leave token_type out, and then the token is taken for a bearer one.
        if (answer.TokenType is { } type && !string.Equals(type, "Bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw new AuthFailureException(
                ExtractionErrorKind.Authentication,
                $"the token endpoint {shownUrl} answered with token_type '{HttpText.Raw(Encoding.UTF8.GetBytes(type), 100, _secrets)}'; only Bearer tokens are supported (RFC 6750): ask the provider for a Bearer token for this client",
                HttpStatusCode.OK);
        }

        if (answer.InvalidExpiresIn is { } invalid)
        {
            throw new AuthFailureException(
                ExtractionErrorKind.Authentication,
                $"the token endpoint {shownUrl} answered with an expires_in that is not a number of seconds ({HttpText.Raw(Encoding.UTF8.GetBytes(invalid), 100, _secrets)}), so how long the token lives is not known",
                HttpStatusCode.OK);
        }

        // Without expires_in the token is kept until the API answers 401. One with an expires_in of 0 or less has expired already: it
        // serves the request it was fetched for, and the next one fetches another.
        if (answer.ExpiresIn is not double s)
        {
            return new AccessToken(value, null, null);
        }

        if (s <= 0)
        {
            if (_logger is not null && Interlocked.Exchange(ref _lifetimeWarned, 1) == 0)
            {
                Log.TokenLifetimeNotPositive(_logger, _extractor);
            }

            var now = _clock.GetUtcNow();
            return new AccessToken(value, now, now);
        }

        // Fetched again RefreshBefore before it expires, but never later than halfway through its life: a token that lives no longer
        // than RefreshBefore would otherwise be fetched again for every request. RFC 6749 puts no bound on expires_in, and some servers
        // send huge values for "never expires": a lifetime is capped at MaxTokenLifetime so that the expiry stays a representable date.
        var lifetime = TimeSpan.FromSeconds(Math.Min(s, MaxTokenLifetime.TotalSeconds));
        var expiresAt = _clock.GetUtcNow() + lifetime;
        return new AccessToken(value, expiresAt - (_options.RefreshBefore < lifetime / 2 ? _options.RefreshBefore : lifetime / 2), expiresAt);
    }

    /// <summary>
    /// The members of a token endpoint's JSON object that the authenticator reads; throws <see cref="JsonException"/> on a body that
    /// is not JSON, <see cref="InvalidOperationException"/> on a string member read that is not valid UTF-8.
    /// </summary>
    private static TokenAnswer ReadAnswer(byte[] body)
    {
        string? accessToken = null, tokenType = null, invalidExpiry = null, error = null, description = null;
        double? expiresIn = null;
        // A leading UTF-8 byte order mark is skipped, as for pages.
        var reader = new Utf8JsonReader(body.AsSpan(body.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0));
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isToken = reader.ValueTextEquals("access_token"u8);
                bool isExpiry = reader.ValueTextEquals("expires_in"u8);
                bool isType = reader.ValueTextEquals("token_type"u8);
                bool isError = reader.ValueTextEquals("error"u8);
                bool isDescription = reader.ValueTextEquals("error_description"u8);
                reader.Read();
                if (isToken && reader.TokenType == JsonTokenType.String)
                {
                    accessToken = reader.GetString();
                }
                else if (isType && reader.TokenType == JsonTokenType.String)
                {
                    tokenType = reader.GetString();
                }
                else if (isError && reader.TokenType == JsonTokenType.String)
                {
                    error = reader.GetString();
                }
                else if (isDescription && reader.TokenType == JsonTokenType.String)
                {
                    description = reader.GetString();
                }
                else if (isExpiry && reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double seconds))
                {
                    expiresIn = seconds;
                }
                else if (isExpiry && reader.TokenType == JsonTokenType.String && double.TryParse(reader.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double text) && !double.IsNaN(text))
                {
                    expiresIn = text;
                }
                else if (isExpiry && reader.TokenType is not (JsonTokenType.Null or JsonTokenType.Number))
                {
                    // A lifetime that is no number is not taken for "no expiry": the error shows it. (null is no expires_in; a number
                    // beyond a double's range is skipped, as before.)
                    invalidExpiry = reader.TokenType switch
                    {
                        JsonTokenType.String => $"\"{reader.GetString()}\"",
                        JsonTokenType.True => "true",
                        JsonTokenType.False => "false",
                        JsonTokenType.StartObject => "an object",
                        _ => "an array",
                    };
                    reader.Skip();
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        return new TokenAnswer(accessToken, tokenType, expiresIn, invalidExpiry, error, description);
    }

    /// <summary>The OAuth 2.0 error of a token endpoint's answer (RFC 6749 §5.2), as <c>error: code: description</c>, or <see langword="null"/>.</summary>
    private string? ErrorOf(byte[] body)
    {
        try
        {
            return ErrorOf(ReadAnswer(body));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON (or not UTF-8): the caller shows the start of the body instead.
            return null;
        }
    }

    /// <summary>The OAuth 2.0 error of a parsed token endpoint answer, as <c>error: code: description</c> (at most 300 characters, secrets removed), or <see langword="null"/>.</summary>
    private string? ErrorOf(TokenAnswer answer)
    {
        if (string.IsNullOrEmpty(answer.Error))
        {
            return null;
        }

        string text = string.IsNullOrEmpty(answer.ErrorDescription) ? answer.Error : answer.Error + ": " + answer.ErrorDescription;
        return "error: " + HttpText.Raw(Encoding.UTF8.GetBytes(text), 300, _secrets)!.ReplaceLineEndings(" ");
    }

    private async ValueTask<string> SecretAsync(CancellationToken cancellationToken)
        => _secret ??= await ReadAsync(_options.Secret!, secret: true, cancellationToken).ConfigureAwait(false);

    /// <summary>The user name or client id; <paramref name="secret"/>: it is an API key (Basic with no real password), kept out of text.</summary>
    private async ValueTask<string> IdAsync(bool secret, CancellationToken cancellationToken)
        => _id ??= await ReadAsync(_options.Id!, secret, cancellationToken).ConfigureAwait(false);

    private async ValueTask<string> ReadAsync(string name, bool secret, CancellationToken cancellationToken)
    {
        string? value;
        try
        {
            // Surrounding whitespace is no part of a credential: a value read from a file often ends with a newline.
            value = (await _source.GetAsync(name, cancellationToken).ConfigureAwait(false))?.Trim();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A lookup that fails (a vault, a configuration provider) is no failure of the page's request: sending it again would not help.
            // Its exception is not kept as the inner one: only its scrubbed message and type leave here, as its text may hold a secret.
            throw new AuthFailureException(
                ExtractionErrorKind.Authentication,
                $"reading the {(secret ? "secret" : "credential")} '{name}' from the credential source failed: {ex.GetType().Name}: {_secrets.Scrub(ex.Message)}");
        }

        if (string.IsNullOrEmpty(value))
        {
            throw new AuthFailureException(
                ExtractionErrorKind.Authentication,
                $"the {(secret ? "secret" : "credential")} '{name}' is not set; set the environment variable {name} or supply it through ExtractorOptions.Credentials");
        }

        if (secret)
        {
            _secrets.Add(value);
        }

        return value;
    }

    /// <summary>A cached access token: fetched again from <paramref name="RefreshAt"/>, usable until <paramref name="ExpiresAt"/> (both <see langword="null"/> without <c>expires_in</c>).</summary>
    private sealed record AccessToken(string Value, DateTimeOffset? RefreshAt, DateTimeOffset? ExpiresAt);

    private sealed record TokenAnswer(string? AccessToken, string? TokenType, double? ExpiresIn, string? InvalidExpiresIn, string? Error, string? ErrorDescription);
}
