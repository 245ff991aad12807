namespace ApiPipeline;

/// <summary>
/// Makes an extractor incremental on a timestamp field of its record (<see cref="DateTimeOffset"/> or <see cref="DateTime"/>,
/// nullable or not). A pipeline with a state store then starts each run from the stored watermark minus <see cref="Lag"/>, sends
/// it as <see cref="Param"/> (or filters records itself), and advances the watermark once the run has committed everything.
/// Every property maps onto <see cref="WatermarkOptions{T}"/>, where the defaults are documented.
/// </summary>
/// <param name="field">The record's timestamp member, e.g. <c>nameof(Issue.UpdatedAt)</c>.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class WatermarkAttribute(string field) : Attribute
{
    /// <summary>The record's timestamp member.</summary>
    public string Field { get; } = field;

    /// <summary>The query parameter the start is sent as (ISO 8601, UTC), e.g. <c>since</c>; unset to filter client-side.</summary>
    public string? Param { get; set; }

    /// <summary>The query parameter the end of a backfill is sent as; unset to filter client-side.</summary>
    public string? UntilParam { get; set; }

    /// <summary>How far before the watermark each run starts, as a duration (<c>"5m"</c>, <c>"1h30m"</c>). Default <c>"0s"</c>.</summary>
    public string? Lag { get; set; }

    /// <summary>The start of the first run, as an ISO 8601 timestamp (<c>"2024-01-01T00:00:00Z"</c>). Default: everything.</summary>
    public string? Initial { get; set; }

    /// <summary>How old a record may be, relative to the stored watermark, before it counts as late. Default <c>"30m"</c>.</summary>
    public string? AllowedLateness { get; set; }

    /// <summary>What to do with late records. Default <see cref="LateRecordPolicy.Include"/>.</summary>
    public LateRecordPolicy Late { get; set; }

    /// <summary>The record's primary key member, when it has no <see cref="KeyAttribute"/>; used to drop records read again because of <see cref="Lag"/>.</summary>
    public string? Key { get; set; }
}

/// <summary>Marks a record's primary key, used to de-duplicate records read again by an incremental run's lag window.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false, AllowMultiple = false)]
public sealed class KeyAttribute : Attribute;
