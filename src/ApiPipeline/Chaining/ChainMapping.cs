using System.ComponentModel;
using System.Globalization;

namespace ApiPipeline;

/// <summary>
/// The lossless text conversions generated chain mappings use (a number, <see cref="bool"/>, <see cref="Guid"/>, enum or date mapped to a
/// <see cref="string"/> member): invariant culture, dates in ISO 8601 (<c>O</c>), <see cref="bool"/> as <c>true</c>/<c>false</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ChainMapping
{
    /// <summary>Numbers, <see cref="Guid"/>, <see cref="char"/> and enums in the invariant culture.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    public static string Text<T>(T value)
        where T : struct, IFormattable
        => value.ToString(null, CultureInfo.InvariantCulture);

    /// <summary>As <see cref="Text{T}(T)"/>; <see langword="null"/> stays <see langword="null"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    public static string? Text<T>(T? value)
        where T : struct, IFormattable
        => value is { } v ? v.ToString(null, CultureInfo.InvariantCulture) : null;

    /// <summary>Round-trip text (<c>R</c>).</summary>
    /// <param name="value">The value.</param>
    public static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Round-trip text (<c>R</c>).</summary>
    /// <param name="value">The value.</param>
    public static string? Text(double? value) => value is { } v ? Text(v) : null;

    /// <summary>Round-trip text (<c>R</c>).</summary>
    /// <param name="value">The value.</param>
    public static string Text(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Round-trip text (<c>R</c>).</summary>
    /// <param name="value">The value.</param>
    public static string? Text(float? value) => value is { } v ? Text(v) : null;

    /// <summary><c>true</c> or <c>false</c>.</summary>
    /// <param name="value">The value.</param>
    public static string Text(bool value) => value ? "true" : "false";

    /// <summary><c>true</c>, <c>false</c> or <see langword="null"/>.</summary>
    /// <param name="value">The value.</param>
    public static string? Text(bool? value) => value is { } v ? Text(v) : null;

    /// <summary>ISO 8601 (<c>O</c>).</summary>
    /// <param name="value">The value.</param>
    public static string Text(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>ISO 8601 (<c>O</c>).</summary>
    /// <param name="value">The value.</param>
    public static string? Text(DateTimeOffset? value) => value is { } v ? Text(v) : null;

    /// <summary>ISO 8601 (<c>O</c>).</summary>
    /// <param name="value">The value.</param>
    public static string Text(DateTime value) => value.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>ISO 8601 (<c>O</c>).</summary>
    /// <param name="value">The value.</param>
    public static string? Text(DateTime? value) => value is { } v ? Text(v) : null;

    /// <summary><c>yyyy-MM-dd</c>.</summary>
    /// <param name="value">The value.</param>
    public static string Text(DateOnly value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary><c>yyyy-MM-dd</c>.</summary>
    /// <param name="value">The value.</param>
    public static string? Text(DateOnly? value) => value is { } v ? Text(v) : null;

    /// <summary><c>HH:mm:ss</c>, with the fractions of a second it has (as URLs write it).</summary>
    /// <param name="value">The value.</param>
    public static string Text(TimeOnly value) => value.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    /// <summary><c>HH:mm:ss</c>, with the fractions of a second it has (as URLs write it).</summary>
    /// <param name="value">The value.</param>
    public static string? Text(TimeOnly? value) => value is { } v ? Text(v) : null;
}
