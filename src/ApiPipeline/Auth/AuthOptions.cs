namespace ApiPipeline;

/// <summary>How requests are authenticated.</summary>
public enum AuthKind
{
    /// <summary>No credentials.</summary>
    None = 0,

    /// <summary>
    /// An API key, sent in the <see cref="AuthOptions.Header"/> header (default <c>X-API-Key</c>), or as the <see cref="AuthOptions.QueryParam"/>
    /// query parameter when that is set. A query key is added at send time only: it never appears in page URLs, checkpoints, errors or files.
    /// </summary>
    ApiKey = 1,

    /// <summary>A bearer token: <c>Authorization: Bearer &lt;secret&gt;</c>.</summary>
    Bearer = 2,

    /// <summary>
    /// HTTP Basic: <c>Authorization: Basic base64(&lt;id&gt;:&lt;secret&gt;)</c>, with the user name from <see cref="AuthOptions.Id"/>; without
    /// <see cref="AuthOptions.Secret"/> the password is empty.
    /// </summary>
    Basic = 3,

    /// <summary>
    /// OAuth 2.0 client credentials (RFC 6749 §4.4): an access token is fetched with a <c>POST</c> to <see cref="AuthOptions.TokenUrl"/>
    /// (<c>grant_type=client_credentials</c>, the client id from <see cref="AuthOptions.Id"/> and secret from <see cref="AuthOptions.Secret"/>
    /// as <see cref="AuthOptions.ClientAuthentication"/> says, optional <see cref="AuthOptions.Scope"/> and <see cref="AuthOptions.Audience"/>),
    /// cached, fetched again <see cref="AuthOptions.RefreshBefore"/> before it expires, and once more when the API answers 401. Only
    /// <c>Bearer</c> tokens are supported; a token whose <c>expires_in</c> is 0 or less serves only the request it was fetched for.
    /// </summary>
    OAuth2ClientCredentials = 4,
}

/// <summary>How an OAuth 2.0 client authenticates itself to the token endpoint (RFC 6749 §2.3.1).</summary>
public enum OAuthClientAuthentication
{
    /// <summary><c>client_secret_post</c>: <c>client_id</c> and <c>client_secret</c> in the form body. The default.</summary>
    Post = 0,

    /// <summary>
    /// <c>client_secret_basic</c>: <c>Authorization: Basic base64(&lt;id&gt;:&lt;secret&gt;)</c>, id and secret each form-urlencoded first;
    /// neither goes in the form body.
    /// </summary>
    Basic = 1,
}

/// <summary>
/// Authentication of an extractor. <see cref="Secret"/> and <see cref="Id"/> are <em>names</em> of secrets (environment variables by default,
/// see <see cref="ExtractorOptions.Credentials"/>), never the values: values are read at run time and never appear in logs, errors,
/// dead-letter files or output.
/// </summary>
public sealed record AuthOptions
{
    /// <summary>Default <c>X-API-Key</c>.</summary>
    public const string DefaultApiKeyHeader = "X-API-Key";

    /// <summary>The kind of authentication. Default <see cref="AuthKind.None"/>.</summary>
    public AuthKind Kind { get; init; }

    /// <summary>
    /// The name of the secret: the API key, the bearer token, the Basic password or the OAuth 2.0 client secret, e.g. <c>GITHUB_TOKEN</c>.
    /// For <see cref="AuthKind.Basic"/> it may be left out: the password is then empty (an API key as the user name, as Stripe has it).
    /// </summary>
    public string? Secret { get; init; }

    /// <summary>
    /// For <see cref="AuthKind.Basic"/> and <see cref="AuthKind.OAuth2ClientCredentials"/>: the name of the user name or client id. A Basic
    /// user name without a <see cref="Secret"/>, or with a password of under 4 characters (Freshdesk's <c>X</c>), is the API key, and is kept
    /// out of text like a secret.
    /// </summary>
    public string? Id { get; init; }

    /// <summary>For <see cref="AuthKind.ApiKey"/>: the header carrying the key. Default <c>X-API-Key</c>.</summary>
    public string? Header { get; init; }

    /// <summary>For <see cref="AuthKind.ApiKey"/>: send the key as this query parameter instead of a header.</summary>
    public string? QueryParam { get; init; }

    /// <summary>For <see cref="AuthKind.OAuth2ClientCredentials"/>: the token endpoint (absolute http(s) URL).</summary>
    public string? TokenUrl { get; init; }

    /// <summary>For <see cref="AuthKind.OAuth2ClientCredentials"/>: the scopes requested, space-separated; not sent when <see langword="null"/>.</summary>
    public string? Scope { get; init; }

    /// <summary>
    /// For <see cref="AuthKind.OAuth2ClientCredentials"/>: the <c>audience</c> sent with the token request (Auth0 and others name the API
    /// the token is for this way); not sent when <see langword="null"/>.
    /// </summary>
    public string? Audience { get; init; }

    /// <summary>
    /// For <see cref="AuthKind.OAuth2ClientCredentials"/>: how the client id and secret go to the token endpoint. Default
    /// <see cref="OAuthClientAuthentication.Post"/> (in the form body).
    /// </summary>
    public OAuthClientAuthentication ClientAuthentication { get; init; }

    /// <summary>
    /// For <see cref="AuthKind.OAuth2ClientCredentials"/>: how long before its expiry a token is replaced. Default 60 seconds. If that
    /// early refresh fails or takes longer than 5 seconds, the token keeps serving until it expires, and the refresh is tried again
    /// 5 seconds later.
    /// </summary>
    public TimeSpan RefreshBefore { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Throws <see cref="ArgumentException"/> when a setting the kind needs is missing.</summary>
    /// <param name="extractorName">The extractor the options belong to, named in the message.</param>
    public void Validate(string extractorName)
    {
        string? problem = Kind switch
        {
            AuthKind.None => null,
            AuthKind.ApiKey or AuthKind.Bearer when string.IsNullOrWhiteSpace(Secret) => $"AuthKind.{Kind} needs Secret, the name of the variable holding the secret, e.g. Secret = \"API_TOKEN\"",
            AuthKind.Basic when string.IsNullOrWhiteSpace(Id)
                => "AuthKind.Basic needs Id, the name of the variable holding the user name (and Secret, the password's, unless the password is empty)",
            AuthKind.OAuth2ClientCredentials when string.IsNullOrWhiteSpace(Secret) || string.IsNullOrWhiteSpace(Id)
                => "AuthKind.OAuth2ClientCredentials needs Id and Secret, the names of the variables holding the client id and client secret",
            AuthKind.OAuth2ClientCredentials when !Uri.TryCreate(TokenUrl, UriKind.Absolute, out var token) || (token.Scheme != Uri.UriSchemeHttp && token.Scheme != Uri.UriSchemeHttps)
                => "AuthKind.OAuth2ClientCredentials needs TokenUrl, the absolute http(s) URL of the token endpoint",
            AuthKind.OAuth2ClientCredentials when !Enum.IsDefined(ClientAuthentication)
                => $"ClientAuthentication {(int)ClientAuthentication} is not an OAuthClientAuthentication value",
            AuthKind.ApiKey or AuthKind.Bearer or AuthKind.Basic or AuthKind.OAuth2ClientCredentials => null,
            _ => $"AuthKind {(int)Kind} is not an AuthKind value",
        };
        if (problem is null && RefreshBefore < TimeSpan.Zero)
        {
            problem = "RefreshBefore must not be negative";
        }

        if (problem is null && Kind == AuthKind.ApiKey && string.IsNullOrEmpty(QueryParam) && Header is { } header && !IsHeaderName(header))
        {
            problem = $"Header '{header}' is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces or ':'); the key would be sent without it";
        }

        if (problem is not null)
        {
            throw new ArgumentException($"Extractor '{extractorName}': {problem}.");
        }
    }

    /// <summary>Whether <paramref name="name"/> is an HTTP field name: one or more token characters (RFC 9110, 5.1).</summary>
    private static bool IsHeaderName(string name)
        => name.Length > 0 && name.All(static c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));
}

/// <summary>Looks secrets up by name at run time (environment variables, configuration, a vault).</summary>
public interface ICredentialSource
{
    /// <summary>Returns the value of the secret called <paramref name="name"/>, or <see langword="null"/> when there is none.</summary>
    /// <param name="name">The name, as given in <see cref="AuthOptions"/>.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    ValueTask<string?> GetAsync(string name, CancellationToken cancellationToken);
}

/// <summary>Reads secrets from environment variables: the default <see cref="ICredentialSource"/>.</summary>
public sealed class EnvironmentCredentialSource : ICredentialSource
{
    private EnvironmentCredentialSource()
    {
    }

    /// <summary>The one instance.</summary>
    public static EnvironmentCredentialSource Instance { get; } = new();

    /// <inheritdoc/>
    public ValueTask<string?> GetAsync(string name, CancellationToken cancellationToken)
        => ValueTask.FromResult(Environment.GetEnvironmentVariable(name));
}

/// <summary>Makes an <see cref="ICredentialSource"/> from a lookup.</summary>
public static class CredentialSource
{
    /// <summary>A source that asks <paramref name="lookup"/>, e.g. <c>CredentialSource.Create(name =&gt; configuration[name])</c>.</summary>
    /// <param name="lookup">Returns the value for a name, or <see langword="null"/>.</param>
    public static ICredentialSource Create(Func<string, string?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        return new FuncSource(lookup);
    }

    private sealed class FuncSource(Func<string, string?> lookup) : ICredentialSource
    {
        public ValueTask<string?> GetAsync(string name, CancellationToken cancellationToken) => ValueTask.FromResult(lookup(name));
    }
}
