using System.ComponentModel;
using System.Globalization;
using System.Text;

namespace ApiPipeline;

/// <summary>
/// Builds the relative URL of an extractor's first request: literal path text, escaped path values and query parameters.
/// Used by generated code; no formatting strings, no reflection.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class UrlBuilder
{
    private readonly StringBuilder _text = new(128);
    private bool _hasQuery;

    /// <summary>Appends literal text of the path template (already URL-safe).</summary>
    /// <param name="literal">The text.</param>
    public UrlBuilder Literal(string literal)
    {
        _text.Append(literal);
        if (literal.Contains('?', StringComparison.Ordinal))
        {
            _hasQuery = true;
        }

        return this;
    }

    /// <summary>Appends a value bound to a <c>{placeholder}</c>, escaped as one path segment.</summary>
    /// <param name="value">The value; must not be null or empty.</param>
    /// <param name="placeholder">The placeholder's name, for the error message.</param>
    public UrlBuilder PathValue(string? value, string placeholder)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"The route value '{{{placeholder}}}' is null or empty; every path placeholder needs a value.", placeholder);
        }

        if (value is "." or "..")
        {
            throw new ArgumentException($"The route value '{{{placeholder}}}' is '{value}', a dot segment that would change the path; it cannot be a path value.", placeholder);
        }

        _text.Append(Uri.EscapeDataString(value));
        return this;
    }

    /// <summary>Appends a value bound to a <c>{placeholder}</c>, formatted with the invariant culture and escaped as one path segment.</summary>
    /// <typeparam name="T">A formattable value type (numbers, dates, GUIDs, enums).</typeparam>
    /// <param name="value">The value; must not be null.</param>
    /// <param name="placeholder">The placeholder's name, for the error message.</param>
    public UrlBuilder PathValue<T>(T? value, string placeholder)
        where T : struct, IFormattable
        => PathValue(value is null ? null : Format(value.Value), placeholder);

    /// <summary>
    /// Appends the elements of a collection bound to a <c>{placeholder}</c>, each escaped, joined with commas (<c>/users/alice,bob</c>).
    /// </summary>
    /// <param name="values">The values; the collection must not be null or empty, nor hold a null or empty element.</param>
    /// <param name="placeholder">The placeholder's name, for the error message.</param>
    public UrlBuilder PathValues(IEnumerable<string?>? values, string placeholder)
    {
        int start = _text.Length;
        foreach (var value in values ?? [])
        {
            if (string.IsNullOrEmpty(value))
            {
                throw new ArgumentException($"The route value '{{{placeholder}}}' holds a null or empty element; every element of a path placeholder needs a value.", placeholder);
            }

            if (_text.Length > start)
            {
                _text.Append(',');
            }

            _text.Append(Uri.EscapeDataString(value));
        }

        int length = _text.Length - start;
        if (length == 0)
        {
            throw new ArgumentException($"The route value '{{{placeholder}}}' is null or an empty collection; every path placeholder needs a value.", placeholder);
        }

        if (length <= 2 && _text.ToString(start, length) is "." or "..")
        {
            throw new ArgumentException($"The route value '{{{placeholder}}}' is '{_text.ToString(start, length)}', a dot segment that would change the path; it cannot be a path value.", placeholder);
        }

        return this;
    }

    /// <summary>Appends the elements of a collection bound to a <c>{placeholder}</c>, each formatted with the invariant culture, joined with commas (<c>/items/1,2,3</c>).</summary>
    /// <typeparam name="T">A formattable value type (numbers, dates, GUIDs, enums).</typeparam>
    /// <param name="values">The values; must not be null or empty.</param>
    /// <param name="placeholder">The placeholder's name, for the error message.</param>
    public UrlBuilder PathValues<T>(IEnumerable<T>? values, string placeholder)
        where T : struct, IFormattable
        => PathValues(values?.Select(static value => (string?)Format(value)), placeholder);

    /// <summary>Appends <c>name=value</c> to the query; a <see langword="null"/> value is skipped.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="value">The value.</param>
    public UrlBuilder Query(string name, string? value)
    {
        if (value is null)
        {
            return this;
        }

        _text.Append(_hasQuery ? '&' : '?');
        _hasQuery = true;
        _text.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        return this;
    }

    /// <summary>Appends <c>name=value</c> to the query, formatted with the invariant culture; a <see langword="null"/> value is skipped.</summary>
    /// <typeparam name="T">A formattable value type (numbers, dates, GUIDs).</typeparam>
    /// <param name="name">The parameter name.</param>
    /// <param name="value">The value.</param>
    public UrlBuilder Query<T>(string name, T? value)
        where T : struct, IFormattable
        => value is null ? this : Query(name, Format(value.Value));

    /// <summary>Appends <c>name=true|false</c> to the query; a <see langword="null"/> value is skipped.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="value">The value.</param>
    public UrlBuilder Query(string name, bool? value)
        => value is null ? this : Query(name, value.Value ? "true" : "false");

    /// <summary>
    /// Appends <c>name=value</c> once per element, in order (<c>?ids=a&amp;ids=b</c>); a <see langword="null"/> collection or element is
    /// skipped. For a comma-separated list (<c>?ids=a,b</c>) give the member as a joined <see cref="string"/> instead.
    /// </summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="values">The values.</param>
    public UrlBuilder QueryEach(string name, IEnumerable<string?>? values)
    {
        foreach (var value in values ?? [])
        {
            Query(name, value);
        }

        return this;
    }

    /// <summary>Appends <c>name=value</c> once per element, in order, each formatted with the invariant culture (<c>?ids=1&amp;ids=2</c>).</summary>
    /// <typeparam name="T">A formattable value type (numbers, dates, GUIDs, enums).</typeparam>
    /// <param name="name">The parameter name.</param>
    /// <param name="values">The values; a <see langword="null"/> collection is skipped.</param>
    public UrlBuilder QueryEach<T>(string name, IEnumerable<T>? values)
        where T : struct, IFormattable
    {
        foreach (var value in values ?? [])
        {
            Query(name, Format(value));
        }

        return this;
    }

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();

    /// <summary>
    /// The invariant text of a value: dates and times in ISO 8601 (<c>O</c> for a timestamp, <c>yyyy-MM-dd</c> for a
    /// <see cref="DateOnly"/>, <c>HH:mm:ss</c> for a <see cref="TimeOnly"/>, with the fractions of a second it has).
    /// </summary>
    private static string Format<T>(T value)
        where T : IFormattable
        => value switch
        {
            DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
            DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
            DateOnly d => ChainMapping.Text(d),
            TimeOnly t => ChainMapping.Text(t),
            _ => value.ToString(null, CultureInfo.InvariantCulture),
        };
}
