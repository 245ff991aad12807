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

    /// <summary>As <see cref="FromDateTime(DateTime)"/>; <see langword="null"/> for <see langword="null"/>.</summary>
    /// <param name="value">A record's member.</param>
    public static DateTimeOffset? FromDateTime(DateTime? value) => value is { } time ? FromDateTime(time) : null;
}
