using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests.Resilience;

/// <summary>What real credential values and token answers look like: byte order marks, trailing newlines, bad header names, other JSON escapes, short passwords, a hanging refresh.</summary>
public sealed class CredentialValueTests
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

    /// <summary>Pages of 2, and a token endpoint that answers token-1 (valid <paramref name="expiresIn"/> s) once, then hangs.</summary>
    private static Task<FaultServer> FirstTokenThenHangingAsync(int expiresIn, System.Runtime.CompilerServices.StrongBox<int> tokenCalls)
    {
        var api = Faults.PageApi(2);
        return FaultServer.StartAsync(async (ctx, i) =>
        {
            if (ctx.Request.Path != "/token")
            {
                await api(ctx, i);
            }
            else if (Interlocked.Increment(ref tokenCalls.Value) == 1)
            {
                await Faults.Json(ctx, $$"""{"access_token":"token-1","token_type":"Bearer","expires_in":{{expiresIn}}}""");
            }
            else
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default); // hangs until the client gives up
            }
        });
    }

    /// <summary>
    /// A token endpoint whose JSON answer starts with a UTF-8 byte order mark (some servers send one) works, as a page with one does.
    /// </summary>
    [Fact]
    public async Task A_token_answer_starting_with_a_byte_order_mark_is_read_like_a_page_with_one()
    {
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

    /// <summary>
    /// Token-1 is valid for 600 s; at 541 s (inside RefreshBefore) the token endpoint hangs. The early refresh gets at most 5 s (on the
    /// extractor's clock): then the page goes with token-1, which has 54 s left, well inside its 10 s attempt, instead of timing out.
    /// </summary>
    [Fact]
    public async Task An_early_refresh_that_hangs_does_not_hold_the_page_while_the_token_is_valid()
    {
        var clock = new TestClock();
        var tokenCalls = new System.Runtime.CompilerServices.StrongBox<int>();
        await using var server = await FirstTokenThenHangingAsync(600, tokenCalls);
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
        await Wait.UntilAsync(() => Volatile.Read(ref tokenCalls.Value) >= 2 || second.IsCompleted, "the early refresh", 5);
        await Task.Delay(50);
        clock.Advance(TimeSpan.FromSeconds(5)); // the early refresh's limit, well inside the per-attempt timeout
        var (pages, error) = await second.Within(5);

        Assert.True(error is null, $"{error?.Kind}: {error?.Message}");
        Assert.Equal([1, 2], pages.Ids());
    }

    /// <summary>
    /// A secret read from a file (a Docker or Kubernetes secret) often ends with a newline: it is used without the surrounding
    /// whitespace, for a bearer token as for an API key, instead of ending the run with a bare FormatException.
    /// </summary>
    [Fact]
    public async Task A_credential_read_with_a_trailing_newline_is_used_trimmed()
    {
        const string Token = "b34r3r-0f9e8d7c6b5a";
        await using var server = await FaultServer.StartAsync(Faults.PageApi(2));
        var options = server.Options with { Credentials = CredentialSource.Create(_ => Token + "\n"), Resilience = ResilienceOptions.None };

        var pages = await new BearerRows(options).PagesAsync(new Shard("a")).Within(5);

        Assert.Equal([1, 2], pages.Ids());
        Assert.All(server.Requests, r => Assert.Equal("Bearer " + Token, r.H("Authorization")));
    }

    /// <summary>
    /// A header name with a character HTTP does not allow (a typo: "X-API-Key:") is refused with an ArgumentException when the
    /// extractor is created, rather than every request going out without the key.
    /// </summary>
    [Fact]
    public async Task An_api_key_header_name_that_HTTP_does_not_allow_is_refused_when_the_extractor_is_created()
    {
        const string Key = "k3y-7a1b2c3d4e5f";
        await using var server = await FaultServer.StartAsync(Faults.PageApi(2));
        var options = server.Options with
        {
            Credentials = CredentialSource.Create(_ => Key),
            Auth = ApiKeyHeaderRows.Definition.Auth! with { Header = "X-API-Key:" },
            Resilience = ResilienceOptions.None,
        };

        var error = Assert.Throws<ArgumentException>(() => new ApiKeyHeaderRows(options));

        Assert.Contains("Header 'X-API-Key:' is not a valid HTTP header name", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    /// <summary>
    /// A token echoed by an API with other JSON escapes than System.Text.Json's is scrubbed from the message and the body snippet:
    /// lowercase hex digits (\u003c), or Go's, which escapes only '&lt;', '&gt;' and '&amp;' (and U+2028, U+2029) and leaves '+' as it is.
    /// </summary>
    [Theory]
    [InlineData("tok<3n>-0f9e8d7c6b5a", "tok\\u003c3n\\u003e-0f9e8d7c6b5a")]
    [InlineData("tok+3n&-0f9e8d7c6b5a", "tok+3n\\u0026-0f9e8d7c6b5a")]
    public async Task A_secret_echoed_with_other_JSON_escapes_is_scrubbed(string token, string escaped)
    {
        await using var server = await FaultServer.StartAsync(Faults.PageApi(3, (ctx, _, _) => Faults.Status(ctx, 400, $$"""{"error":"token {{escaped}} is not valid here"}""")));
        var options = server.Options with { Credentials = CredentialSource.Create(_ => token), Resilience = ResilienceOptions.None };

        var (_, error) = await new BearerRows(options).PagesUntilErrorAsync(new Shard("a")).Within(5);

        Assert.Contains("is not valid here", error.Message, StringComparison.Ordinal);
        foreach (var text in new[] { error.Message, error.Detail, error.BodySnippet ?? "" })
        {
            Assert.DoesNotContain("0f9e8d7c6b5a", text, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Values shorter than 4 characters are not scrubbed (Basic's conventional password "x" would turn "expected 2xx" into
    /// "e***pected 2******"), as for configured headers.
    /// </summary>
    [Fact]
    public async Task A_one_character_basic_password_leaves_error_messages_readable()
    {
        await using var server = await FaultServer.StartAsync(Faults.PageApi(3, (ctx, _, _) => Faults.Status(ctx, 400, """{"error":"bad request"}""")));
        var options = server.Options with
        {
            Credentials = CredentialSource.Create(name => name == "APIPIPELINE_TEST_USER" ? "k3y-7a1b2c3d4e5f" : "x"),
            Resilience = ResilienceOptions.None,
        };

        var (_, error) = await new BasicRows(options).PagesUntilErrorAsync(new Shard("a")).Within(5);

        Assert.True(error.Message.Contains("expected 2xx", StringComparison.Ordinal), error.Message);
    }

    /// <summary>
    /// Token-1 is valid 600 s and refreshed from 540 s. The early refresh at 541 s takes a minute (the clock jumps past the token's
    /// expiry meanwhile): it is cut off at 5 s, and as token-1 has expired by then, the token is fetched again with the page's own
    /// budget; that fails too (503), and the page fails with it instead of sending the expired token.
    /// </summary>
    [Fact]
    public async Task An_early_refresh_that_outlives_the_token_does_not_send_the_expired_token()
    {
        var clock = new TestClock();
        int tokenCalls = 0;
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync((ctx, i) =>
        {
            if (ctx.Request.Path == "/token")
            {
                if (Interlocked.Increment(ref tokenCalls) == 1)
                {
                    return Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":600}""");
                }

                clock.Advance(TimeSpan.FromSeconds(60)); // the refresh took a minute: token-1 has expired meanwhile
                return Faults.Status(ctx, 503);
            }

            return api(ctx, i);
        });
        var extractor = new OAuthRows(OAuthOptions(server) with { TimeProvider = clock, Resilience = ResilienceOptions.None });

        await extractor.PagesAsync(new Shard("a")).Within(5);
        clock.Advance(TimeSpan.FromSeconds(541));
        var (_, error) = await extractor.PagesUntilErrorAsync(new Shard("a")).Within(5);

        Assert.Equal(2, server.Requests.Count(r => r.Path != "/token")); // none with the expired token-1
        Assert.Equal((ExtractionErrorKind.HttpStatus, HttpStatusCode.ServiceUnavailable), (error.Kind, error.StatusCode)); // the refresh tried again with the page's budget
    }

    /// <summary>
    /// Token-1 lives 2 s, so it is refreshed from 1 s. An early refresh that hangs past the token's expiry is cut off, and the page
    /// never sends the token that expired meanwhile.
    /// </summary>
    [Fact]
    public async Task A_page_cut_off_from_an_early_refresh_does_not_send_a_token_that_expired_meanwhile()
    {
        var clock = new TestClock();
        var tokenCalls = new System.Runtime.CompilerServices.StrongBox<int>();
        await using var server = await FirstTokenThenHangingAsync(2, tokenCalls);
        var extractor = new OAuthRows(OAuthOptions(server) with
        {
            TimeProvider = clock,
            Resilience = new ResilienceOptions { Timeout = new() { PerAttempt = TimeSpan.FromSeconds(10) } },
        });

        await extractor.PagesAsync(new Shard("a")).Within(5);
        clock.Advance(TimeSpan.FromMilliseconds(1500));
        int before = server.Requests.Count(r => r.Path != "/token");
        var second = Task.Run(async () =>
        {
            try
            {
                await extractor.PagesAsync(new Shard("a"));
            }
            catch (ExtractionException)
            {
            }
        });
        await Wait.UntilAsync(() => Volatile.Read(ref tokenCalls.Value) >= 2 || second.IsCompleted, "the early refresh", 5);
        await Task.Delay(100);
        clock.Advance(TimeSpan.FromSeconds(1)); // the page's wait for the refresh ends at 2.5 s; token-1 expired at 2 s
        for (int i = 0; i < 100 && server.Requests.Count(r => r.Path != "/token") == before; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(before, server.Requests.Count(r => r.Path != "/token")); // no page request carried the expired token-1
    }

    /// <summary>
    /// The cached token expires while a slow early refresh runs: when the 5 s cap cuts the refresh off, nothing valid is left, so the
    /// token is fetched again with the page's own budget and the page succeeds with token-2 (not a misleading Timeout).
    /// </summary>
    [Fact]
    public async Task An_early_refresh_cut_off_after_the_token_expired_is_tried_again_with_the_pages_budget()
    {
        var clock = new TestClock();
        int tokenCalls = 0;
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync(async (ctx, i) =>
        {
            if (ctx.Request.Path == "/token")
            {
                int n = Interlocked.Increment(ref tokenCalls);
                if (n > 1)
                {
                    try
                    {
                        await answer.Task.WaitAsync(ctx.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }

                await Faults.Json(ctx, $$"""{"access_token":"token-{{n}}","token_type":"Bearer","expires_in":600}""");
                return;
            }

            await api(ctx, i);
        });
        var extractor = new OAuthRows(OAuthOptions(server) with { TimeProvider = clock, Resilience = ResilienceOptions.None });

        await extractor.PagesAsync(new Shard("a")).Within();
        clock.Advance(TimeSpan.FromSeconds(597));
        int timers = clock.Timers.Count(t => t == TimeSpan.FromSeconds(5));
        var run = extractor.PagesAsync(new Shard("a"));
        await Wait.UntilAsync(() => Volatile.Read(ref tokenCalls) == 2, "the early token request");
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5), timers + 1);
        clock.Advance(TimeSpan.FromSeconds(5)); // 602 s: token-1 has expired, the early refresh's cap fires
        await Task.Delay(200);
        answer.TrySetResult();

        var pages = await run.Within();
        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal("Bearer token-1", server.Requests.First(r => r.Path != "/token").H("Authorization"));
        Assert.StartsWith("Bearer token-", server.Requests.Last(r => r.Path != "/token").H("Authorization"), StringComparison.Ordinal);
        Assert.NotEqual("Bearer token-1", server.Requests.Last(r => r.Path != "/token").H("Authorization"));
    }
}
