using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace ApiPipeline.Tests.Resilience;

/// <summary>Redirects the extractor follows itself: each hop is a request in the metrics and, at the limited host, under its rate limit.</summary>
public sealed class RedirectTests
{
    [Fact]
    public async Task Each_redirect_hop_is_an_http_request_in_the_request_metrics_at_its_own_server()
    {
        await using var elsewhere = await FaultServer.StartAsync(Faults.PageApi(2));
        await using var api = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = elsewhere.BaseUrl + ctx.Request.Path + ctx.Request.QueryString;
            return Task.CompletedTask;
        });
        int apiPort = new Uri(api.BaseUrl).Port, elsewherePort = new Uri(elsewhere.BaseUrl).Port;
        var seen = new ConcurrentQueue<(int Port, int Status)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name == "http.client.request.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            int port = 0, status = 0;
            foreach (var tag in tags)
            {
                port = tag.Key == "server.port" ? Convert.ToInt32(tag.Value, CultureInfo.InvariantCulture) : port;
                status = tag.Key == "http.response.status_code" ? Convert.ToInt32(tag.Value, CultureInfo.InvariantCulture) : status;
            }

            if (port == apiPort || port == elsewherePort)
            {
                seen.Enqueue((port, status));
            }
        });
        listener.Start();

        var pages = await new PlainRows(api.Options).PagesAsync(new Shard("a")).Within();

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal([(apiPort, 302), (elsewherePort, 200)], seen.ToArray());
    }

    [Fact]
    public async Task A_same_origin_redirect_under_a_concurrency_limit_of_one_does_not_wait_for_its_own_slot()
    {
        await using var api = await FaultServer.StartAsync((ctx, i) =>
        {
            if (!ctx.Request.Path.StartsWithSegments("/moved"))
            {
                ctx.Response.StatusCode = 307;
                ctx.Response.Headers.Location = "/moved" + ctx.Request.Path + ctx.Request.QueryString;
                return Task.CompletedTask;
            }

            return Faults.OffsetApi(2)(ctx, i);
        });
        var options = api.Options with { Resilience = new ResilienceOptions { RateLimit = new() { MaxConcurrent = 1, SharedPerHost = false } } };

        var pages = await new UnlimitedRows(options).PagesAsync(new Shard("a")).Within(10);

        Assert.Equal([1, 2], pages.Ids());
    }

    [Fact]
    public async Task A_same_origin_redirect_hop_counts_against_the_hosts_rate_limit()
    {
        // The server allows 10 requests a second (a bucket of 10) and answers 429 beyond; every page is redirected once.
        var bucket = new ServerBucket(10);
        await using var api = await FaultServer.StartAsync((ctx, i) =>
        {
            if (!bucket.TryTake())
            {
                return Faults.TooManySeconds(ctx, 1);
            }

            if (!ctx.Request.Path.StartsWithSegments("/moved"))
            {
                ctx.Response.StatusCode = 307;
                ctx.Response.Headers.Location = "/moved" + ctx.Request.Path + ctx.Request.QueryString;
                return Task.CompletedTask;
            }

            return Faults.OffsetApi(20)(ctx, i);
        });

        var pages = await new LimitedRows(api.Options).PagesAsync(new Shard("a")).Within(30);

        Assert.Equal(Extract.Range(1, 20), pages.Ids());
        Assert.Equal(0, bucket.Rejected);
    }

    [Fact]
    public async Task A_redirect_hops_wait_for_the_rate_limiter_is_counted_as_a_rate_limit_wait()
    {
        // docs/observability.md: apipipeline.rate_limit.waits counts "requests that waited for the client-side limiter". A hop to the
        // limited host takes a token too (HttpExtractor.HopLeaseAsync), so at 10 requests/s each hop waits ~100 ms like a page request.
        var waits = new System.Collections.Concurrent.ConcurrentQueue<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name == ApiPipelineMetrics.RateLimitWaitTime)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == ApiPipelineTags.Extractor && Equals(tag.Value, "LimitedRows"))
                {
                    waits.Enqueue(value);
                }
            }
        });
        listener.Start();

        await using var api = await FaultServer.StartAsync((ctx, i) =>
        {
            if (!ctx.Request.Path.StartsWithSegments("/moved"))
            {
                ctx.Response.StatusCode = 307;
                ctx.Response.Headers.Location = "/moved" + ctx.Request.Path + ctx.Request.QueryString;
                return Task.CompletedTask;
            }

            return Faults.OffsetApi(5)(ctx, i);
        });

        var started = System.Diagnostics.Stopwatch.StartNew();
        var pages = await new LimitedRows(api.Options).PagesAsync(new Shard("a")).Within(30);
        var elapsed = started.Elapsed;

        Assert.Equal(Extract.Range(1, 5), pages.Ids());
        int requests = api.RequestCount; // every page is two requests: the 307 and the hop
        // Every request but the first waited ~100 ms for a token, the hops' included.
        Assert.True(waits.Count >= requests - 2, $"{waits.Count} waits counted for {requests} rate-limited requests over {elapsed.TotalSeconds:0.00} s (waited {waits.Sum():0.00} s counted)");
    }

    /// <summary>
    /// A redirect hop waits for the host's limiter too: when another request's 429 has paused the host for an hour meanwhile, the hop
    /// fails as RateLimited with the remaining wait as RetryAfter, as a page's own attempt does.
    /// </summary>
    [Fact]
    public async Task A_redirect_hop_refused_by_a_long_host_pause_carries_the_remaining_wait()
    {
        var aArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await FaultServer.StartAsync(async (ctx, i) =>
        {
            switch (ctx.Request.Path.Value)
            {
                case "/a/items":
                    aArrived.TrySetResult();
                    await release.Task;
                    ctx.Response.StatusCode = 302;
                    ctx.Response.Headers.Location = "/a/moved";
                    return;
                case "/b/items":
                    await Faults.TooManySeconds(ctx, 3600);
                    return;
                default:
                    await Faults.Json(ctx, Faults.Page(1, 0));
                    return;
            }
        });
        var options = server.Options with { Resilience = PlainRows.Definition.Resilience with { RateLimit = new RateLimitOptions { MaxConcurrent = 10 } } };

        var a = new PlainRows(options).PagesUntilErrorAsync(new Shard("a"));
        await aArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var (_, b) = await new PlainRows(options).PagesUntilErrorAsync(new Shard("b")).Within(10);
        Assert.Equal(ExtractionErrorKind.RateLimited, b.Kind); // the host is now paused for an hour
        release.SetResult();
        var (_, error) = await a.Within(10);

        Assert.Equal(ExtractionErrorKind.RateLimited, error.Kind);
        Assert.NotNull(error.RetryAfter);
        Assert.InRange(error.RetryAfter!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
    }
}
