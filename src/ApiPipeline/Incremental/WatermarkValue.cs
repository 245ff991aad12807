using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ApiPipeline;

/// <summary>What a watermark field holds: a point in time, or a number that only grows (an id, a sequence number).</summary>
public enum WatermarkKind
{
    /// <summary>A <see cref="DateTimeOffset"/> or <see cref="DateTime"/> member; sent and stored as ISO 8601 UTC.</summary>
    Timestamp,

    /// <summary>An <see cref="int"/> or <see cref="long"/> member; sent and stored as an integer.</summary>
    Number,
}

/// <summary>
/// One watermark value: an instant (<see cref="WatermarkKind.Timestamp"/>, held as UTC ticks) or a number
/// (<see cref="WatermarkKind.Number"/>). Values of one kind are ordered; across kinds, every timestamp orders before every number
/// (a pipeline never mixes them: <see cref="WatermarkOptions{T}.Kind"/> fixes the kind). Stored as text that names its kind:
/// timestamps as ISO 8601 (<c>2026-01-01T00:10:00.0000000Z</c>), numbers as <c>n:</c> and the number (<c>n:1042</c>).
/// </summary>
[JsonConverter(typeof(WatermarkValueJsonConverter))]
public readonly struct WatermarkValue : IEquatable<WatermarkValue>, IComparable<WatermarkValue>
{
    private const string NumberPrefix = "n:";
    private readonly long _value;

    private WatermarkValue(WatermarkKind kind, long value)
    {
        Kind = kind;
        _value = value;
    }

    /// <summary>Whether this is a timestamp or a number.</summary>
    public WatermarkKind Kind { get; }

    /// <summary>The instant of a <see cref="WatermarkKind.Timestamp"/> value, in UTC.</summary>
    /// <exception cref="InvalidOperationException">The value is a number.</exception>
    public DateTimeOffset Timestamp => Kind == WatermarkKind.Timestamp
        ? new DateTimeOffset(_value, TimeSpan.Zero)
        : throw new InvalidOperationException($"The watermark value {this} is a number, not a timestamp.");

    /// <summary>The number of a <see cref="WatermarkKind.Number"/> value.</summary>
    /// <exception cref="InvalidOperationException">The value is a timestamp.</exception>
    public long Number => Kind == WatermarkKind.Number
        ? _value
        : throw new InvalidOperationException($"The watermark value {this} is a timestamp, not a number.");

    /// <summary>A timestamp value.</summary>
    /// <param name="timestamp">The instant (its offset is not kept; values compare as instants).</param>
    public static WatermarkValue FromTimestamp(DateTimeOffset timestamp) => new(WatermarkKind.Timestamp, timestamp.UtcTicks);

    /// <summary>A number value.</summary>
    /// <param name="number">The number.</param>
    public static WatermarkValue FromNumber(long number) => new(WatermarkKind.Number, number);

    /// <summary>A timestamp value.</summary>
    /// <param name="timestamp">The instant.</param>
    public static implicit operator WatermarkValue(DateTimeOffset timestamp) => FromTimestamp(timestamp);

    /// <summary>A number value.</summary>
    /// <param name="number">The number.</param>
    public static implicit operator WatermarkValue(long number) => FromNumber(number);

    /// <summary>Whether two values are the same kind and value.</summary>
    public static bool operator ==(WatermarkValue left, WatermarkValue right) => left.Equals(right);

    /// <summary>Whether two values differ in kind or value.</summary>
    public static bool operator !=(WatermarkValue left, WatermarkValue right) => !left.Equals(right);

    /// <summary>Whether <paramref name="left"/> orders before <paramref name="right"/>.</summary>
    public static bool operator <(WatermarkValue left, WatermarkValue right) => left.CompareTo(right) < 0;

    /// <summary>Whether <paramref name="left"/> orders after <paramref name="right"/>.</summary>
    public static bool operator >(WatermarkValue left, WatermarkValue right) => left.CompareTo(right) > 0;

    /// <summary>Whether <paramref name="left"/> orders before or with <paramref name="right"/>.</summary>
    public static bool operator <=(WatermarkValue left, WatermarkValue right) => left.CompareTo(right) <= 0;

    /// <summary>Whether <paramref name="left"/> orders after or with <paramref name="right"/>.</summary>
    public static bool operator >=(WatermarkValue left, WatermarkValue right) => left.CompareTo(right) >= 0;

    /// <summary>The value <paramref name="span"/> before this one, clamped at the smallest value of the kind.</summary>
    /// <param name="value">The value.</param>
    /// <param name="span">The distance back; a non-zero span must be of the value's kind.</param>
    /// <exception cref="InvalidOperationException">The span is of the other kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The span is negative.</exception>
    public static WatermarkValue operator -(WatermarkValue value, WatermarkSpan span)
    {
        if (span.IsZero)
        {
            return value;
        }

        if (span.IsNegative)
        {
            throw new ArgumentOutOfRangeException(nameof(span), span.Units, "A watermark span cannot be negative.");
        }

        if (span.Kind != value.Kind)
        {
            throw new InvalidOperationException($"Cannot go back {span} from the watermark value {value}: one is a timestamp, the other a number.");
        }

        long floor = value.Kind == WatermarkKind.Timestamp ? DateTimeOffset.MinValue.UtcTicks : long.MinValue;
        return new WatermarkValue(value.Kind, value._value < floor + span.Units ? floor : value._value - span.Units);
    }

    /// <summary>Parses the stored text (<see cref="ToStorageText"/>); ISO 8601 text is a timestamp, <c>n:</c> and a number a number.</summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The value, when the text is one.</param>
    /// <returns>Whether the text is a watermark value.</returns>
    public static bool TryParse(string? text, out WatermarkValue value)
    {
        value = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text.StartsWith(NumberPrefix, StringComparison.Ordinal))
        {
            if (long.TryParse(text.AsSpan(NumberPrefix.Length), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number))
            {
                value = FromNumber(number);
                return true;
            }

            return false;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var timestamp))
        {
            value = FromTimestamp(timestamp);
            return true;
        }

        return false;
    }

    /// <summary>The text the state store keeps: ISO 8601 UTC for a timestamp, <c>n:1042</c> for a number.</summary>
    public string ToStorageText() => Kind == WatermarkKind.Number
        ? NumberPrefix + _value.ToString(CultureInfo.InvariantCulture)
        : Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>The value as a query parameter: <c>2026-01-01T00:10:00Z</c> (UTC, fractions only when present) or <c>1042</c>.</summary>
    public string ToQueryText() => Kind == WatermarkKind.Number
        ? _value.ToString(CultureInfo.InvariantCulture)
        : Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>The value for people: ISO 8601 (<c>O</c>) for a timestamp, the number for a number.</summary>
    public override string ToString() => Kind == WatermarkKind.Number
        ? _value.ToString(CultureInfo.InvariantCulture)
        : Timestamp.ToString("O", CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public bool Equals(WatermarkValue other) => Kind == other.Kind && _value == other._value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is WatermarkValue other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, _value);

    /// <inheritdoc/>
    public int CompareTo(WatermarkValue other) => Kind != other.Kind ? Kind.CompareTo(other.Kind) : _value.CompareTo(other._value);
}

/// <summary>
/// A distance back from a watermark value (<see cref="WatermarkOptions{T}.Lag"/>, <see cref="WatermarkOptions{T}.AllowedLateness"/>):
/// a <see cref="TimeSpan"/> for a timestamp watermark, a count of units for a numeric one (<c>100</c>: a hundred ids back).
/// Zero fits both kinds.
/// </summary>
public readonly struct WatermarkSpan : IEquatable<WatermarkSpan>
{
    private WatermarkSpan(WatermarkKind kind, long units)
    {
        Kind = kind;
        Units = units;
    }

    /// <summary>Whether this is a time span or a number of units.</summary>
    public WatermarkKind Kind { get; }

    /// <summary>The distance: ticks for a time span, units for a number.</summary>
    public long Units { get; }

    /// <summary>Whether the span is zero (fits either kind).</summary>
    public bool IsZero => Units == 0;

    /// <summary>Whether the span is negative (never valid).</summary>
    public bool IsNegative => Units < 0;

    /// <summary>A time span.</summary>
    /// <param name="span">The span.</param>
    public static WatermarkSpan FromTime(TimeSpan span) => new(WatermarkKind.Timestamp, span.Ticks);

    /// <summary>A number of units of a numeric watermark.</summary>
    /// <param name="units">The units.</param>
    public static WatermarkSpan FromNumber(long units) => new(WatermarkKind.Number, units);

    /// <summary>A time span.</summary>
    /// <param name="span">The span.</param>
    public static implicit operator WatermarkSpan(TimeSpan span) => FromTime(span);

    /// <summary>A number of units.</summary>
    /// <param name="units">The units.</param>
    public static implicit operator WatermarkSpan(long units) => FromNumber(units);

    /// <summary>Whether two spans are equal.</summary>
    public static bool operator ==(WatermarkSpan left, WatermarkSpan right) => left.Equals(right);

    /// <summary>Whether two spans differ.</summary>
    public static bool operator !=(WatermarkSpan left, WatermarkSpan right) => !left.Equals(right);

    /// <summary>Whether the span fits a watermark of <paramref name="kind"/> (zero fits both).</summary>
    /// <param name="kind">The watermark's kind.</param>
    public bool Fits(WatermarkKind kind) => IsZero || Kind == kind;

    /// <summary>The span for people: a duration (<c>5m</c>) or a number of units.</summary>
    public override string ToString() => Kind == WatermarkKind.Number
        ? Units.ToString(CultureInfo.InvariantCulture)
        : Duration.Format(TimeSpan.FromTicks(Units));

    /// <inheritdoc/>
    public bool Equals(WatermarkSpan other) => (IsZero && other.IsZero) || (Kind == other.Kind && Units == other.Units);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is WatermarkSpan other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => IsZero ? 0 : HashCode.Combine(Kind, Units);
}

/// <summary>Reads and writes a <see cref="WatermarkValue"/> as its stored text (ISO 8601, or <c>n:</c> and a number).</summary>
internal sealed class WatermarkValueJsonConverter : JsonConverter<WatermarkValue>
{
    public override WatermarkValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => WatermarkValue.TryParse(reader.GetString(), out var value)
            ? value
            : throw new JsonException($"'{reader.GetString()}' is not a watermark value (ISO 8601, or n: and a number).");

    public override void Write(Utf8JsonWriter writer, WatermarkValue value, JsonSerializerOptions options)
        => writer.WriteStringValue(value.ToStorageText());
}
