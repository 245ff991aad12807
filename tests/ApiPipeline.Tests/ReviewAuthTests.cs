using System.Net;
using System.Text;
using ApiPipeline.Tests.Resilience;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>Review of authentication: each test fails because of a product bug (see the comment on each).</summary>
public sealed class ReviewAuthTests
{
    private const string ClientId = "client-42";
    private const string ClientSecret = "cl13nt-s3cr3t-5566";

    private static readonly ICredentialSource Secrets = CredentialSource.Create(name => name switch
    {
        "APIPIPELINE_TEST_CLIENT_ID" => ClientId,
        "APIPIPELINE_TEST_CLIENT_SECRET" => ClientSecret,
        _ => null,
    });

    private static ExtractorOptions OAuthOptions(FaultServer server) => server.Options with
    {
        Credentials = Secrets,
        Auth = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token" },
    };

    [Fact]
    public async Task ReviewAuth_a_token_answer_with_a_utf8_bom_is_read_like_a_page_with_one()
    {
        // Pages may start with a UTF-8 byte order mark (PageParser skips it); a token endpoint that sends one (some .NET Framework /
        // Java servers do) must work too. docs/resilience.md: "bodies without access_token ... are Authentication errors" — this body
        // HAS an access_token, yet Authenticator.ReadAnswer feeds the raw bytes to Utf8JsonReader, which rejects the BOM:
        // "the token endpoint ... answered with a body that is not JSON ('0xEF' is an invalid start of a value ...)".
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync(async (ctx, i) =>
        {
            if (ctx.Request.Path == "/token")
            {
                byte[] json = Encoding.UTF8.GetBytes("""{"access_token":"token-1","token_type":"Bearer","expires_in":3600}""");
                ctx.Response.ContentType = "application/json; charset=utf-8";
                ctx.Response.ContentLength = json.Length + 3;
                await ctx.Response.Body.WriteAsync(new byte[] { 0xEF, 0xBB, 0xBF });
                await ctx.Response.Body.WriteAsync(json);
                return;
            }

            await api(ctx, i);
        });

        var pages = await new OAuthRows(OAuthOptions(server) with { Resilience = ResilienceOptions.None }).PagesAsync(new Shard("a")).Within(5);

        Assert.Equal([1, 2], pages.Ids());
        Assert.All(server.Requests.Where(r => r.Path != "/token"), r => Assert.Equal("Bearer token-1", r.H("Authorization")));
    }

    [Fact]
    public async Task ReviewAuth_an_early_refresh_that_times_out_does_not_fail_the_page_while_the_token_is_valid()
    {
        // docs/resilience.md (OAuth 2.0): "An early refresh that fails does not fail the page while the cached token has not expired:
        // the token keeps serving" (AuthOptions.RefreshBefore's XML doc says the same), and token-endpoint "timeouts" are failures like
        // 5xx. Here token-1 is valid for 600 s; at 541 s (inside RefreshBefore = 60 s) the token endpoint hangs. The page's
        // per-attempt timeout (10 s) cancels the refresh, and the page fails as Timeout although token-1 is good for 59 more seconds:
        // Authenticator.TokenAsync awaits the refresh on the page's own token and only falls back on AuthFailureException, never on
        // the cancellation of the attempt's timeout. Every page fetched during a slow refresh also queues on the token gate.
        var clock = new TestClock();
        int tokenCalls = 0;
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync(async (ctx, i) =>
        {
            if (ctx.Request.Path == "/token")
            {
                if (Interlocked.Increment(ref tokenCalls) == 1)
                {
                    await Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":600}""");
                    return;
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, ctx.RequestAborted); // the token endpoint hangs
                }
                catch (OperationCanceledException)
                {
                }

                return;
            }

            await api(ctx, i);
        });
        var options = OAuthOptions(server) with
        {
            TimeProvider = clock,
            Resilience = new ResilienceOptions { Timeout = new() { PerAttempt = TimeSpan.FromSeconds(10) } },
        };
        var extractor = new OAuthRows(options);

        await extractor.PagesAsync(new Shard("a")).Within(5);
        clock.Advance(TimeSpan.FromSeconds(541));
        var second = Task.Run(async () =>
        {
            try
            {
                return (Pages: await extractor.PagesAsync(new Shard("a")), Error: (ExtractionException?)null);
            }
            catch (ExtractionException ex)
            {
                return (Pages: new List<Page<Row>>(), Error: ex);
            }
        });
        await Wait.UntilAsync(() => Volatile.Read(ref tokenCalls) >= 2 || second.IsCompleted, "the early refresh", 5);
        await Task.Delay(50);
        clock.Advance(TimeSpan.FromSeconds(10)); // the per-attempt timeout; token-1 still has 49 s to live
        var (pages, error) = await second.Within(5);

        Assert.True(error is null, $"{error?.Kind}: {error?.Message}");
        Assert.Equal([1, 2], pages.Ids());
    }

    [Fact]
    public async Task ReviewAuth_a_bearer_secret_with_a_trailing_newline_is_not_a_raw_FormatException()
    {
        // Secrets read from files (Docker/Kubernetes secrets, .env files) often end with a newline. The same value works for
        // AuthKind.ApiKey (the header value is trimmed by TryAddWithoutValidation), but for AuthKind.Bearer Authenticator.ApplyAsync
        // builds `new AuthenticationHeaderValue("Bearer", token)` and the run dies with a bare System.FormatException ("New-line or
        // NUL characters are not allowed in header values"): no extractor, page or secret name, not an ExtractionException, so
        // OnError modes and the pipeline's Authentication handling do not apply. docs/resilience.md: unusable credentials are
        // "Authentication (missing or refused credentials)"; expected: the value is used trimmed (as for ApiKey), or the page fails
        // as ExtractionException with Kind Authentication naming the variable.
        const string Token = "b34r3r-0f9e8d7c6b5a";
        await using var server = await FaultServer.StartAsync(Faults.PageApi(2));
        var options = server.Options with { Credentials = CredentialSource.Create(_ => Token + "\n"), Resilience = ResilienceOptions.None };

        Exception? error = null;
        try
        {
            await new BearerRows(options).PagesAsync(new Shard("a")).Within(5);
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            error = ex;
        }

        Assert.True(error is null or ExtractionException { Kind: ExtractionErrorKind.Authentication }, error?.GetType() + ": " + error?.Message);
    }

    [Fact]
    public async Task ReviewAuth_an_api_key_header_name_that_is_not_a_valid_header_is_refused_not_silently_dropped()
    {
        // docs/resilience.md ("Overriding at run time"): "Settings are validated when the extractor is created (ArgumentException
        // naming the setting)". AuthOptions.Validate does not check Header, and Authenticator.ApplyAsync adds the key with
        // request.Headers.TryAddWithoutValidation, ignoring its false result: with a header name HTTP does not allow (here a typo
        // with a colon, "X-API-Key:"), every request goes out WITHOUT the key and the user only sees the API's 401.
        const string Key = "k3y-7a1b2c3d4e5f";
        await using var server = await FaultServer.StartAsync(Faults.PageApi(2));
        var options = server.Options with
        {
            Credentials = CredentialSource.Create(_ => Key),
            Auth = ApiKeyHeaderRows.Definition.Auth! with { Header = "X-API-Key:" },
            Resilience = ResilienceOptions.None,
        };

        Exception? created = Record.Exception(() => new ApiKeyHeaderRows(options));
        if (created is null)
        {
            // Not refused when created: then the page must not go out silently without the key either.
            Exception? run = await Record.ExceptionAsync(() => new ApiKeyHeaderRows(options).PagesAsync(new Shard("a")).Within(5));
            Assert.True(run is not null, "the page was sent without the API key and no error said why; headers sent: " + string.Join(" | ", server.Requests.Select(r => string.Join(",", r.Headers.Keys))));
        }
        else
        {
            Assert.IsType<ArgumentException>(created);
        }
    }

    [Fact]
    public async Task ReviewAuth_a_secret_json_escaped_with_lowercase_hex_is_scrubbed_from_the_body_snippet()
    {
        // docs/resilience.md: every secret "and their URL-escaped and JSON-escaped forms" is scrubbed from error details, body
        // snippets and dead-letter entries, "also when the API echoes it back". Go's encoding/json (and Python's json with
        // ensure_ascii) escape with lowercase hex: '<' and '>' become \u003c and \u003e. SecretScrubber.Add registers only
        // System.Text.Json's spelling (\u003C, uppercase), so a token with '<' or '>' echoed by a Go API stays readable in
        // ExtractionException.Message and BodySnippet (URL escapes are matched in either case, JSON escapes are not).
        const string Token = "tok<3n>-0f9e8d7c6b5a";
        string goEscaped = Token.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal);
        await using var server = await FaultServer.StartAsync(Faults.PageApi(3, (ctx, _, _) => Faults.Status(ctx, 400, $$"""{"error":"token {{goEscaped}} is not valid here"}""")));
        var options = server.Options with { Credentials = CredentialSource.Create(_ => Token), Resilience = ResilienceOptions.None };

        var (_, error) = await new BearerRows(options).PagesUntilErrorAsync(new Shard("a")).Within(5);

        Assert.Contains("is not valid here", error.Message, StringComparison.Ordinal);
        foreach (var text in new[] { error.Message, error.Detail, error.BodySnippet ?? "" })
        {
            Assert.DoesNotContain("0f9e8d7c6b5a", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ReviewAuth_a_one_character_basic_password_does_not_garble_every_error_message()
    {
        // APIs such as Chargify/Maxio use Basic with the API key as user name and the password "x". The password is registered with
        // the SecretScrubber whatever its length (Authenticator.ReadAsync -> _secrets.Add), so every "x" of every error message,
        // body snippet and dead-letter entry becomes "***": "expected 2xx" reads "e***pected 2******". The docs keep short values of
        // configured headers out of scrubbing for exactly this reason (docs/resilience.md: "of 4 characters or more, as shorter ones
        // would mangle ordinary text"), and next links use 8 characters (Authenticator.Sent). Expected: the message stays readable.
        await using var server = await FaultServer.StartAsync(Faults.PageApi(3, (ctx, _, _) => Faults.Status(ctx, 400, """{"error":"bad request"}""")));
        var options = server.Options with
        {
            Credentials = CredentialSource.Create(name => name == "APIPIPELINE_TEST_USER" ? "k3y-7a1b2c3d4e5f" : "x"),
            Resilience = ResilienceOptions.None,
        };

        var (_, error) = await new BasicRows(options).PagesUntilErrorAsync(new Shard("a")).Within(5);

        Assert.True(error.Message.Contains("expected 2xx", StringComparison.Ordinal), error.Message);
    }
}
