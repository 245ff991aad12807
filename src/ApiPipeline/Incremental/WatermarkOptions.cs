namespace ApiPipeline;

/// <summary>What to do with a record older than the watermark minus <see cref="WatermarkOptions{T}.AllowedLateness"/>.</summary>
public enum LateRecordPolicy
{
    /// <summary>Write it like any other record (counted as late).</summary>
    Include,

    /// <summary>Leave it out (counted as late and dropped).</summary>
    Drop,

    /// <summary>
    /// Leave it out of the output and write it to the pipeline's dead-letter file (<see cref="Pipeline{TIn, TOut}.DeadLetterPath"/>)
    /// with its partition, its watermark value, the stored watermark and the reason, before the batch it would have been in is
    /// committed (counted as late and in <see cref="PipelineResult.DeadLettered"/>).
    /// </summary>
    DeadLetter,
}

/// <summary>
/// Incremental extraction by a field that only grows (the design's <c>WatermarkConfig</c>): a timestamp, or a number such as an id
/// or a sequence number (<see cref="Kind"/>). A run starts from the persisted watermark minus <see cref="Lag"/>, sends it as
/// <see cref="Param"/> (or filters client-side when <see cref="Param"/> is null), and the watermark advances to the newest value
/// written only when the run has committed every record.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed record WatermarkOptions<T>
{
    /// <summary>The default <see cref="AllowedLateness"/> of a timestamp watermark: 30 minutes.</summary>
    public static readonly TimeSpan DefaultAllowedLateness = TimeSpan.FromMinutes(30);

    /// <summary>The record member the watermark follows, as a path from the record (<c>UpdatedAt</c>; <c>Fields.UpdatedAt</c> for a passthrough <see cref="RawRecord{TFields}"/>), for messages and configuration checks.</summary>
    public required string Field { get; init; }

    /// <summary>
    /// Reads the watermark field of a record (a <see cref="DateTimeOffset"/> or a <see cref="long"/> converts implicitly);
    /// <see langword="null"/> means the record has no value and is always written.
    /// </summary>
    public required Func<T, WatermarkValue?> Read { get; init; }

    /// <summary>Whether the field is a timestamp or a number; every value read, stored or configured must be of this kind. Default <see cref="WatermarkKind.Timestamp"/>.</summary>
    public WatermarkKind Kind { get; init; }

    /// <summary>The query parameter the start of the range is sent as (ISO 8601 UTC, or the number), or <see langword="null"/> to filter client-side.</summary>
    public string? Param { get; init; }

    /// <summary>The query parameter the end of a backfill range is sent as, or <see langword="null"/> to filter client-side.</summary>
    public string? UntilParam { get; init; }

    /// <summary>
    /// How far before the watermark a run starts, to catch records that were written late: a <see cref="TimeSpan"/> for a timestamp,
    /// a number of units for a number. Default 0.
    /// </summary>
    public WatermarkSpan Lag { get; init; }

    /// <summary>The start of the very first run, when no watermark is stored. Default: no start (everything).</summary>
    public WatermarkValue? Initial { get; init; }

    /// <summary>
    /// A record's primary key, to drop records seen again because of <see cref="Lag"/> (a record is dropped when the same key
    /// with the same watermark value was written by an earlier run). Required when <see cref="Lag"/> is positive. A record whose key
    /// is <see langword="null"/> cannot be recognised, so it is never dropped as a duplicate.
    /// </summary>
    public Func<T, string?>? Key { get; init; }

    /// <summary>
    /// A record older than the stored watermark minus this (and not already written) is late (the design's <c>allowed_lateness</c>);
    /// it is counted and handled by <see cref="Late"/>. Only records inside the run's range can be late, so this matters when
    /// <see cref="Lag"/> is larger. Default: <see cref="DefaultAllowedLateness"/> (30 minutes) for a timestamp, 0 for a number
    /// (a record below the stored number that was not written before is late).
    /// </summary>
    public WatermarkSpan? AllowedLateness { get; init; }

    /// <summary>What to do with late records. Default <see cref="LateRecordPolicy.Include"/>.</summary>
    public LateRecordPolicy Late { get; init; } = LateRecordPolicy.Include;

    /// <summary>The allowed lateness in force: <see cref="AllowedLateness"/>, else the default of <see cref="Kind"/>.</summary>
    public WatermarkSpan EffectiveAllowedLateness => AllowedLateness ?? (Kind == WatermarkKind.Timestamp ? DefaultAllowedLateness : WatermarkSpan.FromNumber(0));

    /// <summary>Throws <see cref="ArgumentException"/> when the settings cannot work.</summary>
    /// <param name="pipeline">The pipeline, named in the message.</param>
    public void Validate(string pipeline)
    {
        var lateness = EffectiveAllowedLateness;
        if (Lag.IsNegative || lateness.IsNegative)
        {
            throw new ArgumentException($"Pipeline '{pipeline}': watermark Lag and AllowedLateness must not be negative.");
        }

        string kind = Kind == WatermarkKind.Timestamp ? "a timestamp" : "a number";
        if (!Lag.Fits(Kind) || !lateness.Fits(Kind) || (Initial is { } initial && initial.Kind != Kind))
        {
            throw new ArgumentException($"Pipeline '{pipeline}': the watermark on '{Field}' is {kind}, so its Lag, AllowedLateness and Initial must be {(Kind == WatermarkKind.Timestamp ? "a duration and a timestamp" : "numbers")} (Lag {Lag}, AllowedLateness {lateness}, Initial {Initial?.ToString() ?? "none"}).");
        }

        if (!Lag.IsZero && Key is null)
        {
            throw new ArgumentException($"Pipeline '{pipeline}': the watermark on '{Field}' has a Lag of {Lag}, so records are read again and must be de-duplicated; mark the record's primary key with [Key] (or set Key).");
        }
    }
}
