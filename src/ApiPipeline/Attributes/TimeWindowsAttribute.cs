namespace ApiPipeline;

/// <summary>
/// Extracts an incremental range in time windows, several at once (the design's <c>TimeWindows</c> parallel strategy): the range from
/// <see cref="PipelineOptions.From"/>, else the stored watermark minus its lag, else the watermark's <see cref="WatermarkAttribute.Initial"/>,
/// to <see cref="PipelineOptions.Until"/> (or the run's start) is split into fixed windows of <see cref="Size"/>, aligned as
/// <see cref="Offset"/> says, each sent as the <see cref="WatermarkAttribute.Param"/> /
/// <see cref="WatermarkAttribute.UntilParam"/> pair, up to <see cref="MaxConcurrent"/> at a time, all under the extractor's rate limiter.
/// Each window is its own resumable partition. Needs a timestamp <see cref="WatermarkAttribute"/> with both parameters.
/// Every property maps onto <see cref="TimeWindowOptions"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class TimeWindowsAttribute : Attribute
{
    /// <summary>The length of each window, as a duration (<c>"1d"</c>, <c>"6h"</c>). Default <c>"1d"</c>.</summary>
    public string? Size { get; set; }

    /// <summary>
    /// Where windows start, as a duration after the multiples of <see cref="Size"/> since the Unix epoch (<c>"6h"</c>: daily windows from
    /// 06:00 UTC to 06:00 UTC, as an API whose days end at 06:00 UTC counts them). Zero or more and less than <see cref="Size"/> (else
    /// creating the extractor throws an <see cref="ArgumentException"/>). Default none: windows start at multiples of <see cref="Size"/>
    /// since the Unix epoch (midnight UTC for daily windows). Change it only between finished runs: a resumed run plans its windows again.
    /// </summary>
    public string? Offset { get; set; }

    /// <summary>Windows extracted at the same time. Default 4.</summary>
    public int MaxConcurrent { get; set; } = TimeWindowOptions.DefaultMaxConcurrent;

    /// <summary>
    /// The most results the API returns for one query (a search API's depth cap, e.g. 1000). A window whose first page reports a
    /// larger total (<see cref="PaginatedAttribute.TotalPath"/>) is split in two before anything of it is written. Default 0: no cap.
    /// </summary>
    public int MaxResults { get; set; }
}
