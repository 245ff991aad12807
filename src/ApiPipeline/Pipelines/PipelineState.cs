namespace ApiPipeline;

/// <summary>Where a pipeline is in its life.</summary>
public enum PipelineStatus
{
    /// <summary>Registered, never run.</summary>
    Created,

    /// <summary>A run is in progress.</summary>
    Running,

    /// <summary>The last run extracted and committed everything.</summary>
    Succeeded,

    /// <summary>The last run stopped on an error; every page before the failure was committed.</summary>
    Failed,

    /// <summary>The last run was cancelled; every page read before that was committed.</summary>
    Cancelled,

    /// <summary>
    /// The last run went to the end, but some pages or inputs failed and were skipped (<see cref="ErrorMode.Continue"/>,
    /// <see cref="ErrorMode.DeadLetter"/>): see <see cref="PipelineResult.Failures"/> and <see cref="PipelineResult.Errors"/>.
    /// </summary>
    PartialSuccess,
}

/// <summary>An immutable snapshot of a pipeline; each transition makes a new one.</summary>
/// <param name="Id">The pipeline's id.</param>
/// <param name="Status">Where it is.</param>
/// <param name="Records">Records written in the current or last run.</param>
/// <param name="Pages">Pages read in the current or last run.</param>
/// <param name="StartedAt">When the current or last run started.</param>
/// <param name="FinishedAt">When the last run finished.</param>
/// <param name="Watermark">The newest stored watermark after the last completed incremental run.</param>
/// <param name="LastError">The last run's error message, if it failed, or the last skipped failure's.</param>
/// <param name="Requests">Attempts sent in the current or last run (pages plus retries, and pages fetched ahead and dropped).</param>
/// <param name="Retries">Retries in the current or last run.</param>
/// <param name="Failures">Pages or inputs that failed after retries and were skipped.</param>
/// <param name="Skipped">Failures skipped under <see cref="ErrorMode.Skip"/>, not counted as failures.</param>
/// <param name="DeadLettered">Failures written to the dead-letter file.</param>
public sealed record PipelineState(
    string Id,
    PipelineStatus Status,
    long Records = 0,
    long Pages = 0,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    string? LastError = null,
    long Requests = 0,
    long Retries = 0,
    long Failures = 0,
    long Skipped = 0,
    long DeadLettered = 0,
    WatermarkValue? Watermark = null);

/// <summary>The outcome of one run.</summary>
public sealed record PipelineResult
{
    /// <summary>The pipeline's id.</summary>
    public required string PipelineId { get; init; }

    /// <summary>The most failures kept in <see cref="Errors"/>.</summary>
    public const int MaxErrors = 100;

    /// <summary>
    /// <see cref="PipelineStatus.Succeeded"/>, <see cref="PipelineStatus.PartialSuccess"/> (some pages or inputs failed and were skipped),
    /// <see cref="PipelineStatus.Failed"/> or <see cref="PipelineStatus.Cancelled"/>.
    /// </summary>
    public required PipelineStatus Status { get; init; }

    /// <summary>Records committed to the output.</summary>
    public long Records { get; init; }

    /// <summary>Pages read.</summary>
    public long Pages { get; init; }

    /// <summary>
    /// Pages the API answered <c>304 Not Modified</c> to a conditional request (<see cref="ConditionalRequestsAttribute"/>): their records were
    /// written by an earlier run, so they were skipped. Counted in <see cref="Pages"/>, not in <see cref="Records"/>.
    /// </summary>
    public long PagesNotModified { get; init; }

    /// <summary>Response bytes read.</summary>
    public long BytesRead { get; init; }

    /// <summary>The run's number in the state store (1 without one).</summary>
    public long RunId { get; init; }

    /// <summary>Whether the run continued an interrupted one from its last committed checkpoint.</summary>
    public bool Resumed { get; init; }

    /// <summary>Time the run's pages waited for rate limits (the client-side limiter, host pauses, the API's <c>Retry-After</c>).</summary>
    public TimeSpan Throttled { get; init; }

    /// <summary>The newest watermark after the run: advanced if the run completed, else the stored one.</summary>
    public WatermarkValue? Watermark { get; init; }

    /// <summary>Records dropped because an earlier run already wrote them (same key, same watermark value; read again by the lag).</summary>
    public long Duplicates { get; init; }

    /// <summary>Records older than the stored watermark minus the allowed lateness (written or dropped per <see cref="WatermarkOptions{T}.Late"/>).</summary>
    public long LateRecords { get; init; }

    /// <summary>Records outside the run's watermark range, dropped (an API that ignores the range parameters).</summary>
    public long OutOfRange { get; init; }

    /// <summary>Wall-clock duration of the run.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The files committed, in order.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Why the run failed, if it did.</summary>
    public Exception? Error { get; init; }

    /// <summary>
    /// Attempts sent: one per page, plus one per retry, plus those sent for pages fetched ahead (<see cref="PaginationOptions.MaxConcurrent"/>)
    /// and dropped past the last page or at a failure (<see cref="PageInfo.DroppedRequests"/>), plus, with conditional requests, those of
    /// a page a 304 led to that the API refused.
    /// </summary>
    public long Requests { get; init; }

    /// <summary>Retries made (attempts beyond the first of each page).</summary>
    public long Retries { get; init; }

    /// <summary>Pages or inputs that failed after retries and were skipped (<see cref="ErrorMode.Continue"/>, <see cref="ErrorMode.DeadLetter"/>).</summary>
    public long Failures { get; init; }

    /// <summary>Pages or inputs that failed and were skipped under <see cref="ErrorMode.Skip"/>; not counted in <see cref="Failures"/>.</summary>
    public long Skipped { get; init; }

    /// <summary>Failures written to <see cref="DeadLetterFile"/>.</summary>
    public long DeadLettered { get; init; }

    /// <summary>The skipped failures behind <see cref="Failures"/>, in order (at most <see cref="MaxErrors"/>).</summary>
    public IReadOnlyList<ExtractionException> Errors { get; init; } = [];

    /// <summary>The dead-letter file, when this run wrote to it.</summary>
    public string? DeadLetterFile { get; init; }

    /// <summary>Records per second over the run.</summary>
    public double RecordsPerSecond => Duration > TimeSpan.Zero ? Records / Duration.TotalSeconds : 0;

    /// <summary>Throws <see cref="PipelineFailedException"/> (or <see cref="OperationCanceledException"/>) unless the run succeeded in full; a partial success throws too.</summary>
    public PipelineResult EnsureSuccess() => Status switch
    {
        PipelineStatus.Succeeded => this,
        PipelineStatus.Cancelled => throw new OperationCanceledException($"Pipeline '{PipelineId}' was cancelled.", Error),
        _ => throw new PipelineFailedException(this),
    };
}

/// <summary>A run did not succeed; <see cref="Result"/> says how far it got.</summary>
/// <param name="result">The run's result.</param>
public sealed class PipelineFailedException(PipelineResult result)
    : Exception(
        result.Status == PipelineStatus.PartialSuccess
            ? $"Pipeline '{result.PipelineId}' partly succeeded: {result.Records:N0} records in {result.Pages:N0} pages, {result.Failures:N0} failure(s) skipped; first: {result.Errors.FirstOrDefault()?.Message}"
            : $"Pipeline '{result.PipelineId}' failed after {result.Records:N0} records in {result.Pages:N0} pages: {result.Error?.Message}",
        result.Error ?? result.Errors.FirstOrDefault())
{
    /// <summary>The run's result.</summary>
    public PipelineResult Result { get; } = result;
}
