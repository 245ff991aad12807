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

        // Uri.EscapeDataString returns its argument when nothing needs escaping, so escaping again below allocates nothing then.
        int length = head.Length + query.Length + fragment.Length + 1;
        foreach (var (name, value) in parameters)
        {
            length += Uri.EscapeDataString(name).Length + Uri.EscapeDataString(value).Length + 2;
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
                string escapedName = Uri.EscapeDataString(name);
                escapedName.CopyTo(buffer[used..]);
                used += escapedName.Length;
                buffer[used++] = '=';
                string escapedValue = Uri.EscapeDataString(value);
                escapedValue.CopyTo(buffer[used..]);
                used += escapedValue.Length;
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
