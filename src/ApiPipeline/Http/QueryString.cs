using System.Buffers;

namespace ApiPipeline;

/// <summary>Sets query parameters on an absolute URL, replacing any earlier value of the same name.</summary>
/// <remarks>
/// Runs for every page of offset, page-number and cursor pagination, so it builds the new URL text once in a pooled buffer and parses
/// one <see cref="Uri"/>: existing pairs are copied as they are (already escaped), names are compared without allocating unless they
/// contain escapes.
/// </remarks>
internal static class QueryString
{
    private const int MaxEscapedPerChar = 9;

    public static Uri Set(Uri uri, string name, string value) => Set(uri, [new(name, value)]);

    public static Uri Set(Uri uri, ReadOnlySpan<KeyValuePair<string, string>> parameters)
    {
        string text = uri.AbsoluteUri; // cached by Uri
        int end = text.IndexOf('#', StringComparison.Ordinal);
        if (end < 0)
        {
            end = text.Length;
        }

        int mark = text.AsSpan(0, end).IndexOf('?');
        var head = text.AsSpan(0, mark < 0 ? end : mark);
        var query = mark < 0 ? ReadOnlySpan<char>.Empty : text.AsSpan(mark + 1, end - mark - 1);
        var fragment = text.AsSpan(end);

        // Escaped straight into the buffer, so it is sized for the worst case: a char escapes to at most 9 ("%E2%82%AC").
        int length = head.Length + query.Length + fragment.Length + 1;
        foreach (var (name, value) in parameters)
        {
            length += (MaxEscapedPerChar * (name.Length + value.Length)) + 2;
        }

        char[] rented = ArrayPool<char>.Shared.Rent(length);
        try
        {
            var buffer = rented.AsSpan();
            head.CopyTo(buffer);
            int used = head.Length;
            bool first = true;
            foreach (var range in query.Split('&'))
            {
                var pair = query[range];
                if (pair.IsEmpty || IsOneOf(pair, parameters))
                {
                    continue;
                }

                buffer[used++] = first ? '?' : '&';
                pair.CopyTo(buffer[used..]);
                used += pair.Length;
                first = false;
            }

            foreach (var (name, value) in parameters)
            {
                buffer[used++] = first ? '?' : '&';
                used += Escape(name, buffer[used..]);
                buffer[used++] = '=';
                used += Escape(value, buffer[used..]);
                first = false;
            }

            fragment.CopyTo(buffer[used..]);
            used += fragment.Length;
            return new Uri(new string(buffer[..used]), UriKind.Absolute);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary><paramref name="uri"/> without any parameter called <paramref name="name"/>; the same instance when it has none.</summary>
    public static Uri Remove(Uri uri, string name) => Without(uri, name, []);

    /// <summary>
    /// <paramref name="uri"/> without any parameter whose value is one of <paramref name="values"/>, as sent or percent-escaped; the same
    /// instance when it has none.
    /// </summary>
    public static Uri RemoveValues(Uri uri, ReadOnlySpan<string> values) => values.IsEmpty ? uri : Without(uri, null, values);

    private static Uri Without(Uri uri, string? name, ReadOnlySpan<string> values)
    {
        string text = uri.AbsoluteUri;
        int end = text.IndexOf('#', StringComparison.Ordinal);
        end = end < 0 ? text.Length : end;
        int mark = text.AsSpan(0, end).IndexOf('?');
        if (mark < 0)
        {
            return uri;
        }

        ReadOnlySpan<KeyValuePair<string, string>> removed = name is null ? [] : [new(name, string.Empty)];
        var query = text.AsSpan(mark + 1, end - mark - 1);
        var kept = new System.Text.StringBuilder(text.Length).Append(text.AsSpan(0, mark));
        bool any = false;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (IsOneOf(pair, removed) || HasValue(pair, values))
            {
                any = true;
            }
            else if (!pair.IsEmpty)
            {
                kept.Append(kept.Length == mark ? '?' : '&').Append(pair);
            }
        }

        return any ? new Uri(kept.Append(text.AsSpan(end)).ToString(), UriKind.Absolute) : uri;
    }

    private static bool HasValue(ReadOnlySpan<char> pair, ReadOnlySpan<string> values)
    {
        int eq = pair.IndexOf('=');
        if (eq < 0 || values.IsEmpty)
        {
            return false;
        }

        var value = pair[(eq + 1)..];
        string? unescaped = value.Contains('%') ? Uri.UnescapeDataString(value.ToString()) : null;
        foreach (var candidate in values)
        {
            if (value.SequenceEqual(candidate) || (unescaped is not null && unescaped == candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static int Escape(string text, Span<char> destination)
        => Uri.TryEscapeDataString(text, destination, out int written)
            ? written
            : throw new InvalidOperationException("The query buffer was sized too small for an escaped value.");

    private static bool IsOneOf(ReadOnlySpan<char> pair, ReadOnlySpan<KeyValuePair<string, string>> parameters)
    {
        int eq = pair.IndexOf('=');
        var key = eq < 0 ? pair : pair[..eq];
        bool plain = !key.Contains('%');
        string? unescaped = null;
        foreach (var p in parameters)
        {
            if (plain ? key.SequenceEqual(p.Key) : string.Equals(unescaped ??= Uri.UnescapeDataString(key.ToString()), p.Key, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
