using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ApiPipeline;

/// <summary>
/// The names under which ApiPipeline reports metrics (<see cref="Meter"/> <c>ApiPipeline</c>) and traces (<see cref="ActivitySource"/>
/// <c>ApiPipeline</c>). Subscribe with OpenTelemetry (<c>AddMeter(ApiPipelineTelemetry.MeterName)</c>,
/// <c>AddSource(ApiPipelineTelemetry.ActivitySourceName)</c>), <c>dotnet-counters monitor --counters ApiPipeline</c> or a
/// <see cref="MeterListener"/>. Nothing is measured, allocated or tagged while nothing listens.
/// </summary>
public static class ApiPipelineTelemetry
{
    /// <summary>The meter's name: <c>ApiPipeline</c>.</summary>
    public const string MeterName = "ApiPipeline";

    /// <summary>The activity source's name: <c>ApiPipeline</c>.</summary>
    public const string ActivitySourceName = "ApiPipeline";

    /// <summary>The meter every instrument belongs to.</summary>
    public static Meter Meter => Instruments.Meter;

    /// <summary>The activity source of run, chain-step and page spans.</summary>
    public static ActivitySource ActivitySource => Instruments.Source;
}

/// <summary>The names of ApiPipeline's instruments (OpenTelemetry semantic conventions where one exists, else <c>apipipeline.*</c>).</summary>
public static class ApiPipelineMetrics
{
    /// <summary>Histogram, seconds: one HTTP attempt from send to the whole body read (OpenTelemetry's <c>http.client.request.duration</c>).</summary>
    public const string RequestDuration = "http.client.request.duration";

    /// <summary>Counter, <c>{request}</c>: HTTP attempts, by extractor and status class (<c>2xx</c>, <c>4xx</c>, <c>5xx</c>, <c>error</c>).</summary>
    public const string Requests = "apipipeline.requests";

    /// <summary>Counter, <c>{page}</c>: pages read whole and valid.</summary>
    public const string Pages = "apipipeline.pages";

    /// <summary>Counter, <c>{page}</c>: pages the API answered <c>304 Not Modified</c> to a conditional request, skipped (by extractor).</summary>
    public const string PagesNotModified = "apipipeline.pages.not_modified";

    /// <summary>Counter, <c>{record}</c>: records extracted.</summary>
    public const string Records = "apipipeline.records";

    /// <summary>Counter, bytes: response bodies read.</summary>
    public const string BytesRead = "apipipeline.bytes_read";

    /// <summary>Counter, <c>{retry}</c>: attempts retried after a transient failure.</summary>
    public const string Retries = "apipipeline.retries";

    /// <summary>Counter, <c>{wait}</c>: requests that waited for the client-side rate limiter or a host pause.</summary>
    public const string RateLimitWaits = "apipipeline.rate_limit.waits";

    /// <summary>Counter, seconds: time spent waiting for the rate limiter, a host pause or a <c>Retry-After</c>.</summary>
    public const string RateLimitWaitTime = "apipipeline.rate_limit.wait_time";

    /// <summary>Counter, <c>{response}</c>: 429 Too Many Requests answers.</summary>
    public const string Throttled = "apipipeline.throttled";

    /// <summary>Counter, <c>{change}</c>: circuit-breaker state changes, by new state (<c>open</c>, <c>half_open</c>, <c>closed</c>).</summary>
    public const string CircuitBreakerStateChanges = "apipipeline.circuit_breaker.state_changes";

    /// <summary>Counter, <c>{item}</c>: failed pages or inputs written to a dead-letter file.</summary>
    public const string DeadLettered = "apipipeline.dead_lettered";

    /// <summary>Counter, <c>{batch}</c>: output batches committed.</summary>
    public const string OutputBatches = "apipipeline.output.batches";

    /// <summary>Counter, <c>{record}</c>: records committed to outputs.</summary>
    public const string OutputRecords = "apipipeline.output.records";

    /// <summary>Counter, bytes: bytes committed to outputs.</summary>
    public const string OutputBytes = "apipipeline.output.bytes";

    /// <summary>Gauge, seconds: how far the newest watermark committed lags behind now.</summary>
    public const string WatermarkLag = "apipipeline.watermark.lag";

    /// <summary>Counter, <c>{run}</c>: finished runs, by kind (<c>pipeline</c>, <c>chain</c>) and outcome (<c>succeeded</c>, <c>partial</c>, <c>failed</c>, <c>cancelled</c>).</summary>
    public const string Runs = "apipipeline.runs";

    /// <summary>Histogram, seconds: the duration of finished runs, by kind and outcome.</summary>
    public const string RunDuration = "apipipeline.run.duration";
}

/// <summary>Attribute (tag) names of metrics and spans.</summary>
public static class ApiPipelineTags
{
    /// <summary>The extractor's name.</summary>
    public const string Extractor = "apipipeline.extractor";

    /// <summary>The pipeline's id.</summary>
    public const string Pipeline = "apipipeline.pipeline";

    /// <summary>The chain's name.</summary>
    public const string Chain = "apipipeline.chain";

    /// <summary>The chain step's name.</summary>
    public const string Step = "apipipeline.step";

    /// <summary>The chain step's 1-based position.</summary>
    public const string StepIndex = "apipipeline.step.index";

    /// <summary>The page's 1-based number within its input's extraction.</summary>
    public const string PageNumber = "apipipeline.page.number";

    /// <summary>The records a page or run held.</summary>
    public const string RecordCount = "apipipeline.record.count";

    /// <summary>The attempts a page took.</summary>
    public const string Attempts = "apipipeline.attempts";

    /// <summary>The status class of a response: <c>2xx</c>, <c>3xx</c>, <c>4xx</c>, <c>5xx</c> or <c>error</c> (no response).</summary>
    public const string StatusClass = "apipipeline.status_class";

    /// <summary>The circuit breaker's new state.</summary>
    public const string CircuitState = "apipipeline.circuit_breaker.state";

    /// <summary>The kind of run: <c>pipeline</c> or <c>chain</c>.</summary>
    public const string RunKind = "apipipeline.run.kind";

    /// <summary>The outcome of a run: <c>succeeded</c>, <c>partial</c>, <c>failed</c> or <c>cancelled</c>.</summary>
    public const string Outcome = "apipipeline.run.outcome";

    /// <summary>The output's name.</summary>
    public const string Output = "apipipeline.output";

    /// <summary>The watermark's partition.</summary>
    public const string Partition = "apipipeline.partition";

    /// <summary>What waited: <c>rate_limiter</c> or <c>retry_after</c>.</summary>
    public const string WaitReason = "apipipeline.wait.reason";

    /// <summary>OpenTelemetry: the HTTP method.</summary>
    public const string HttpMethod = "http.request.method";

    /// <summary>OpenTelemetry: the HTTP status code.</summary>
    public const string HttpStatusCode = "http.response.status_code";

    /// <summary>OpenTelemetry: the host name.</summary>
    public const string ServerAddress = "server.address";

    /// <summary>OpenTelemetry: the port.</summary>
    public const string ServerPort = "server.port";

    /// <summary>OpenTelemetry: the URL, secrets redacted.</summary>
    public const string UrlFull = "url.full";

    /// <summary>OpenTelemetry: the kind of error (an <see cref="ExtractionErrorKind"/> or an exception type).</summary>
    public const string ErrorType = "error.type";
}
