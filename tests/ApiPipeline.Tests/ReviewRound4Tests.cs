using System.Net;
using System.Text;
using ApiPipeline.Tests.Resilience;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>Review round 4: each test fails because of a product bug (see the comment on each).</summary>
public sealed class ReviewRound4Tests
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
    public async Task ReviewRound4_an_early_refresh_that_fails_after_the_token_expired_does_not_send_the_expired_token()
    {
        // Token-1 is valid 600 s, refreshed from 540 s. At 541 s the early refresh starts; the token endpoint is slow and answers 503
        // only once token-1 has expired (the clock reaches 601 s). docs/resilience.md: a failed early refresh keeps using the token
        // only while it "has not expired"; the previous code checked `_clock.GetUtcNow() < expiresAt` in its catch filter.
        // Authenticator.EarlyRefreshAsync now returns current.Value without looking at the clock, so the page goes out with the
        // expired token-1 (3 page requests, the 2nd run's first with token-1) instead of failing with the token endpoint's 503.
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
        Assert.Equal((ExtractionErrorKind.HttpStatus, HttpStatusCode.ServiceUnavailable), (error.Kind, error.StatusCode));
    }

    [Fact]
    public async Task ReviewRound4_a_page_that_stops_waiting_for_an_early_refresh_does_not_send_a_token_that_expired_meanwhile()
    {
        // Token-1 lives 2 s, so it is refreshed halfway (from 1 s; RefreshBefore 60 s is capped at half its life). At 1.5 s the early
        // refresh hangs; the page waits 1 s on the extractor's clock (to 2.5 s), then TokenAsync's `catch (TimeoutException)` returns
        // current.Value, token-1, which expired at 2 s. Expected: a token past its expiry is never sent (the page waits for the refresh
        // or fails), as docs/resilience.md promises the page goes on only "with the valid cached token".
        var clock = new TestClock();
        int tokenCalls = 0;
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync(async (ctx, i) =>
        {
            if (ctx.Request.Path == "/token")
            {
                if (Interlocked.Increment(ref tokenCalls) == 1)
                {
                    await Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":2}""");
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
        await Wait.UntilAsync(() => Volatile.Read(ref tokenCalls) >= 2 || second.IsCompleted, "the early refresh", 5);
        await Task.Delay(100);
        clock.Advance(TimeSpan.FromSeconds(1)); // the page's wait for the refresh ends at 2.5 s; token-1 expired at 2 s
        for (int i = 0; i < 100 && server.Requests.Count(r => r.Path != "/token") == before; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(before, server.Requests.Count(r => r.Path != "/token")); // no page request carried the expired token-1
    }
}
