using System.Threading.RateLimiting;

namespace ApiPipeline.Tests.Resilience;

/// <summary>
/// Client-side rate limiting: a server limiting R requests per second sees no 429 from extractors declared <c>[RateLimited(R)]</c>,
/// even two at once on one host (they share its limiter); the host limiter pauses on 429s and exhausted quotas, halves its rate and
/// recovers (checked on a fake clock); waits beyond the cap are refused with the remaining wait.
/// </summary>
public sealed class RateLimitTests
{
    private const int R = 10;

    [Fact]
    public async Task A_server_limit_of_R_per_second_sees_no_429_from_two_extractors_rate_limited_at_R_on_that_host()
    {
        var bucket = new ServerBucket(R);
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(9, (ctx, _, _) => bucket.TryTake() ? null : Faults.TooManySeconds(ctx, 1)));
        var first = new LimitedRows(server.Options);
        var second = new LimitedRows(server.Options);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var runs = await Task.WhenAll(first.PagesAsync(new Shard("a")), second.PagesAsync(new Shard("b"))).Within(10);
        watch.Stop();

        // 2 × (9 pages of one row + the empty page that ends each run) = 20 requests through one 10/s, burst-1 bucket.
        string arrivals = string.Join(", ", server.Requests.Select(r => $"{r.Path.Split('/')[1]}@{r.At.TotalMilliseconds:0}ms"));
        Assert.True(bucket.Rejected == 0, $"The server rejected {bucket.Rejected} request(s); arrivals: {arrivals}");
        Assert.Equal(20, server.RequestCount);
        Assert.All(runs, pages => Assert.Equal(Extract.Range(1, 9), pages.Ids()));
        Assert.True(watch.Elapsed.TotalSeconds >= 1.7, $"20 requests at 10/s took only {watch.Elapsed.TotalSeconds:0.00} s; arrivals: {arrivals}");

        // Both extractors drew from one limiter, first come first served: their requests interleave instead of one going first.
        var firstHalf = server.Requests.Take(10).Count(r => r.Path.StartsWith("/a/", StringComparison.Ordinal));
        Assert.True(firstHalf is >= 3 and <= 7, $"{firstHalf} of the first 10 requests were a's; arrivals: {arrivals}");
    }

    [Fact]
    public async Task Without_a_rate_limit_the_same_server_answers_429()
    {
        var bucket = new ServerBucket(R);
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(100, (ctx, _, _) => bucket.TryTake() ? null : Faults.TooManySeconds(ctx, 1)));

        var (pages, error) = await new UnlimitedRows(server.Options).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.RateLimited, error.Kind);
        Assert.InRange(pages.Count, R, 99);
        Assert.Equal(1, bucket.Rejected);
    }

    [Fact]
    public async Task A_429_pauses_every_request_to_the_host_until_retry_after_and_halves_the_rate_until_it_recovers()
    {
        var clock = new TestClock();
        var limiter = new HostRateLimiter(new RateLimitOptions { RecoveryInterval = TimeSpan.FromSeconds(10) }, clock);
        Assert.Equal(1, limiter.Cost);

        limiter.Throttled(TimeSpan.FromSeconds(5));

        Assert.Equal(clock.GetUtcNow().AddSeconds(5), limiter.PausedUntil);
        Assert.Equal(2, limiter.Cost);
        var waiting = limiter.AcquireAsync(TimeSpan.FromMinutes(5), CancellationToken.None).AsTask();
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5));
        clock.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        using (var lease = await waiting.Within())
        {
            Assert.True(lease.IsAcquired);
        }

        // Another 429 halves again; each quiet recovery interval doubles the rate back.
        limiter.Throttled(TimeSpan.Zero);
        Assert.Equal(4, limiter.Cost);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(2, limiter.Cost);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, limiter.Cost);
    }

    [Fact]
    public async Task An_exhausted_quota_pauses_the_host_until_the_reset_and_a_pause_beyond_the_cap_is_refused_with_its_wait()
    {
        var clock = new TestClock();
        var limiter = new HostRateLimiter(new RateLimitOptions { QuotaReserve = 1 }, clock);

        limiter.ObserveQuota(remaining: 2, resetIn: TimeSpan.FromSeconds(30));
        Assert.Equal(DateTimeOffset.MinValue, limiter.PausedUntil);

        limiter.ObserveQuota(remaining: 1, resetIn: TimeSpan.FromMinutes(20));
        using var refused = await limiter.AcquireAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(20), retryAfter);

        var waiting = limiter.AcquireAsync(TimeSpan.FromHours(1), CancellationToken.None).AsTask();
        await clock.WaitForTimerAsync(TimeSpan.FromMinutes(20));
        clock.Advance(TimeSpan.FromMinutes(20));
        using var granted = await waiting.Within();
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task The_concurrency_limit_holds_requests_until_a_slot_is_free_first_come_first_served()
    {
        var limiter = new HostRateLimiter(new RateLimitOptions { MaxConcurrent = 2 }, TimeProvider.System);

        var a = await limiter.AcquireAsync(TimeSpan.Zero, CancellationToken.None);
        var b = await limiter.AcquireAsync(TimeSpan.Zero, CancellationToken.None);
        var c = limiter.AcquireAsync(TimeSpan.Zero, CancellationToken.None).AsTask();
        var d = limiter.AcquireAsync(TimeSpan.Zero, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(c.IsCompleted || d.IsCompleted);

        a.Dispose();
        using var third = await c.Within();
        Assert.True(third.IsAcquired);
        Assert.False(d.IsCompleted);
        b.Dispose();
        using var fourth = await d.Within();
        Assert.True(fourth.IsAcquired);
    }

    [Fact]
    public async Task Extractors_on_one_host_share_a_limiter_whose_numbers_are_the_strictest_registered()
    {
        var clock = new TestClock();
        var host = new Uri("https://shared.example.invalid:8443/v1");
        var first = HostRateLimiters.For(host, new RateLimitOptions { RequestsPerSecond = 20, MaxConcurrent = 8 }, clock);
        var second = HostRateLimiters.For(new Uri("https://SHARED.example.invalid:8443/other"), new RateLimitOptions { RequestsPerSecond = 5, MaxConcurrent = 10 }, clock);
        var otherPort = HostRateLimiters.For(new Uri("https://shared.example.invalid/v1"), new RateLimitOptions { RequestsPerSecond = 20 }, clock);
        var own = HostRateLimiters.For(host, new RateLimitOptions { RequestsPerSecond = 1, SharedPerHost = false }, clock);

        Assert.Same(first, second);
        Assert.NotSame(first, otherPort);
        Assert.NotSame(first, own);
        Assert.Equal((5.0, 8), (first.Options.RequestsPerSecond, first.Options.MaxConcurrent));

        // A pause seen through one extractor holds the other back.
        second.Throttled(TimeSpan.FromSeconds(3));
        using var refused = await first.AcquireAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.False(refused.IsAcquired);
    }

    [Fact]
    public async Task A_stricter_concurrency_limit_registered_while_requests_are_in_flight_counts_them()
    {
        // Two requests of a running extractor hold both slots (limit 2); another extractor for the host registers a limit of 1.
        var host = new Uri("http://merge-slots-" + Guid.NewGuid().ToString("N") + ".invalid");
        var limiter = HostRateLimiters.For(host, new RateLimitOptions { MaxConcurrent = 2 }, TimeProvider.System);
        var first = await limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        var second = await limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Same(limiter, HostRateLimiters.For(host, new RateLimitOptions { MaxConcurrent = 1 }, TimeProvider.System));

        var third = limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(third.IsCompleted, "a third request ran while two held the host's slots (merged limit 1)");

        first.Dispose();
        await Task.Delay(200);
        Assert.False(third.IsCompleted, "a second request started while one was still in flight (limit 1)");

        second.Dispose();
        using var granted = await third.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task A_second_stricter_merge_lets_no_waiting_request_run_beside_those_in_flight()
    {
        var host = new Uri("http://merge-twice-" + Guid.NewGuid().ToString("N") + ".invalid");
        var limiter = HostRateLimiters.For(host, new RateLimitOptions { MaxConcurrent = 4 }, TimeProvider.System);
        var held = new List<System.Threading.RateLimiting.RateLimitLease>();
        for (int i = 0; i < 4; i++)
        {
            held.Add(await limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        }

        HostRateLimiters.For(host, new RateLimitOptions { MaxConcurrent = 2 }, TimeProvider.System);
        var queued = limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        HostRateLimiters.For(host, new RateLimitOptions { MaxConcurrent = 1 }, TimeProvider.System);
        await Task.Delay(200);
        Assert.False(queued.IsCompleted, "a fifth request ran beside four at a merged limit of 1");

        for (int i = 0; i < 3; i++)
        {
            held[i].Dispose();
        }

        await Task.Delay(100);
        Assert.False(queued.IsCompleted, "a second request ran beside one at a merged limit of 1");
        held[3].Dispose();
        using var granted = await queued.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task A_concurrency_limit_merged_in_while_a_request_waits_for_a_token_holds_for_it()
    {
        var host = new Uri("http://merge-none-to-one-" + Guid.NewGuid().ToString("N") + ".invalid");
        var limiter = HostRateLimiters.For(host, new RateLimitOptions { RequestsPerSecond = 1, Burst = 1 }, TimeProvider.System);
        var first = await limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None);

        // The second waits for a token (about a second away); the stricter extractor registers right then, with no await between.
        var second = limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        HostRateLimiters.For(host, new RateLimitOptions { MaxConcurrent = 1 }, TimeProvider.System);
        Assert.False(second.IsCompleted);
        await Task.Delay(1600); // its token has arrived; the slot is still held by the first

        Assert.False(second.IsCompleted, "a second request was granted while the first held the host's only slot");
        first.Dispose();
        using var granted = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task A_request_cancelled_while_waiting_for_a_slot_leaves_the_queue_and_the_next_one_gets_it()
    {
        var limiter = HostRateLimiters.For(new Uri("http://slot-cancel-" + Guid.NewGuid().ToString("N") + ".invalid"), new RateLimitOptions { MaxConcurrent = 1 }, TimeProvider.System);
        var first = await limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var cancelled = limiter.AcquireAsync(TimeSpan.FromSeconds(30), stop.Token).AsTask();
        var next = limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        first.Dispose();

        using var granted = await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(granted.IsAcquired);
        granted.Dispose();
        using var again = await limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(again.IsAcquired);
    }

    [Fact]
    public async Task A_stricter_rate_registered_after_a_burst_does_not_grant_the_burst_again()
    {
        // Ten requests spend the burst of 10 at 10/s; a stricter extractor (1/s, burst 1) must not refill the bucket.
        var host = new Uri("http://merge-bucket-" + Guid.NewGuid().ToString("N") + ".invalid");
        var limiter = HostRateLimiters.For(host, new RateLimitOptions { RequestsPerSecond = 10, Burst = 10 }, TimeProvider.System);
        for (int i = 0; i < 10; i++)
        {
            (await limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None)).Dispose();
        }

        HostRateLimiters.For(host, new RateLimitOptions { RequestsPerSecond = 1, Burst = 1 }, TimeProvider.System);
        var next = Enumerable.Range(0, 3).Select(_ => limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None).AsTask()).ToArray();
        await Task.Delay(100);

        Assert.True(next.Count(t => t.IsCompleted) <= 1, $"{next.Count(t => t.IsCompleted)} requests were granted within 100 ms of spending the burst");
        foreach (var lease in await Task.WhenAll(next).WaitAsync(TimeSpan.FromSeconds(10)))
        {
            lease.Dispose();
        }
    }

    [Fact]
    public async Task A_429_seen_by_one_extractor_pauses_another_on_the_same_host()
    {
        var clock = new TestClock();
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(2, (ctx, i, _) => i == 1 ? Faults.TooManySeconds(ctx, 30) : null));
        var resilience = new ResilienceOptions
        {
            Retry = new() { MaxRetries = 1, Jitter = false },
            RateLimit = new() { MaxConcurrent = 4 },
        };
        var options = server.Options with { TimeProvider = clock, Resilience = resilience };

        var first = new UnlimitedRows(options).PagesAsync(new Shard("a"));
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(30));
        var second = new UnlimitedRows(options).PagesAsync(new Shard("b"));
        await Task.Delay(100);
        Assert.Equal(1, server.RequestCount);

        clock.Advance(TimeSpan.FromSeconds(30));
        var pages = await Task.WhenAll(first, second).Within();

        Assert.All(pages, p => Assert.Equal([1, 2], p.Ids()));
        Assert.Equal(1 + 3 + 3, server.RequestCount);
    }

    [Theory]
    [InlineData("epoch seconds")]
    [InlineData("epoch milliseconds")]
    [InlineData("seconds from now")]
    public async Task A_page_reporting_an_exhausted_quota_holds_the_next_request_until_the_reset(string form)
    {
        var clock = new TestClock();
        var reset = clock.GetUtcNow().AddSeconds(20);
        long value = form switch
        {
            "epoch seconds" => reset.ToUnixTimeSeconds(),
            "epoch milliseconds" => reset.ToUnixTimeMilliseconds(),
            _ => 20,
        };
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(2, (ctx, i, _) => i == 1
            ? Faults.Json(ctx, Faults.Page(1, 1), 200, new Dictionary<string, string>
            {
                ["X-RateLimit-Remaining"] = "0",
                ["X-RateLimit-Reset"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            })
            : null));
        var options = server.Options with { TimeProvider = clock, Resilience = new ResilienceOptions { RateLimit = new() } };

        var run = new UnlimitedRows(options).PagesAsync(new Shard("a"));
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(50);
        Assert.Equal(1, server.RequestCount);
        clock.Advance(TimeSpan.FromSeconds(20));

        Assert.Equal(new long[] { 1, 2 }, (await run.Within()).Ids());
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task A_quota_reset_beyond_any_date_is_ignored_and_a_transient_status_is_still_retried()
    {
        // 1e20 is no date in seconds or milliseconds: the quota's wait is unknown, so the 503 is retried after the backoff.
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(2, (ctx, i, _) => i == 1
            ? Faults.Json(ctx, "{}", 503, new Dictionary<string, string> { ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = "100000000000000000000" })
            : null));
        var options = server.Options with { Resilience = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(1) }, RateLimit = new() } };

        Assert.Equal(new long[] { 1, 2 }, (await new UnlimitedRows(options).PagesAsync(new Shard("a")).Within()).Ids());
        Assert.Equal(4, server.RequestCount); // the 503, its retry, the second page and the empty one that ends the run
    }

    /// <summary>
    /// Requests that already took their tokens when a 429 pause began wait for the pause and then take tokens again: when it ends they
    /// go out spaced by the rate, not all at once (Burst = 1).
    /// </summary>
    [Fact]
    public async Task Requests_held_by_a_429_pause_go_out_spaced_by_the_rate_when_it_ends()
    {
        var clock = new TestClock();
        var limiter = new HostRateLimiter(new RateLimitOptions { RequestsPerSecond = 10, SharedPerHost = false }, clock);
        using var first = await limiter.AcquireAsync(TimeSpan.FromMinutes(5), CancellationToken.None);

        var queued = Enumerable.Range(0, 3).Select(_ => limiter.AcquireAsync(TimeSpan.FromMinutes(5), CancellationToken.None).AsTask()).ToList();
        limiter.Throttled(TimeSpan.FromSeconds(5)); // the API answered 429 with Retry-After: 5

        // Each takes a token (one per 100 ms, real clock) and then waits for the pause on the test clock.
        await Wait.UntilAsync(() => clock.Timers.Count(t => t == TimeSpan.FromSeconds(5)) + queued.Count(t => t.IsCompleted) >= 3, "the queued requests to take their tokens", 5);
        var waiting = queued.Where(t => !t.IsCompleted).ToList();
        clock.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(30);

        int released = waiting.Count(t => t.IsCompleted);
        foreach (var lease in queued)
        {
            (await lease.Within()).Dispose();
        }

        Assert.True(released <= 1, $"{released} of {waiting.Count} requests held by the pause were released at the same instant when it ended (Burst = 1).");
    }

    /// <summary>
    /// Above 50 requests/s the bucket is refilled every 20 ms with ⌈R / 50⌉ tokens: at most max(Burst, ⌈R / 50⌉) + R × t requests go
    /// out in a period t (20 at once at 1000/s, not the whole queue).
    /// </summary>
    [Fact]
    public async Task Above_50_requests_per_second_at_most_one_refill_of_requests_goes_out_at_once()
    {
        var limiter = new HostRateLimiter(new RateLimitOptions { RequestsPerSecond = 1000, SharedPerHost = false }, TimeProvider.System);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var leases = new List<RateLimitLease>();
        using var stop = new CancellationTokenSource();
        for (int i = 0; i < 100; i++)
        {
            var pending = limiter.AcquireAsync(TimeSpan.FromMinutes(5), stop.Token);
            if (pending.IsCompletedSuccessfully)
            {
                leases.Add(await pending);
            }
            else
            {
                _ = pending.AsTask().ContinueWith(static t => t.Exception, TaskScheduler.Default);
            }
        }

        double elapsed = watch.Elapsed.TotalSeconds;
        stop.Cancel();
        leases.ForEach(l => l.Dispose());

        // One refill (20) + rate × elapsed, plus one refill landing inside the loop.
        double allowed = 20 + (1000 * elapsed) + 20;
        Assert.True(leases.Count <= allowed, $"{leases.Count} requests were granted within {elapsed * 1000:0.###} ms at 1000/s (at most {allowed:0.#} allowed).");
    }

    /// <summary>
    /// A stricter rate registered for the host holds for the requests already waiting for tokens too: they queue again on the stricter
    /// bucket instead of being served by the old one while new requests draw from the new one.
    /// </summary>
    [Fact]
    public async Task A_stricter_rate_registered_while_requests_wait_for_tokens_holds_for_those_requests_too()
    {
        var host = new Uri("http://merge-queued-" + Guid.NewGuid().ToString("N") + ".invalid");
        var limiter = HostRateLimiters.For(host, new RateLimitOptions { RequestsPerSecond = 10 }, TimeProvider.System);
        (await limiter.AcquireAsync(TimeSpan.FromSeconds(30), CancellationToken.None)).Dispose(); // spends the burst of 1
        using var stop = new CancellationTokenSource();
        var queued = Enumerable.Range(0, 5).Select(_ => limiter.AcquireAsync(TimeSpan.FromSeconds(30), stop.Token).AsTask()).ToList();

        HostRateLimiters.For(host, new RateLimitOptions { RequestsPerSecond = 2 }, TimeProvider.System);
        var later = Enumerable.Range(0, 3).Select(_ => limiter.AcquireAsync(TimeSpan.FromSeconds(30), stop.Token).AsTask()).ToList();
        await Task.Delay(600);

        var granted = queued.Concat(later).Where(t => t.IsCompletedSuccessfully).ToList();
        stop.Cancel();
        granted.ForEach(t => t.Result.Dispose());
        await Task.WhenAll(queued.Concat(later).Select(t => t.ContinueWith(static _ => { }, TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(10));

        // 2/s for 600 ms, no second burst: at most 2, and 3 with a tick of slack.
        Assert.True(granted.Count <= 3, $"{granted.Count} requests were granted within 600 ms after a 2/s limit was registered for the host.");
    }
}
