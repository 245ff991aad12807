using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests.Resilience;

/// <summary>
/// Retries against the fault server: transient failures are retried and the records come out exactly once, in order; permanent ones
/// fail at once; <c>Retry-After</c> (seconds or HTTP date) and <c>X-RateLimit-Reset</c> set the wait, checked on a fake clock.
/// </summary>
public sealed class RetryTests
{
    private static readonly Shard Input = new("shop");

    private static long[] TenRows => Extract.Range(1, 10);

    [Fact]
    public async Task Every_third_request_failing_with_500_is_retried_and_every_record_arrives_once_in_order()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(13, (ctx, i, _) => i % 3 == 0 ? Faults.Status(ctx, 500) : null));
        using var temp = new TempFolder();
        await using var output = new JsonlOutput<Row>(ResilienceJson.Default.Row, new() { Directory = temp.Path, Name = "rows" });
        var pipeline = new Pipeline<Shard, Row>("rows", new RetryingRows(server.Options), output);

        var result = await pipeline.ExecuteAsync(Input).Within();

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(Extract.Range(1, 13), Extract.IdsIn(Path.Combine(temp.Path, "rows")));

        // Requests 1 2 [3] 4 5 [6] 7: pages at offsets 0, 3, 6 (retried), 9, 12 (retried).
        Assert.Equal(["0", "3", "6", "6", "9", "12", "12"], server.Requests.Select(r => r.Q("offset")));
        Assert.Equal((13L, 5L, 7L, 2L, 0L), (result.Records, result.Pages, result.Requests, result.Retries, result.Failures));
        var state = pipeline.GetStatus();
        Assert.Equal((PipelineStatus.Succeeded, 13L, 7L, 2L), (state.Status, state.Records, state.Requests, state.Retries));
    }

    [Fact]
    public async Task Transient_faults_of_every_kind_are_retried_without_duplicating_or_dropping_records()
    {
        // Page 1: a cut-off body, then fine. Page 2: a dropped connection. Page 3: a 503. Page 4: a 408, then a 429 with Retry-After: 0.
        var faults = new Dictionary<int, Func<HttpContext, Task>>
        {
            [1] = ctx => Faults.Truncated(ctx, Faults.Page(1, 3)),
            [3] = Faults.Drop,
            [5] = ctx => Faults.Status(ctx, 503, "<html>maintenance</html>"),
            [7] = ctx => Faults.Status(ctx, 408),
            [8] = ctx => Faults.TooManySeconds(ctx, 0),
        };
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, i, _) => faults.TryGetValue(i, out var fault) ? fault(ctx) : null));

        var pages = await new RetryingRows(server.Options).PagesAsync(Input).Within();

        Assert.Equal(TenRows, pages.Ids());
        Assert.Equal([2, 2, 2, 3], pages.Select(p => p.Attempts));
        Assert.Equal(9, server.RequestCount);
    }

    [Fact]
    public async Task A_retry_that_waits_for_a_503s_Retry_After_counts_as_a_retry_after_wait()
    {
        // docs/observability.md: apipipeline.rate_limit.waits counts "a retry that waited for the API's Retry-After"
        // (apipipeline.wait.reason = retry_after), and rate_limit.wait_time its seconds.
        var waits = new ConcurrentQueue<(string Name, double Value, object? Reason)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name is ApiPipelineMetrics.RateLimitWaits or ApiPipelineMetrics.RateLimitWaitTime)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(System.Diagnostics.Metrics.Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            object? extractor = null, reason = null;
            foreach (var tag in tags)
            {
                if (tag.Key == ApiPipelineTags.Extractor) { extractor = tag.Value; }
                if (tag.Key == ApiPipelineTags.WaitReason) { reason = tag.Value; }
            }

            if (Equals(extractor, "RetryingRows"))
            {
                waits.Enqueue((instrument.Name, value, reason));
            }
        }

        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();

        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(4, (ctx, i, _) =>
            i == 1 ? Faults.Json(ctx, """{"error":"maintenance"}""", 503, new Dictionary<string, string> { ["Retry-After"] = "1" }) : null));

        var started = System.Diagnostics.Stopwatch.StartNew();
        var pages = await new RetryingRows(server.Options).PagesAsync(Input).Within();

        Assert.Equal(2, pages[0].Attempts);
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(0.9), "the retry waited for the Retry-After");
        Assert.Contains(waits, w => w.Name == ApiPipelineMetrics.RateLimitWaits && Equals(w.Reason, "retry_after"));
        Assert.Contains(waits, w => w.Name == ApiPipelineMetrics.RateLimitWaitTime && Equals(w.Reason, "retry_after") && w.Value >= 0.9);
    }

    [Fact]
    public async Task A_slow_first_byte_times_out_per_attempt_and_the_retry_succeeds()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(4, (ctx, i, offset) =>
            i == 1 ? Faults.SlowFirstByte(ctx, TimeSpan.FromSeconds(5), () => Faults.Json(ctx, Faults.Page(offset + 1, 3))) : null));

        var pages = await new TimedRows(server.Options).PagesAsync(Input).Within();

        Assert.Equal(Extract.Range(1, 4), pages.Ids());
        Assert.Equal(2, pages[0].Attempts);
    }

    [Fact]
    public async Task A_slow_body_times_out_per_attempt_and_a_page_that_never_comes_fails_as_a_timeout()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.SlowBody(ctx, Faults.Page(1, 3), TimeSpan.FromSeconds(5)));

        var (pages, ex) = await new TimedRows(server.Options).PagesUntilErrorAsync(Input).Within();

        Assert.Empty(pages);
        Assert.Equal(ExtractionErrorKind.Timeout, ex.Kind);
        Assert.Equal(3, ex.Attempts);
        Assert.Contains("timed out after 300ms", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task Permanent_failures_are_not_retried()
    {
        var cases = new (Func<HttpContext, Task> Fault, ExtractionErrorKind Kind)[]
        {
            (ctx => Faults.Status(ctx, 404), ExtractionErrorKind.HttpStatus),
            (ctx => Faults.Status(ctx, 400), ExtractionErrorKind.HttpStatus),
            (ctx => Faults.Status(ctx, 501), ExtractionErrorKind.HttpStatus),
            (Faults.Html200, ExtractionErrorKind.InvalidJson),
            (ctx => Faults.Json(ctx, """{"data":[{"id":"not a number","name":"x"}]}"""), ExtractionErrorKind.RecordMismatch),
            (ctx => Faults.Json(ctx, """{"items":[]}"""), ExtractionErrorKind.UnexpectedShape),
        };

        foreach (var (fault, kind) in cases)
        {
            await using var server = await FaultServer.StartAsync((ctx, _) => fault(ctx));

            var (_, ex) = await new RetryingRows(server.Options).PagesUntilErrorAsync(Input).Within();

            Assert.Equal(kind, ex.Kind);
            Assert.Equal(1, ex.Attempts);
            Assert.Equal(1, server.RequestCount);
        }
    }

    [Fact]
    public async Task Exhausted_retries_fail_with_the_last_error_and_the_attempt_count()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 3 ? Faults.Status(ctx, 502, "bad gateway") : null));

        var (pages, ex) = await new RetryingRows(server.Options).PagesUntilErrorAsync(Input).Within();

        Assert.Equal(Extract.Range(1, 3), pages.Ids());
        Assert.Equal(ExtractionErrorKind.HttpStatus, ex.Kind);
        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Equal(4, ex.Attempts);
        Assert.Contains("(attempt 4)", ex.Message, StringComparison.Ordinal);
        Assert.Equal("bad gateway", ex.BodySnippet);
        Assert.Equal(new PageCheckpoint(server.BaseUrl + "/shop/items?limit=3&offset=3", 2, 3) { BaseUrl = server.BaseUrl }, ex.Resume);
        Assert.Equal(5, server.RequestCount);
    }

    [Fact]
    public async Task Backoff_grows_exponentially_from_the_base_delay_up_to_the_max_delay()
    {
        var clock = new TestClock();
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var server = await FaultServer.StartAsync((ctx, i) => i <= 4 ? Faults.Status(ctx, 500) : Faults.Json(ctx, Faults.Page(1, 2)));
        var options = server.Options with
        {
            TimeProvider = clock,
            Resilience = new ResilienceOptions
            {
                Retry = new() { MaxRetries = 5, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(5), Jitter = false, OnRetry = a => Record(delays, a) },
            },
        };

        var pages = await new RetryingRows(options).PagesAsync(Input).Driving(clock, TimeSpan.FromMilliseconds(250));

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5)], delays);
        Assert.Equal(5, pages[0].Attempts);
    }

    [Fact]
    public async Task Retry_after_in_seconds_is_waited_exactly_before_the_next_attempt()
    {
        var clock = new TestClock();
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(5, (ctx, i, _) => i == 2 ? Faults.TooManySeconds(ctx, 7) : null));
        var extractor = new RetryingRows(server.Options with { TimeProvider = clock, Resilience = WithRetry(delays) });

        var run = extractor.PagesAsync(Input);
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(7));
        clock.Advance(TimeSpan.FromSeconds(6.9));
        await Task.Delay(100);
        Assert.Equal(2, server.RequestCount);
        clock.Advance(TimeSpan.FromSeconds(0.1));
        var pages = await run.Within();

        Assert.Equal(Extract.Range(1, 5), pages.Ids());
        Assert.Equal([TimeSpan.FromSeconds(7)], delays);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task Retry_after_as_an_http_date_is_waited_until_that_date()
    {
        var clock = new TestClock();
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(3, (ctx, i, _) => i == 1 ? Faults.TooManyUntil(ctx, clock.GetUtcNow().AddSeconds(9)) : null));
        var extractor = new RetryingRows(server.Options with { TimeProvider = clock, Resilience = WithRetry(delays) });

        var run = extractor.PagesAsync(Input);
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(9));
        clock.Advance(TimeSpan.FromSeconds(9));
        var pages = await run.Within();

        Assert.Equal(Extract.Range(1, 3), pages.Ids());
        Assert.Equal([TimeSpan.FromSeconds(9)], delays);
    }

    [Fact]
    public async Task An_exhausted_quota_on_a_429_waits_for_the_x_ratelimit_reset()
    {
        var clock = new TestClock();
        var delays = new ConcurrentQueue<TimeSpan>();
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(3, (ctx, i, _) => i == 1
            ? Faults.Json(ctx, "{}", 429, new Dictionary<string, string>
            {
                ["X-RateLimit-Remaining"] = "0",
                ["X-RateLimit-Reset"] = clock.GetUtcNow().AddSeconds(42).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            })
            : null));
        var extractor = new RetryingRows(server.Options with { TimeProvider = clock, Resilience = WithRetry(delays) });

        var run = extractor.PagesAsync(Input);
        await clock.WaitForTimerAsync(TimeSpan.FromSeconds(42));
        clock.Advance(TimeSpan.FromSeconds(42));

        Assert.Equal(Extract.Range(1, 3), (await run.Within()).Ids());
        Assert.Equal([TimeSpan.FromSeconds(42)], delays);
    }

    [Fact]
    public async Task A_wait_longer_than_the_cap_fails_at_once_with_a_resumable_rate_limited_error()
    {
        bool limited = true;
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 6 && limited ? Faults.TooManySeconds(ctx, 3600) : null));
        var extractor = new RetryingRows(server.Options);

        var (pages, ex) = await extractor.PagesUntilErrorAsync(Input).Within();

        Assert.Equal(Extract.Range(1, 6), pages.Ids());
        Assert.Equal(ExtractionErrorKind.RateLimited, ex.Kind);
        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);
        Assert.Equal(TimeSpan.FromHours(1), ex.RetryAfter);
        Assert.Equal(1, ex.Attempts);
        Assert.Contains("asks to wait 1h, longer than MaxRetryAfter (5m)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.RequestCount);

        // An hour later: resume from the failed page and get exactly the rest.
        limited = false;
        var rest = await extractor.PagesAsync(Input, ex.Resume).Within();
        Assert.Equal(Extract.Range(7, 10), rest.Ids());
        Assert.Equal(3, rest[0].Number);
    }

    [Fact]
    public void A_retry_after_with_leading_zeros_is_read_as_its_value()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("Retry-After", "000000000005");

        Assert.Equal(TimeSpan.FromSeconds(5), RateLimitHeaders.RetryAfter(response.Headers, TimeProvider.System));
    }

    [Theory]
    [InlineData("99999999999")] // beyond .NET's 32-bit delta seconds
    [InlineData("999999999999999999999")] // beyond TimeSpan
    [InlineData("Fri, 31 Dec 9999 23:59:59 GMT")]
    public async Task A_wait_too_long_to_represent_fails_at_once_as_rate_limited_capped_at_a_century(string retryAfter)
    {
        await using var server = await FaultServer.StartAsync((ctx, _) =>
            Faults.Json(ctx, """{"error":"slow down"}""", 429, new Dictionary<string, string> { ["Retry-After"] = retryAfter }));

        var (_, ex) = await new RetryingRows(server.Options).PagesUntilErrorAsync(Input).Within();

        Assert.Equal(ExtractionErrorKind.RateLimited, ex.Kind);
        Assert.Equal(1, server.RequestCount);
        Assert.Equal(TimeSpan.FromDays(100 * 365), ex.RetryAfter);
    }

    [Fact]
    public async Task Without_retries_a_429_fails_at_once_as_rate_limited_and_a_500_as_an_http_status()
    {
        await using var server = await FaultServer.StartAsync((ctx, i) => i == 1 ? Faults.TooManySeconds(ctx, 2) : Faults.Status(ctx, 500));

        var (_, limited) = await new PlainRows(server.Options).PagesUntilErrorAsync(Input).Within();
        var (_, failed) = await new PlainRows(server.Options).PagesUntilErrorAsync(Input).Within();

        Assert.Equal(ExtractionErrorKind.RateLimited, limited.Kind);
        Assert.Equal(TimeSpan.FromSeconds(2), limited.RetryAfter);
        Assert.NotNull(limited.Resume);
        Assert.Equal(ExtractionErrorKind.HttpStatus, failed.Kind);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task The_total_timeout_bounds_a_page_over_all_its_attempts()
    {
        var clock = new TestClock();
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 503));
        var options = server.Options with
        {
            TimeProvider = clock,
            Resilience = new ResilienceOptions
            {
                Timeout = new() { PerAttempt = TimeSpan.Zero, Total = TimeSpan.FromSeconds(10) },
                Retry = new() { MaxRetries = 100, Backoff = Backoff.Constant, BaseDelay = TimeSpan.FromSeconds(3), Jitter = false },
            },
        };

        var (_, ex) = await new RetryingRows(options).PagesUntilErrorAsync(Input).Driving(clock, TimeSpan.FromSeconds(1));

        Assert.Equal(ExtractionErrorKind.Timeout, ex.Kind);
        Assert.Contains("total timeout of 10s", ex.Message, StringComparison.Ordinal);
        Assert.InRange(server.RequestCount, 3, 5);
    }

    private static ResilienceOptions WithRetry(ConcurrentQueue<TimeSpan> delays) => new()
    {
        Retry = new() { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(1), Jitter = false, OnRetry = a => Record(delays, a) },
    };

    private static ValueTask Record(ConcurrentQueue<TimeSpan> delays, OnPageRetryArguments args)
    {
        delays.Enqueue(args.Delay);
        return default;
    }

    /// <summary>
    /// A 404 that carries an exhausted quota (GitHub sends the quota headers on every response) is the 404 it is, which [OnError(Skip)]
    /// can skip; only a status that is retried (429, 503, …) asking to wait beyond MaxRetryAfter becomes RateLimited.
    /// </summary>
    [Fact]
    public async Task A_404_reporting_an_exhausted_quota_is_a_404_not_a_rate_limit()
    {
        long reset = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        await using var api = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, """{"message":"Not Found"}""", 404, new Dictionary<string, string>
        {
            ["X-RateLimit-Remaining"] = "0",
            ["X-RateLimit-Reset"] = reset.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));

        var (_, error) = await new SkipRows(api.Options).PagesUntilErrorAsync(new Shard("deleted")).Within(10);

        Assert.Equal((ExtractionErrorKind.HttpStatus, (HttpStatusCode?)HttpStatusCode.NotFound), (error.Kind, error.StatusCode));
    }

    /// <summary>An API answering the request past the last record with 204 No Content ends the pagination as an empty page does.</summary>
    [Fact]
    public async Task A_204_No_Content_page_ends_the_pagination_like_an_empty_page()
    {
        await using var api = await FaultServer.StartAsync((ctx, i) =>
        {
            if (ctx.Request.Query["offset"] == "3")
            {
                ctx.Response.StatusCode = 204;
                return Task.CompletedTask;
            }

            return Faults.OffsetApi(10)(ctx, i);
        });

        var pages = await new PlainRows(api.Options).PagesAsync(new Shard("a")).Within(10);

        Assert.Equal([1L, 2, 3], pages.Ids());
    }
}
