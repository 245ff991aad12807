using System.Globalization;
using System.Text;

namespace ApiPipeline;

/// <summary>
/// What a pipeline or chain run did, in the numbers people look at after a run: records, pages, requests, retries, time throttled,
/// failures, duration, records per second, output files, the new watermark and the outcome. Built from a <see cref="PipelineResult"/>
/// or <see cref="ChainResult"/>; <see cref="ToText"/> prints it, <see cref="ExitCode"/> maps the outcome to a process exit code.
/// </summary>
public sealed record RunSummary
{
    /// <summary>What ran: <c>pipeline</c> or <c>chain</c> (or <c>step</c> for a chain's step).</summary>
    public required string Kind { get; init; }

    /// <summary>The pipeline's id or the chain's id.</summary>
    public required string Name { get; init; }

    /// <summary>The outcome: succeeded, partly succeeded, failed or cancelled.</summary>
    public required PipelineStatus Outcome { get; init; }

    /// <summary>Records committed to the output.</summary>
    public long Records { get; init; }

    /// <summary>Pages read.</summary>
    public long Pages { get; init; }

    /// <summary>Pages the API answered <c>304 Not Modified</c> to a conditional request, skipped (counted in <see cref="Pages"/>).</summary>
    public long PagesNotModified { get; init; }

    /// <summary>HTTP attempts sent: pages plus retries, and those of pages fetched ahead and dropped past the last page.</summary>
    public long Requests { get; init; }

    /// <summary>Retries.</summary>
    public long Retries { get; init; }

    /// <summary>Time spent waiting for rate limits: the client-side limiter, host pauses and the API's <c>Retry-After</c>.</summary>
    public TimeSpan Throttled { get; init; }

    /// <summary>Pages or inputs that failed after retries and were skipped (or that stopped the run).</summary>
    public long Failures { get; init; }

    /// <summary>Failures skipped as expected (<see cref="ErrorMode.Skip"/>).</summary>
    public long Skipped { get; init; }

    /// <summary>Failures written to the dead-letter file.</summary>
    public long DeadLettered { get; init; }

    /// <summary>Wall-clock duration.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Records per second over the run.</summary>
    public double RecordsPerSecond => Duration > TimeSpan.Zero ? Records / Duration.TotalSeconds : 0;

    /// <summary>The files committed, in order.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>The newest watermark the run committed, if the run is incremental.</summary>
    public WatermarkValue? NewWatermark { get; init; }

    /// <summary>The dead-letter file, when the run wrote to it.</summary>
    public string? DeadLetterFile { get; init; }

    /// <summary>Why the run failed, if it did (the message only; secrets are redacted by the engine).</summary>
    public string? Error { get; init; }

    /// <summary>For a chain: one summary per step, in order.</summary>
    public IReadOnlyList<RunSummary> Steps { get; init; } = [];

    /// <summary>The process exit code for the outcome: 0 succeeded, 2 partly succeeded, 1 failed or cancelled.</summary>
    public int ExitCode => ExitCodeOf(Outcome);

    /// <summary>The process exit code for an outcome: 0 succeeded, 2 partly succeeded, 1 failed or cancelled.</summary>
    /// <param name="outcome">The outcome.</param>
    public static int ExitCodeOf(PipelineStatus outcome) => outcome switch
    {
        PipelineStatus.Succeeded => 0,
        PipelineStatus.PartialSuccess => 2,
        _ => 1,
    };

    /// <summary>The summary of a pipeline run.</summary>
    /// <param name="result">The run's result.</param>
    public static RunSummary From(PipelineResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new RunSummary
        {
            Kind = "pipeline",
            Name = result.PipelineId,
            Outcome = result.Status,
            Records = result.Records,
            Pages = result.Pages,
            PagesNotModified = result.PagesNotModified,
            Requests = result.Requests,
            Retries = result.Retries,
            Throttled = result.Throttled,
            Failures = result.Failures + (result.Status == PipelineStatus.Failed ? 1 : 0),
            Skipped = result.Skipped,
            DeadLettered = result.DeadLettered,
            Duration = result.Duration,
            Files = result.Files,
            NewWatermark = result.Watermark,
            DeadLetterFile = result.DeadLetterFile,
            Error = result.Error?.Message,
        };
    }

    /// <summary>The summary of a chain run, with one per step.</summary>
    /// <param name="result">The run's result.</param>
    public static RunSummary From(ChainResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var steps = result.Steps.Select(s => new RunSummary
        {
            Kind = "step",
            Name = s.Name,
            Outcome = s.Status,
            Records = s.Records,
            Pages = s.Pages,
            Requests = s.Requests,
            Retries = s.Retries,
            Throttled = s.Throttled,
            Failures = s.Failures,
            Skipped = s.Skipped,
            DeadLettered = s.DeadLettered,
        }).ToList();
        return new RunSummary
        {
            Kind = "chain",
            Name = result.ChainId,
            Outcome = result.Status,
            Records = result.Records,
            Pages = steps.Sum(s => s.Pages),
            Requests = steps.Sum(s => s.Requests),
            Retries = steps.Sum(s => s.Retries),
            Throttled = TimeSpan.FromTicks(steps.Sum(s => s.Throttled.Ticks)),
            Failures = steps.Sum(s => s.Failures), // ChainResult.Failures lists at most ChainResult.MaxFailures
            Skipped = steps.Sum(s => s.Skipped),
            DeadLettered = steps.Sum(s => s.DeadLettered),
            Duration = result.Duration,
            Files = result.Files,
            DeadLetterFile = result.DeadLetterFile,
            Error = result.Error?.Message,
            Steps = steps,
        };
    }

    /// <summary>One summary of several runs (e.g. every pipeline a program ran): counts add up, the worst outcome wins.</summary>
    /// <param name="name">The name of the whole.</param>
    /// <param name="runs">The runs.</param>
    public static RunSummary Combine(string name, IEnumerable<RunSummary> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var list = runs.ToList();
        var outcome = list.Count == 0 ? PipelineStatus.Succeeded
            : list.Any(r => r.Outcome == PipelineStatus.Failed) ? PipelineStatus.Failed
            : list.Any(r => r.Outcome == PipelineStatus.Cancelled) ? PipelineStatus.Cancelled
            : list.Any(r => r.Outcome == PipelineStatus.PartialSuccess) ? PipelineStatus.PartialSuccess
            : PipelineStatus.Succeeded;
        return new RunSummary
        {
            Kind = "runs",
            Name = name,
            Outcome = outcome,
            Records = list.Sum(r => r.Records),
            Pages = list.Sum(r => r.Pages),
            Requests = list.Sum(r => r.Requests),
            Retries = list.Sum(r => r.Retries),
            Throttled = TimeSpan.FromTicks(list.Sum(r => r.Throttled.Ticks)),
            Failures = list.Sum(r => r.Failures),
            Skipped = list.Sum(r => r.Skipped),
            DeadLettered = list.Sum(r => r.DeadLettered),
            Duration = TimeSpan.FromTicks(list.Sum(r => r.Duration.Ticks)),
            Files = [.. list.SelectMany(r => r.Files)],
            NewWatermark = list.Max(r => r.NewWatermark),
            Error = list.Select(r => r.Error).FirstOrDefault(e => e is not null),
            Steps = list,
        };
    }

    /// <summary>The outcome as a word: <c>succeeded</c>, <c>partial</c>, <c>failed</c>, <c>cancelled</c>.</summary>
    public string OutcomeText => Instruments.Outcome(Outcome);

    /// <summary>The summary as a block of plain text, one figure per line (invariant culture).</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"{Kind} '{Name}': {OutcomeText}").AppendLine();
        text.Append(c, $"  records     {Records,12:N0}   {RecordsPerSecond:N0} records/s").AppendLine();
        text.Append(c, $"  pages       {Pages,12:N0}").Append(PagesNotModified > 0 ? string.Create(c, $"   {PagesNotModified:N0} not modified") : "").AppendLine();
        text.Append(c, $"  requests    {Requests,12:N0}   {Retries:N0} retries").AppendLine();
        text.Append(c, $"  throttled   {Throttled.TotalSeconds,12:0.000} s").AppendLine();
        text.Append(c, $"  failures    {Failures,12:N0}").Append(Skipped > 0 ? string.Create(c, $"   {Skipped:N0} skipped") : "").Append(DeadLettered > 0 ? string.Create(c, $"   {DeadLettered:N0} dead-lettered") : "").AppendLine();
        text.Append(c, $"  duration    {Duration.TotalSeconds,12:0.000} s").AppendLine();
        text.Append(c, $"  files       {Files.Count,12:N0}").AppendLine();
        if (NewWatermark is { } mark)
        {
            text.Append(c, $"  watermark   {mark.ToQueryText()}").AppendLine();
        }

        if (DeadLetterFile is not null)
        {
            text.Append(c, $"  dead letter {DeadLetterFile}").AppendLine();
        }

        if (Error is not null)
        {
            text.Append(c, $"  error       {Error}").AppendLine();
        }

        if (Steps.Count > 0)
        {
            text.AppendLine(string.Create(c, $"  {"",-2}{"name",-20} {"outcome",-10} {"records",10} {"pages",8} {"requests",9} {"retries",8} {"failures",8}"));
            foreach (var s in Steps)
            {
                text.AppendLine(string.Create(c, $"  - {Truncate(s.Name, 19),-19} {s.OutcomeText,-10} {s.Records,10:N0} {s.Pages,8:N0} {s.Requests,9:N0} {s.Retries,8:N0} {s.Failures,8:N0}"));
            }
        }

        return text.ToString();
    }

    /// <summary>The summary on one line.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Kind} '{Name}' {OutcomeText}: {Records:N0} records, {Pages:N0} pages{(PagesNotModified > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({PagesNotModified:N0} not modified)") : "")}, {Requests:N0} requests, {Retries:N0} retries, throttled {Throttled.TotalSeconds:0.###} s, {Failures:N0} failures, {Duration.TotalSeconds:0.###} s ({RecordsPerSecond:N0} records/s), {Files.Count} files");

    /// <summary>
    /// Logs the summary line (event 1002) and, for a failed run, the failure (event 1003): an expected failure (<see cref="IsExpected"/>)
    /// by its messages alone, which say what happened (a stack trace of a refused connection only buries them); any other with the
    /// exception, whose stack trace tells where the bug is.
    /// </summary>
    internal void LogTo(Microsoft.Extensions.Logging.ILogger logger, Exception? error)
    {
        if (error is not null && Outcome == PipelineStatus.Failed)
        {
            if (IsExpected(error))
            {
                Log.RunFailed(logger, null, Kind, Name, Records, Messages(error));
            }
            else
            {
                Log.RunFailed(logger, error, Kind, Name, Records, error.Message);
            }
        }

        if (PagesNotModified > 0)
        {
            Log.PagesNotModified(logger, Kind, Name, PagesNotModified);
        }

        Log.RunFinished(logger, Kind, Name, OutcomeText, Records, Pages, Requests, Retries, Failures, Throttled.TotalSeconds, Duration.TotalSeconds, RecordsPerSecond, Files.Count, NewWatermark?.ToString() ?? "none");
    }

    /// <summary>
    /// Whether <paramref name="error"/> is a failure a run is built to meet and whose message says all there is to know: the API's
    /// (<see cref="ExtractionException"/>), the state store's, a configuration's, a chain's state or mapping, or a chain step's that
    /// failed with one of those.
    /// </summary>
    internal static bool IsExpected(Exception error) => error switch
    {
        ExtractionException or StateStoreException or ConfigException or ChainStateException or ChainMappingException => true,
        ChainStepException step => step.InnerException is null || IsExpected(step.InnerException),
        _ => false,
    };

    /// <summary>
    /// The message of <paramref name="error"/>, then each inner exception's that it does not already hold, after <c>---&gt;</c>, down to an
    /// <see cref="ExtractionException"/>: its message already says what its inner one did, with secrets scrubbed (the inner one, a
    /// transport's, may name the request URI with a query API key).
    /// </summary>
    internal static string Messages(Exception error)
    {
        var text = new StringBuilder(error.Message);
        for (var inner = error is ExtractionException ? null : error.InnerException; inner is not null; inner = inner is ExtractionException ? null : inner.InnerException)
        {
            if (!text.ToString().Contains(inner.Message, StringComparison.Ordinal))
            {
                text.Append(" ---> ").Append(inner.Message);
            }
        }

        return text.ToString();
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
