using System.Text.Json.Serialization;

namespace ApiPipeline;

/// <summary>
/// What a pipeline's current or last run has durably done, saved in one transaction at every output commit. Immutable: each
/// commit makes a new value (<c>with</c>).
/// </summary>
public sealed record PipelineRunState
{
    /// <summary>The run's number; each new run (after a completed one) takes the next.</summary>
    public long RunId { get; init; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Whether every partition of the run finished and the watermarks advanced (a backfill's: only first ones, see <see cref="From"/>).</summary>
    public bool Completed { get; init; }

    /// <summary>Records committed by the run so far.</summary>
    public long Records { get; init; }

    /// <summary>Pages committed by the run so far.</summary>
    public long Pages { get; init; }

    /// <summary>
    /// Failures the run moved past so far (skipped pages, records that did not fit; as of its last commit), so that a resumed run reports
    /// those of its first part too. Failed inputs are not counted here: a resumed run reads them again.
    /// </summary>
    public RunFailureCounts Failures { get; init; }

    /// <summary>For a backfill: the start of the range (<see cref="PipelineOptions.From"/>); a run given the same range resumes this one.</summary>
    public WatermarkValue? From { get; init; }

    /// <summary>For a backfill: the exclusive end of the range.</summary>
    public WatermarkValue? Until { get; init; }

    /// <summary>Each input's progress, by partition key.</summary>
    public IReadOnlyDictionary<string, PartitionState> Partitions { get; init; } = new Dictionary<string, PartitionState>();

    /// <summary>
    /// For a backfill: what the last ordinary run left to the next, set aside while backfills run, so that the next ordinary run with
    /// the same end continues it instead of reading again what that run wrote; <see langword="null"/> for an ordinary run.
    /// </summary>
    public SetAsideInputs? Parked { get; init; }

    /// <summary>The last batch recorded: rolled forward on restart if a crash came between recording and renaming.</summary>
    public PreparedCommit? LastCommit { get; init; }

    /// <summary>
    /// The dead-letter entries of the last batch recorded, or <see langword="null"/> if it had none: appended to the dead-letter file
    /// on restart if a crash came between recording and appending.
    /// </summary>
    public PreparedDeadLetters? LastDeadLetters { get; init; }
}

/// <summary>The inputs an ordinary run left to the next one, kept through backfills (<see cref="PipelineRunState.Parked"/>).</summary>
/// <param name="Until">The end of that run's range (<see cref="PipelineRunState.Until"/>): only an ordinary run with the same end takes them up.</param>
/// <param name="Partitions">
/// Their progress: the inputs a completed run left unfinished; all of a failed or interrupted run's, also those it finished, whose
/// watermarks it did not move.
/// </param>
public sealed record SetAsideInputs(WatermarkValue? Until, IReadOnlyDictionary<string, PartitionState> Partitions);

/// <summary>How many failures a run skipped, as <see cref="PipelineResult"/> counts them.</summary>
/// <param name="Failures">See <see cref="PipelineResult.Failures"/>.</param>
/// <param name="Skipped">See <see cref="PipelineResult.Skipped"/>.</param>
/// <param name="DeadLettered">See <see cref="PipelineResult.DeadLettered"/>.</param>
public readonly record struct RunFailureCounts(long Failures, long Skipped, long DeadLettered);

/// <summary>The dead-letter entries of a batch, durable in a temporary file and not yet in the dead-letter file.</summary>
/// <param name="TempPath">The temporary file that holds the entries, one JSON line each.</param>
/// <param name="FinalPath">The dead-letter file they are appended to.</param>
public sealed record PreparedDeadLetters(string TempPath, string FinalPath)
{
    /// <summary>
    /// The dead-letter file's length when the batch was prepared, as versions before the start mark (<c>#at=</c> at the end of the
    /// temporary file) recorded it: where such a version's append began, read only to finish a batch it was appending when it stopped.
    /// Not recorded any more.
    /// </summary>
    public long? Offset { get; init; }
}

/// <summary>One input's progress in a run.</summary>
public sealed record PartitionState
{
    /// <summary>The request that continues the partition, or <see langword="null"/> if none was committed yet.</summary>
    public PageCheckpoint? Next { get; init; }

    /// <summary>Whether every page of the partition is committed.</summary>
    public bool Completed { get; init; }

    /// <summary>
    /// Whether the rest of the partition went to the dead-letter file (a backfill's input or window the run gave up on, which later runs
    /// do not read): <c>replay</c> requests it, so a resumed run does not continue it, and its watermark does not advance.
    /// </summary>
    public bool DeadLettered { get; init; }

    /// <summary>
    /// Whether the run skipped a page of the partition (its records went to the dead-letter file or were dropped): a backfill that
    /// finishes an input gives it its first watermark only when it read all of it.
    /// </summary>
    public bool PagesSkipped { get; init; }

    /// <summary>The start of the range this run extracts (stored so that a resumed run asks for the same range).</summary>
    public WatermarkValue? Since { get; init; }

    /// <summary>The newest watermark value committed by this run.</summary>
    public WatermarkValue? MaxMark { get; init; }

    /// <summary>For a time window (<see cref="TimeWindowsAttribute"/>): the exclusive end of its range.</summary>
    public WatermarkValue? Until { get; init; }

    /// <summary>For a time window: the input's partition, whose watermark and de-duplication keys the window's records count towards.</summary>
    public string? WindowOf { get; init; }
}

/// <summary>
/// A page a pipeline remembers for conditional requests (<see cref="ConditionalRequestsAttribute"/>), stored under its request key in the
/// scope <c>pages:&lt;id&gt;</c> with the batch that made its records durable.
/// </summary>
internal sealed record StoredPage
{
    /// <summary>The response's validator.</summary>
    public required string Validator { get; init; }

    /// <summary>Whether <see cref="Validator"/> is an <c>ETag</c> or a <c>Last-Modified</c> date.</summary>
    public ValidatorKind Kind { get; init; }

    /// <summary>Where the page led, or <see langword="null"/> after the last page.</summary>
    public PageCheckpoint? Next { get; init; }

    /// <summary>The partition (input) the page belongs to.</summary>
    public required string Partition { get; init; }

    /// <summary>The run that last confirmed the page (a 200 with this validator, or a 304); older ones are pruned when their input completes.</summary>
    public long Run { get; init; }
}

[JsonSerializable(typeof(PipelineRunState))]
[JsonSerializable(typeof(StoredPage))]
[JsonSerializable(typeof(PipelineState))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class StateJson : JsonSerializerContext;
