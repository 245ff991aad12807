namespace ApiPipeline;

/// <summary>The kinds of window (the design's <c>WindowType</c>).</summary>
public enum WindowType
{
    /// <summary>Back-to-back windows of <see cref="WindowOptions.Size"/>, aligned to <see cref="WindowOptions.Offset"/>; every instant is in exactly one.</summary>
    Fixed,

    /// <summary>Windows of <see cref="WindowOptions.Size"/> that start every <c>Size − Overlap</c>, so neighbours share <see cref="WindowOptions.Overlap"/>.</summary>
    Sliding,

    /// <summary>Windows formed by the records themselves: a gap longer than <see cref="WindowOptions.SessionGap"/> starts a new one.</summary>
    Session,

    /// <summary>One window for the whole range.</summary>
    Global,
}

/// <summary>A half-open time range <c>[Start, End)</c>.</summary>
/// <param name="Start">The first instant in the window.</param>
/// <param name="End">The first instant after the window.</param>
public readonly record struct TimeWindow(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>The window's length.</summary>
    public TimeSpan Length => End - Start;

    /// <summary>Whether <paramref name="instant"/> is in <c>[Start, End)</c>.</summary>
    /// <param name="instant">The instant.</param>
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    /// <summary>Splits the window into two halves (for an API that caps how many results one query returns).</summary>
    public (TimeWindow First, TimeWindow Second) Halve()
    {
        var middle = Start + TimeSpan.FromTicks(Length.Ticks / 2);
        if (middle <= Start)
        {
            throw new InvalidOperationException($"The window [{Start:O}, {End:O}) is one tick long and cannot be split further.");
        }

        return (new TimeWindow(Start, middle), new TimeWindow(middle, End));
    }

    /// <inheritdoc/>
    public override string ToString() => $"[{Start:O}, {End:O})";
}

/// <summary>How to window a range or a stream of records (the design's <c>WindowConfig</c>).</summary>
public sealed record WindowOptions
{
    /// <summary>The window type. Default <see cref="WindowType.Fixed"/>.</summary>
    public WindowType Type { get; init; } = WindowType.Fixed;

    /// <summary>The window length. Default 24 hours.</summary>
    public TimeSpan Size { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Shifts window boundaries from multiples of <see cref="Size"/> since the Unix epoch. Default 0.</summary>
    public TimeSpan Offset { get; init; }

    /// <summary>For <see cref="WindowType.Sliding"/>: how much neighbouring windows share; less than <see cref="Size"/>. Default 0.</summary>
    public TimeSpan Overlap { get; init; }

    /// <summary>For <see cref="WindowType.Session"/>: the gap between two records that starts a new window. Default 30 minutes.</summary>
    public TimeSpan SessionGap { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Throws <see cref="ArgumentException"/> when the settings cannot work.</summary>
    public void Validate()
    {
        if (Size <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Window Size must be positive, not {Size}.");
        }

        if (Overlap < TimeSpan.Zero || (Type == WindowType.Sliding && Overlap >= Size))
        {
            throw new ArgumentException($"Window Overlap must be at least 0 and less than Size ({Size}), not {Overlap}.");
        }

        if (Type == WindowType.Session && SessionGap <= TimeSpan.Zero)
        {
            throw new ArgumentException($"SessionGap must be positive, not {SessionGap}.");
        }
    }
}

/// <summary>Window arithmetic: splits an extraction range <c>[start, end)</c> into windows, or groups records into sessions.</summary>
public static class Windows
{
    /// <summary>
    /// Splits <c>[start, end)</c>: <see cref="WindowType.Fixed"/> into aligned windows (clipped at both ends),
    /// <see cref="WindowType.Sliding"/> into overlapping ones, <see cref="WindowType.Global"/> into one.
    /// <see cref="WindowType.Session"/> windows come from records: use <see cref="Sessions{T}"/>.
    /// </summary>
    /// <param name="start">The first instant.</param>
    /// <param name="end">The first instant after the range.</param>
    /// <param name="options">The window settings.</param>
    public static IEnumerable<TimeWindow> Split(DateTimeOffset start, DateTimeOffset end, WindowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (end < start)
        {
            throw new ArgumentException($"The range end {end:O} is before its start {start:O}.");
        }

        return end == start ? [] : Iterate(start, end, options);
    }

    /// <summary>Groups records, ordered by time, into sessions separated by gaps longer than <paramref name="gap"/>.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="records">The records, in time order.</param>
    /// <param name="timestamp">Reads a record's time.</param>
    /// <param name="gap">The gap that ends a session.</param>
    public static IEnumerable<(TimeWindow Window, IReadOnlyList<T> Records)> Sessions<T>(IEnumerable<T> records, Func<T, DateTimeOffset> timestamp, TimeSpan gap)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(timestamp);
        if (gap <= TimeSpan.Zero)
        {
            throw new ArgumentException($"The session gap must be positive, not {gap}.", nameof(gap));
        }

        return Iterate(records, timestamp, gap);

        static IEnumerable<(TimeWindow, IReadOnlyList<T>)> Iterate(IEnumerable<T> records, Func<T, DateTimeOffset> timestamp, TimeSpan gap)
        {
            List<T>? current = null;
            DateTimeOffset first = default, last = default;
            foreach (var record in records)
            {
                var at = timestamp(record);
                if (current is not null && at < last)
                {
                    throw new ArgumentException($"Session windows need records in time order; {at:O} came after {last:O}.", nameof(records));
                }

                if (current is not null && at - last > gap)
                {
                    yield return (new TimeWindow(first, After(last)), current);
                    current = null;
                }

                if (current is null)
                {
                    current = [];
                    first = at;
                }

                current.Add(record);
                last = at;
            }

            if (current is not null)
            {
                yield return (new TimeWindow(first, After(last)), current);
            }
        }

        // A session's exclusive end: just after its last record, or the end of time for a record at the end of time.
        static DateTimeOffset After(DateTimeOffset last) => last == DateTimeOffset.MaxValue ? last : last.AddTicks(1);
    }

    private static IEnumerable<TimeWindow> Iterate(DateTimeOffset start, DateTimeOffset end, WindowOptions options)
    {
        switch (options.Type)
        {
            case WindowType.Global:
                yield return new TimeWindow(start, end);
                yield break;
            case WindowType.Session:
                throw new ArgumentException("Session windows are formed from records; use Windows.Sessions.", nameof(options));
        }

        long size = options.Size.Ticks;
        long step = options.Type == WindowType.Sliding ? size - options.Overlap.Ticks : size;
        long offset = options.Offset.Ticks;
        long epoch = DateTimeOffset.UnixEpoch.UtcTicks;

        // The first window whose end is after start, aligned to epoch + offset + k * step. Sums saturate: a window as long as
        // time itself is one window, not an overflow.
        long from = start.UtcTicks;
        long k = FloorDiv(from - epoch - offset - size, step) + 1;
        TimeWindow? pending = null;
        for (long s = epoch + offset + (k * step); s < end.UtcTicks; s = Add(s, step))
        {
            long e = Add(s, size);
            if (e <= from)
            {
                continue;
            }

            var window = new TimeWindow(
                new DateTimeOffset(Math.Max(s, from), TimeSpan.Zero),
                new DateTimeOffset(Math.Min(e, end.UtcTicks), TimeSpan.Zero));

            // Sliding windows clipped at the range's edges can fall inside a neighbour: each record is read once per window, so
            // such a window is left out rather than read twice.
            if (pending is { } p && window.Start <= p.Start && window.End >= p.End)
            {
                pending = window;
            }
            else if (pending is not { } q || !(q.Start <= window.Start && q.End >= window.End))
            {
                if (pending is { } ready)
                {
                    yield return ready;
                }

                pending = window;
            }
        }

        if (pending is { } last)
        {
            yield return last;
        }

        static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
    }

    private static long FloorDiv(long a, long b) => (a / b) - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}
