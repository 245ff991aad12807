using Microsoft.Extensions.Logging;

namespace ApiPipeline;

/// <summary>
/// Every log line the runtime writes, source-generated (<see cref="LoggerMessageAttribute"/>): no formatting, boxing or allocation
/// unless the level is enabled. Event ids are stable (1xxx runs, 2xxx requests and pages, 3xxx output and state, 4xxx chains); URLs
/// are always redacted and secrets never appear.
/// </summary>
internal static partial class Log
{
    /// <summary>The category every runtime logger uses.</summary>
    public const string Category = "ApiPipeline";

    [LoggerMessage(EventId = 1001, EventName = "RunStarting", Level = LogLevel.Information,
        Message = "Starting {RunKind} '{Name}': extractor {Extractor} from {Source}, watermark {Watermark}")]
    public static partial void RunStarting(ILogger logger, string runKind, string name, string extractor, string source, string watermark);

    [LoggerMessage(EventId = 1002, EventName = "RunFinished", Level = LogLevel.Information,
        Message = "{RunKind} '{Name}' {Outcome}: {Records} records, {Pages} pages, {Requests} requests, {Retries} retries, {Failures} failures, throttled {ThrottledSeconds:0.###} s, in {Seconds:0.###} s ({RecordsPerSecond:0} records/s), {Files} files, watermark {Watermark}")]
    public static partial void RunFinished(ILogger logger, string runKind, string name, string outcome, long records, long pages, long requests, long retries, long failures, double throttledSeconds, double seconds, double recordsPerSecond, int files, string watermark);

    /// <summary>A run failed: <paramref name="error"/> carries the stack trace of an unexpected failure, none for an expected one.</summary>
    [LoggerMessage(EventId = 1003, EventName = "RunFailed", Level = LogLevel.Error,
        Message = "{RunKind} '{Name}' failed after {Records} records: {Reason}")]
    public static partial void RunFailed(ILogger logger, Exception? error, string runKind, string name, long records, string reason);

    [LoggerMessage(EventId = 1004, EventName = "PagesNotModified", Level = LogLevel.Information,
        Message = "{RunKind} '{Name}': {Pages} pages not modified since they were written (304 to a conditional request), skipped")]
    public static partial void PagesNotModified(ILogger logger, string runKind, string name, long pages);

    [LoggerMessage(EventId = 2001, EventName = "Retrying", Level = LogLevel.Warning,
        Message = "Extractor '{Extractor}' page {Page}: attempt {Attempt} failed ({ErrorKind}{Status}); retrying in {DelaySeconds:0.###} s")]
    public static partial void Retrying(ILogger logger, string extractor, int page, int attempt, string errorKind, string status, double delaySeconds);

    [LoggerMessage(EventId = 2002, EventName = "RateLimitWait", Level = LogLevel.Information,
        Message = "Extractor '{Extractor}': waited {WaitSeconds:0.###} s for the rate limit (client-side limiter or a host pause)")]
    public static partial void RateLimitWait(ILogger logger, string extractor, double waitSeconds);

    [LoggerMessage(EventId = 2003, EventName = "Throttled", Level = LogLevel.Warning,
        Message = "Extractor '{Extractor}' page {Page}: the API answered 429 Too Many Requests{RetryAfter}")]
    public static partial void Throttled(ILogger logger, string extractor, int page, string retryAfter);

    [LoggerMessage(EventId = 2004, EventName = "CircuitStateChanged", Level = LogLevel.Warning,
        Message = "Extractor '{Extractor}': circuit breaker {State}")]
    public static partial void CircuitStateChanged(ILogger logger, string extractor, string state);

    [LoggerMessage(EventId = 2005, EventName = "PageRead", Level = LogLevel.Debug,
        Message = "Extractor '{Extractor}' page {Page}: {Records} records, {Bytes} bytes, {Attempts} attempt(s), {Url}")]
    public static partial void PageRead(ILogger logger, string extractor, int page, int records, long bytes, int attempts, string url);

    [LoggerMessage(EventId = 2006, EventName = "FailureSkipped", Level = LogLevel.Warning,
        Message = "{RunKind} '{Name}': {Skipped} skipped after {Attempts} attempt(s) ({ErrorKind}): {Reason}")]
    public static partial void FailureSkipped(ILogger logger, string runKind, string name, string skipped, int attempts, string errorKind, string reason);

    [LoggerMessage(EventId = 2007, EventName = "TokenRefreshFailed", Level = LogLevel.Warning,
        Message = "Extractor '{Extractor}': refreshing the OAuth 2.0 token failed ({Reason}); the current one, valid until {ExpiresAt:O}, is used meanwhile and the next request tries again")]
    public static partial void TokenRefreshFailed(ILogger logger, string extractor, string reason, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 2008, EventName = "TokenLifetimeNotPositive", Level = LogLevel.Warning,
        Message = "Extractor '{Extractor}': the token endpoint returned a non-positive lifetime (expires_in <= 0), so a token is requested for every request")]
    public static partial void TokenLifetimeNotPositive(ILogger logger, string extractor);

    [LoggerMessage(EventId = 2009, EventName = "LeadRefused", Level = LogLevel.Warning,
        Message = "Extractor '{Extractor}' page {Page}: the API refused {Url} ({Status}), where an unchanged page (304) led when it was written; asking that page again in full to follow where it leads now")]
    public static partial void LeadRefused(ILogger logger, string extractor, int page, string url, int status);

    [LoggerMessage(EventId = 3001, EventName = "BatchCommitted", Level = LogLevel.Debug,
        Message = "{RunKind} '{Name}': committed {Records} records ({Bytes} bytes) in {Files} file(s)")]
    public static partial void BatchCommitted(ILogger logger, string runKind, string name, long records, long bytes, int files);

    [LoggerMessage(EventId = 3002, EventName = "DeadLettered", Level = LogLevel.Warning,
        Message = "{RunKind} '{Name}': failure goes to the dead-letter file {Path} with the next commit")]
    public static partial void DeadLettered(ILogger logger, string runKind, string name, string path);

    [LoggerMessage(EventId = 3003, EventName = "WaitingForOutput", Level = LogLevel.Warning,
        Message = "{RunKind} '{Name}': waiting for another run writing to {Folder} to finish (lock: {LockFile})")]
    public static partial void WaitingForOutput(ILogger logger, string runKind, string name, string folder, string lockFile);

    [LoggerMessage(EventId = 4001, EventName = "StepStarting", Level = LogLevel.Information,
        Message = "Chain '{Chain}' step {Index} '{Step}' ({Mode}) starting, extractor {Extractor}")]
    public static partial void StepStarting(ILogger logger, string chain, int index, string step, string mode, string extractor);

    [LoggerMessage(EventId = 4002, EventName = "StepFinished", Level = LogLevel.Information,
        Message = "Chain '{Chain}' step {Index} '{Step}' {Outcome}: {Inputs} inputs, {Pages} pages, {Records} records, {Requests} requests, {Failures} failures")]
    public static partial void StepFinished(ILogger logger, string chain, int index, string step, string outcome, long inputs, long pages, long records, long requests, long failures);
}
