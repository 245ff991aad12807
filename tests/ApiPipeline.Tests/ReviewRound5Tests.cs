using System.Net;
using ApiPipeline.Tests.Resilience;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>OAuth 2.0 with offset pages of 3 fetched three at a time, at most 9 records; retried.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3, MaxConcurrent = 3, MaxRecords = 9)]
[Retry(2, BaseDelay = "1ms", Jitter = false)]
[Auth(AuthKind.OAuth2ClientCredentials, Id = "APIPIPELINE_TEST_CLIENT_ID", Secret = "APIPIPELINE_TEST_CLIENT_SECRET", TokenUrl = "https://auth.example.invalid/token", RefreshBefore = "60s")]
public partial class Round5ConcurrentOAuthRows : IExtractor<Shard, Row>;

/// <summary>Review round 5: bugs in the capped early OAuth refresh, token-request leases, secret forms and prefetch order.</summary>
public sealed class ReviewRound5Tests
{
    private static readonly ICredentialSource Secrets = CredentialSource.Create(name => name switch
    {
        "APIPIPELINE_TEST_CLIENT_ID" => "client-42",
        "APIPIPELINE_TEST_CLIENT_SECRET" => "cl13nt-s3cr3t-5566",
        _ => null,
    });

    private static ExtractorOptions OAuthOptions(FaultServer server) => server.Options with
    {
        Credentials = Secrets,
        Auth = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token" },
    };

    [Fact]
    public async Task ReviewRound5_an_early_refresh_cut_at_5s_after_the_token_expired_does_not_fail_the_page_as_a_timeout()
    {
        // token-1 lives 600 s (early refresh from 540 s). At 597 s a page starts an early refresh; the token endpoint is slow. The 5 s cap
        // fires at 602 s, when token-1 has expired: nothing valid is left to serve, so the refresh must go on (or be sent again) with the
        // page's own budget -- Authenticator.cs (the comment above the cap): "a refresh once the token has expired gets as long as the page allows". Instead the capped
        // OperationCanceledException escapes TokenAsync (its catch filter requires Valid(current)) and SendAsync turns it into
        // ExtractionErrorKind.Timeout "the request timed out after 100 s": the page fails although neither its timeout nor the HTTP
        // client's ran out, and the token endpoint answers a moment later.
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

    [Fact]
    public async Task ReviewRound5_one_token_request_to_the_limited_host_costs_one_limiter_token_not_one_per_waiting_page()
    {
        // docs/resilience.md: "an OAuth token request to the limited host" draws from the host's limiter -- one request, one token.
        // HttpExtractor.SendAsync takes an extra lease whenever Authenticator.TokenRequests (a counter shared by ALL pages) moved across
        // its own ApplyAsync. Pages 1-3 start at once (MaxConcurrent 3, MaxRecords 9: no page past 3 is ever asked for). Page 1 sends
        // token request #1 (slow, 503); pages 2 and 3 wait on the token gate. When #1 fails, page 2 sends #2 (and rightly takes an extra
        // lease for it); page 3 then simply uses the token page 2 fetched, sends no token request, yet sees the counter moved and takes
        // another lease too. Expected: limiter leases == requests to the host (each request, token or page, costs exactly one).
        int tokenCalls = 0;
        var api = Faults.OffsetApi(100);
        await using var server = await FaultServer.StartAsync(async (ctx, i) =>
        {
            if (ctx.Request.Path == "/token")
            {
                if (Interlocked.Increment(ref tokenCalls) == 1)
                {
                    await Task.Delay(300);
                    await Faults.Status(ctx, 503);
                    return;
                }

                await Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":3600}""");
                return;
            }

            await api(ctx, i);
        });
        var limit = new RateLimitOptions { RequestsPerSecond = 1000, Burst = 1000 };
        var extractor = new Round5ConcurrentOAuthRows(server.Options with
        {
            Credentials = Secrets,
            Auth = Round5ConcurrentOAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token" },
            Resilience = Round5ConcurrentOAuthRows.Definition.Resilience with { RateLimit = limit },
        });
        var limiter = HostRateLimiters.For(new Uri(server.BaseUrl), limit, TimeProvider.System);

        var pages = await extractor.PagesAsync(new Shard("a")).Within(5);

        Assert.Equal(Extract.Range(1, 9), pages.Ids());
        Assert.Equal(2, server.Requests.Count(r => r.Path == "/token"));
        var bucket = (System.Threading.RateLimiting.TokenBucketRateLimiter)typeof(HostRateLimiter)
            .GetField("_bucket", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(limiter)!;
        long leases = bucket.GetStatistics()!.TotalSuccessfulLeases;
        Assert.True(leases == server.RequestCount, $"{leases} limiter tokens taken for {server.RequestCount} requests to the host: {string.Join(" ", server.Requests.Select(r => r.Target))}");
    }
}
