using Microsoft.Extensions.Logging;

namespace ApiPipeline.Hosting;

/// <summary>The host's log lines (event ids 5xxx), source-generated.</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 5001, EventName = "RunSummary", Level = LogLevel.Information, Message = "{Summary}")]
    public static partial void RunSummary(ILogger logger, string summary);

    [LoggerMessage(EventId = 5002, EventName = "Progress", Level = LogLevel.Information,
        Message = "progress: {Records} records ({RecordsPerSecond:0}/s), {Pages} pages, {Requests} requests, {Retries} retries, {Throttled} x 429, waited {WaitSeconds:0.#} s, {Elapsed:0.#} s elapsed")]
    public static partial void Progress(ILogger logger, long records, double recordsPerSecond, long pages, long requests, long retries, long throttled, double waitSeconds, double elapsed);

    [LoggerMessage(EventId = 5003, EventName = "ScheduledRunStarting", Level = LogLevel.Information, Message = "Schedule '{Schedule}': running '{Target}'")]
    public static partial void ScheduledRunStarting(ILogger logger, string schedule, string target);

    [LoggerMessage(EventId = 5004, EventName = "ScheduledRunFailed", Level = LogLevel.Error, Message = "Schedule '{Schedule}': '{Target}' could not run; next try in {Every}")]
    public static partial void ScheduledRunFailed(ILogger logger, Exception error, string schedule, string target, TimeSpan every);

    /// <summary>A scheduled run's end: Information when it succeeded, Warning for a partial success, Error when it failed or was cancelled.</summary>
    [LoggerMessage(EventId = 5005, EventName = "ScheduledRunFinished", Message = "Schedule '{Schedule}': {Summary}; next run in {Every}")]
    public static partial void ScheduledRunFinished(ILogger logger, LogLevel level, string schedule, string summary, TimeSpan every);

    /// <summary>
    /// A run waits for another run of its pipeline into the same output folder (here or in another process) to end: a Warning, so it
    /// shows beside live progress too, which only shows warnings and errors.
    /// </summary>
    [LoggerMessage(EventId = 5006, EventName = "WaitingForTurn", Level = LogLevel.Warning, Message = "Waiting for another run of '{Pipeline}' to finish (lock: {Lock})")]
    public static partial void WaitingForTurn(ILogger logger, string pipeline, string @lock);
}
