namespace ApiPipeline;

/// <summary>
/// The <c>TimeWindows</c> parallel strategy (<see cref="TimeWindowsAttribute"/>): an incremental range extracted as fixed windows, several
/// at once, each window a resumable partition of its own; a window whose total exceeds <see cref="MaxResults"/> is halved and retried.
/// </summary>
public sealed record TimeWindowOptions
{
    /// <summary>The default of <see cref="MaxConcurrent"/>.</summary>
    public const int DefaultMaxConcurrent = 4;

    /// <summary>The shortest window a too-deep window is split down to: beyond it the API cannot be windowed finer.</summary>
    public static readonly TimeSpan MinimumSize = TimeSpan.FromSeconds(1);

    /// <summary>The length of each window. Default one day.</summary>
    public TimeSpan Size { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Where windows start after the multiples of <see cref="Size"/> since the Unix epoch; zero or more and less than <see cref="Size"/>. Default zero.</summary>
    public TimeSpan Offset { get; init; }

    /// <summary>Windows extracted at the same time. Default <see cref="DefaultMaxConcurrent"/>.</summary>
    public int MaxConcurrent { get; init; } = DefaultMaxConcurrent;

    /// <summary>The most results the API returns for one query; 0 (the default) for no cap.</summary>
    public int MaxResults { get; init; }

    /// <summary>Throws a clear error for settings that cannot work.</summary>
    /// <param name="extractor">The extractor's name, for the message.</param>
    public void Validate(string extractor)
    {
        if (Size < MinimumSize)
        {
            throw new ArgumentException($"Extractor '{extractor}': TimeWindows.Size must be at least {Duration.Format(MinimumSize)}, not {Duration.Format(Size)}.");
        }

        if (Offset < TimeSpan.Zero || Offset >= Size)
        {
            throw new ArgumentException($"Extractor '{extractor}': TimeWindows.Offset must be zero or more and less than Size ({Duration.Format(Size)}), not {(Offset < TimeSpan.Zero ? "-" + Duration.Format(Offset.Negate()) : Duration.Format(Offset))}.");
        }

        if (MaxConcurrent < 1)
        {
            throw new ArgumentException($"Extractor '{extractor}': TimeWindows.MaxConcurrent must be 1 or more, not {MaxConcurrent}.");
        }

        if (MaxResults < 0)
        {
            throw new ArgumentException($"Extractor '{extractor}': TimeWindows.MaxResults must be 0 (no cap) or more, not {MaxResults}.");
        }
    }
}
