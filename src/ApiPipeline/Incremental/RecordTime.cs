using System.ComponentModel;

namespace ApiPipeline;

/// <summary>
/// A record's <see cref="DateTime"/> as a point in time, the same on every machine: a value without a kind (System.Text.Json reads a
/// timestamp without an offset, <c>"2026-04-01T10:00:00"</c>, so) is UTC, not the machine's local time. Used by generated code for
/// watermarks on <see cref="DateTime"/> members, and for record dates.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RecordTime
{
    /// <summary>The point in time <paramref name="value"/> stands for (<see cref="DateTimeKind.Unspecified"/> taken as UTC).</summary>
    /// <param name="value">A record's member.</param>
    public static DateTimeOffset FromDateTime(DateTime value) => value.Kind == DateTimeKind.Local
        ? new DateTimeOffset(value)
        : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>As <see cref="FromDateTime(DateTime)"/>, a local value read as a time in <paramref name="local"/> (the machine's zone, or another in tests).</summary>
    /// <param name="value">A record's member.</param>
    /// <param name="local">The machine's time zone.</param>
    internal static DateTimeOffset FromDateTime(DateTime value, TimeZoneInfo local)
    {
        if (value.Kind != DateTimeKind.Local)
        {
            return FromDateTime(value);
        }

        var time = DateTime.SpecifyKind(value, DateTimeKind.Unspecified);
        return new DateTimeOffset(time, local.GetUtcOffset(time));
    }

    /// <summary>As <see cref="FromDateTime(DateTime)"/>; <see langword="null"/> for <see langword="null"/>.</summary>
    /// <param name="value">A record's member.</param>
    public static DateTimeOffset? FromDateTime(DateTime? value) => value is { } time ? FromDateTime(time) : null;
}
