namespace ApiPipeline;

/// <summary>Reads RFC 8288 <c>Link</c> headers: <c>&lt;url&gt;; rel="next", &lt;url&gt;; rel="last"</c>.</summary>
internal static class LinkHeader
{
    /// <summary>Finds the target of the link whose <c>rel</c> contains <paramref name="relation"/>, across one or more header values.</summary>
    public static string? Find(IEnumerable<string> headerValues, string relation)
    {
        foreach (var value in headerValues)
        {
            var found = Find(value.AsSpan(), relation);
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    public static string? Find(ReadOnlySpan<char> header, string relation)
    {
        while (!header.IsEmpty)
        {
            int open = header.IndexOf('<');
            if (open < 0)
            {
                return null;
            }

            int close = header[(open + 1)..].IndexOf('>');
            if (close < 0)
            {
                return null;
            }

            var target = header.Slice(open + 1, close).Trim();
            header = header[(open + close + 2)..];

            // Parameters run up to the next link, which starts after a comma that is outside quotes.
            int end = OutsideQuotes(header, '<');
            var parameters = end < 0 ? header : header[..end];
            header = end < 0 ? [] : header[end..];
            if (HasRelation(parameters, relation))
            {
                return target.ToString();
            }
        }

        return null;
    }

    /// <summary>
    /// The index of the first <paramref name="stop"/> outside a quoted string (in which <c>\</c> escapes the next character), or -1:
    /// a quoted title may hold <c>;</c>, <c>,</c>, <c>&lt;</c> or <c>rel=next</c> without starting anything.
    /// </summary>
    private static int OutsideQuotes(ReadOnlySpan<char> text, char stop)
    {
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted && c == '\\')
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == stop && !quoted)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool HasRelation(ReadOnlySpan<char> parameters, string relation)
    {
        while (!parameters.IsEmpty)
        {
            int end = OutsideQuotes(parameters, ';');
            var parameter = (end < 0 ? parameters : parameters[..end]).Trim().TrimEnd(',').Trim();
            parameters = end < 0 ? [] : parameters[(end + 1)..];
            int eq = parameter.IndexOf('=');
            if (eq < 0 || !parameter[..eq].Trim().Equals("rel", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // Only a link's first rel counts (RFC 8288, 3.3: later occurrences must be ignored).
            var value = parameter[(eq + 1)..].Trim().Trim('"');
            foreach (var relRange in value.Split(' '))
            {
                if (value[relRange].Equals(relation, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        return false;
    }
}
