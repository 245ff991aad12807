namespace ApiPipeline;

/// <summary>What to do with a record older than the watermark minus <see cref="WatermarkOptions{T}.AllowedLateness"/>.</summary>
public enum LateRecordPolicy
{
    /// <summary>Write it like any other record (counted as late).</summary>
    Include,

    /// <summary>Leave it out (counted as late and dropped).</summary>
    Drop,
}

/// <summary>
/// Incremental extraction by a timestamp field (the design's <c>WatermarkConfig</c>). A run starts from the persisted watermark
/// minus <see cref="Lag"/>, sends it as <see cref="Param"/> (or filters client-side when <see cref="Param"/> is null), and the
/// watermark advances to the newest timestamp written only when the run has committed every record.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed record WatermarkOptions<T>
{
    /// <summary>The watermark field's name, for messages and state.</summary>
    public required string Field { get; init; }

    /// <summary>Reads the watermark field of a record; <see langword="null"/> means the record has no time and is always written.</summary>
    public required Func<T, DateTimeOffset?> Read { get; init; }

    /// <summary>The query parameter the start of the range is sent as (ISO 8601), or <see langword="null"/> to filter client-side.</summary>
    public string? Param { get; init; }

    /// <summary>The query parameter the end of a backfill range is sent as, or <see langword="null"/> to filter client-side.</summary>
    public string? UntilParam { get; init; }

    /// <summary>How far before the watermark a run starts, to catch records that were written late. Default 0.</summary>
    public TimeSpan Lag { get; init; }

    /// <summary>The start of the very first run, when no watermark is stored. Default: no start (everything).</summary>
    public DateTimeOffset? Initial { get; init; }

    /// <summary>
    /// A record's primary key, to drop records seen again because of <see cref="Lag"/> (a record is dropped when the same key
    /// with the same watermark value was written by an earlier run). Required when <see cref="Lag"/> is positive.
    /// </summary>
    public Func<T, string>? Key { get; init; }

    /// <summary>
    /// A record older than the stored watermark minus this (and not already written) is late (the design's <c>allowed_lateness</c>);
    /// it is counted and handled by <see cref="Late"/>. Only records inside the run's range can be late, so this matters when
    /// <see cref="Lag"/> is larger. Default 30 minutes.
    /// </summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>What to do with late records. Default <see cref="LateRecordPolicy.Include"/>.</summary>
    public LateRecordPolicy Late { get; init; } = LateRecordPolicy.Include;

    /// <summary>Throws <see cref="ArgumentException"/> when the settings cannot work.</summary>
    /// <param name="pipeline">The pipeline, named in the message.</param>
    public void Validate(string pipeline)
    {
        if (Lag < TimeSpan.Zero || AllowedLateness < TimeSpan.Zero)
        {
            throw new ArgumentException($"Pipeline '{pipeline}': watermark Lag and AllowedLateness must not be negative.");
        }

        if (Lag > TimeSpan.Zero && Key is null)
        {
            throw new ArgumentException($"Pipeline '{pipeline}': the watermark on '{Field}' has a Lag of {Lag}, so records are read again and must be de-duplicated; mark the record's primary key with [Key] (or set Key).");
        }
    }
}
