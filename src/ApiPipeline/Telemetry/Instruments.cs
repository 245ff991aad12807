using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ApiPipeline;

/// <summary>
/// The instruments behind <see cref="ApiPipelineTelemetry"/> and the one place the engine reports to them. Every method checks
/// <see cref="Instrument.Enabled"/> before it builds a tag list, so with no listener a report costs a field read and a branch.
/// </summary>
internal static class Instruments
{
    internal static readonly string Version = typeof(Instruments).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static readonly Meter Meter = new(ApiPipelineTelemetry.MeterName, Version);

    public static readonly ActivitySource Source = new(ApiPipelineTelemetry.ActivitySourceName, Version);

    // OpenTelemetry's advice for http.client.request.duration.
    private static readonly double[] RequestBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
    private static readonly double[] RunBuckets = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

    private static readonly Histogram<double> RequestDuration = Meter.CreateHistogram(
        ApiPipelineMetrics.RequestDuration, "s", "Duration of HTTP client requests (send to the whole body read).", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RequestBuckets });

    private static readonly Counter<long> RequestCount = Meter.CreateCounter<long>(ApiPipelineMetrics.Requests, "{request}", "HTTP attempts sent, by extractor and status class.");
    private static readonly Counter<long> PageCount = Meter.CreateCounter<long>(ApiPipelineMetrics.Pages, "{page}", "Pages read whole and valid.");
    private static readonly Counter<long> NotModifiedCount = Meter.CreateCounter<long>(ApiPipelineMetrics.PagesNotModified, "{page}", "Pages answered 304 Not Modified to a conditional request, skipped.");
    private static readonly Counter<long> RecordCount = Meter.CreateCounter<long>(ApiPipelineMetrics.Records, "{record}", "Records extracted.");
    private static readonly Counter<long> ByteCount = Meter.CreateCounter<long>(ApiPipelineMetrics.BytesRead, "By", "Response body bytes read.");
    private static readonly Counter<long> RetryCount = Meter.CreateCounter<long>(ApiPipelineMetrics.Retries, "{retry}", "Attempts retried after a transient failure.");
    private static readonly Counter<long> WaitCount = Meter.CreateCounter<long>(ApiPipelineMetrics.RateLimitWaits, "{wait}", "Requests that waited for the rate limiter, a host pause or a Retry-After.");
    private static readonly Counter<double> WaitTime = Meter.CreateCounter<double>(ApiPipelineMetrics.RateLimitWaitTime, "s", "Time spent waiting for the rate limiter, a host pause or a Retry-After.");
    private static readonly Counter<long> ThrottledCount = Meter.CreateCounter<long>(ApiPipelineMetrics.Throttled, "{response}", "429 Too Many Requests answers.");
    private static readonly Counter<long> BreakerChanges = Meter.CreateCounter<long>(ApiPipelineMetrics.CircuitBreakerStateChanges, "{change}", "Circuit-breaker state changes, by new state.");
    private static readonly Counter<long> DeadLetterCount = Meter.CreateCounter<long>(ApiPipelineMetrics.DeadLettered, "{item}", "Entries appended to a dead-letter file: failed pages, inputs and records, and late records.");
    private static readonly Counter<long> BatchCount = Meter.CreateCounter<long>(ApiPipelineMetrics.OutputBatches, "{batch}", "Output batches committed.");
    private static readonly Counter<long> OutputRecordCount = Meter.CreateCounter<long>(ApiPipelineMetrics.OutputRecords, "{record}", "Records committed to outputs.");
    private static readonly Counter<long> OutputByteCount = Meter.CreateCounter<long>(ApiPipelineMetrics.OutputBytes, "By", "Bytes committed to outputs.");
    private static readonly Gauge<double> WatermarkLagGauge = Meter.CreateGauge<double>(ApiPipelineMetrics.WatermarkLag, "s", "How far the newest committed watermark lags behind now.");
    private static readonly Counter<long> RunCount = Meter.CreateCounter<long>(ApiPipelineMetrics.Runs, "{run}", "Finished runs, by kind and outcome.");

    private static readonly Histogram<double> RunDuration = Meter.CreateHistogram(
        ApiPipelineMetrics.RunDuration, "s", "Duration of finished runs, by kind and outcome.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RunBuckets });

    /// <summary>Whether anything listens to the per-request instruments (so the caller may skip taking timestamps).</summary>
    public static bool RequestsEnabled => RequestDuration.Enabled || RequestCount.Enabled || ThrottledCount.Enabled;

    /// <summary>One HTTP attempt: its duration, status (0 when no response came) and, for failures, the kind of error.</summary>
    public static void Request(string extractor, Uri url, int status, string? errorType, double seconds)
    {
        if (RequestDuration.Enabled)
        {
            var tags = new TagList
            {
                { ApiPipelineTags.HttpMethod, "GET" },
                { ApiPipelineTags.ServerAddress, url.Host },
                { ApiPipelineTags.ServerPort, url.Port },
                { ApiPipelineTags.Extractor, extractor },
            };
            if (status > 0)
            {
                tags.Add(ApiPipelineTags.HttpStatusCode, status);
            }

            if (errorType is not null)
            {
                tags.Add(ApiPipelineTags.ErrorType, errorType);
            }

            RequestDuration.Record(seconds, tags);
        }

        if (RequestCount.Enabled)
        {
            RequestCount.Add(1, new KeyValuePair<string, object?>(ApiPipelineTags.Extractor, extractor), new KeyValuePair<string, object?>(ApiPipelineTags.StatusClass, StatusClass(status)));
        }

        if (status == 429 && ThrottledCount.Enabled)
        {
            ThrottledCount.Add(1, new KeyValuePair<string, object?>(ApiPipelineTags.Extractor, extractor), new KeyValuePair<string, object?>(ApiPipelineTags.ServerAddress, url.Host));
        }
    }

    /// <summary>A page the API answered <c>304 Not Modified</c> to a conditional request.</summary>
    public static void PageNotModified(string extractor)
    {
        if (NotModifiedCount.Enabled)
        {
            NotModifiedCount.Add(1, new KeyValuePair<string, object?>(ApiPipelineTags.Extractor, extractor));
        }
    }

    /// <summary>A page read whole: its records and body size.</summary>
    public static void Page(string extractor, int records, long bytes)
    {
        var tag = new KeyValuePair<string, object?>(ApiPipelineTags.Extractor, extractor);
        if (PageCount.Enabled)
        {
            PageCount.Add(1, tag);
        }

        if (RecordCount.Enabled && records > 0)
        {
            RecordCount.Add(records, tag);
        }

        if (ByteCount.Enabled && bytes > 0)
        {
            ByteCount.Add(bytes, tag);
        }
    }

    /// <summary>A retry is about to wait <paramref name="delay"/>; a wait for a 429's <c>Retry-After</c> counts as a rate-limit wait too.</summary>
    public static void Retry(string extractor, bool throttled, TimeSpan delay)
    {
        var tag = new KeyValuePair<string, object?>(ApiPipelineTags.Extractor, extractor);
        if (RetryCount.Enabled)
        {
            RetryCount.Add(1, tag);
        }

        if (throttled)
        {
            Wait(extractor, "retry_after", delay);
        }
    }

    /// <summary>A request waited for the rate limiter (or a host pause), or a retry for the API's <c>Retry-After</c>.</summary>
    public static void Wait(string extractor, string reason, TimeSpan waited)
    {
        if (WaitCount.Enabled)
        {
            WaitCount.Add(1, new KeyValuePair<string, object?>(ApiPipelineTags.Extractor, extractor), new KeyValuePair<string, object?>(ApiPipelineTags.WaitReason, reason));
        }

        if (WaitTime.Enabled)
        {
            WaitTime.Add(waited.TotalSeconds, new KeyValuePair<string, object?>(ApiPipelineTags.Extractor, extractor), new KeyValuePair<string, object?>(ApiPipelineTags.WaitReason, reason));
        }
    }

    /// <summary>The circuit breaker of <paramref name="extractor"/> changed to <paramref name="state"/> (<c>open</c>, <c>half_open</c>, <c>closed</c>).</summary>
    public static void CircuitStateChanged(string extractor, string state)
    {
        if (BreakerChanges.Enabled)
        {
            BreakerChanges.Add(1, new KeyValuePair<string, object?>(ApiPipelineTags.Extractor, extractor), new KeyValuePair<string, object?>(ApiPipelineTags.CircuitState, state));
        }
    }

    /// <summary>An entry was appended to a dead-letter file.</summary>
    public static void DeadLettered(string pipeline, string extractor)
    {
        if (DeadLetterCount.Enabled)
        {
            DeadLetterCount.Add(1, new KeyValuePair<string, object?>(ApiPipelineTags.Pipeline, pipeline), new KeyValuePair<string, object?>(ApiPipelineTags.Extractor, extractor));
        }
    }

    /// <summary>An output batch was committed.</summary>
    public static void Batch(string pipeline, long records, long bytes)
    {
        var tag = new KeyValuePair<string, object?>(ApiPipelineTags.Pipeline, pipeline);
        if (BatchCount.Enabled)
        {
            BatchCount.Add(1, tag);
        }

        if (OutputRecordCount.Enabled && records > 0)
        {
            OutputRecordCount.Add(records, tag);
        }

        if (OutputByteCount.Enabled && bytes > 0)
        {
            OutputByteCount.Add(bytes, tag);
        }
    }

    /// <summary>The newest watermark committed for a partition, as its lag behind <paramref name="now"/>.</summary>
    public static void WatermarkLag(string pipeline, string partition, DateTimeOffset watermark, DateTimeOffset now)
    {
        if (WatermarkLagGauge.Enabled)
        {
            WatermarkLagGauge.Record(Math.Max(0, (now - watermark).TotalSeconds), new KeyValuePair<string, object?>(ApiPipelineTags.Pipeline, pipeline), new KeyValuePair<string, object?>(ApiPipelineTags.Partition, partition));
        }
    }

    /// <summary>A run finished.</summary>
    public static void Run(string kind, string name, PipelineStatus status, TimeSpan duration)
    {
        if (!RunCount.Enabled && !RunDuration.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { ApiPipelineTags.RunKind, kind },
            { kind == "chain" ? ApiPipelineTags.Chain : ApiPipelineTags.Pipeline, name },
            { ApiPipelineTags.Outcome, Outcome(status) },
        };
        RunCount.Add(1, tags);
        RunDuration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>Starts a span when something listens; <see langword="null"/> otherwise.</summary>
    public static Activity? StartSpan(string name, ActivityKind kind = ActivityKind.Internal)
        => Source.HasListeners() ? Source.StartActivity(name, kind) : null;

    /// <summary>Marks a span failed with the error's kind.</summary>
    public static void Fail(Activity? span, Exception error)
    {
        if (span is null)
        {
            return;
        }

        span.SetStatus(ActivityStatusCode.Error, error is ExtractionException ex ? ex.Kind.ToString() : error.GetType().Name);
        span.SetTag(ApiPipelineTags.ErrorType, error is ExtractionException e ? e.Kind.ToString() : error.GetType().FullName);
    }

    /// <summary>The outcome's tag value.</summary>
    public static string Outcome(PipelineStatus status) => status switch
    {
        PipelineStatus.Succeeded => "succeeded",
        PipelineStatus.PartialSuccess => "partial",
        PipelineStatus.Cancelled => "cancelled",
        _ => "failed",
    };

    private static string StatusClass(int status) => status switch
    {
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        >= 500 and < 600 => "5xx",
        _ => "error",
    };
}
