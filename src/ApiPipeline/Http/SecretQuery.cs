namespace ApiPipeline;

/// <summary>
/// The secret query values of an input's first request (those of parameters whose names suggest secrets, <see cref="UrlRedactor.IsSensitive"/>:
/// the input's members, the base URL's and the path template's), kept out of checkpoint URLs. <see cref="Mask"/> replaces every query
/// value equal to one of them, under any name and however it is escaped, by <c>***n</c> (n: which one); <see cref="Unmask"/> puts each
/// back as the first request wrote it.
/// </summary>
internal sealed class SecretQuery
{
    private const string Marker = "***";

    // The secret values, unescaped, with their text as the first request wrote them; in the first request's order.
    private readonly List<(string Value, string Written)> _values;

    private SecretQuery(List<(string Value, string Written)> values) => _values = values;

    /// <summary>The secret query values of <paramref name="firstRequest"/>, or <see langword="null"/> when it sends none (the usual case).</summary>
    /// <param name="firstRequest">An input's first request.</param>
    public static SecretQuery? Of(Uri firstRequest)
    {
        string query = firstRequest.Query;
        if (query.Length <= 1)
        {
            return null;
        }

        List<(string Value, string Written)>? values = null;
        foreach (var part in query[1..].Split('&'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && eq < part.Length - 1 && UrlRedactor.IsSensitive(Uri.UnescapeDataString(part[..eq])))
            {
                string written = part[(eq + 1)..];
                string value = Uri.UnescapeDataString(written);
                values ??= [];
                if (!values.Exists(v => v.Value == value))
                {
                    values.Add((value, written));
                }
            }
        }

        return values is null ? null : new SecretQuery(values);
    }

    /// <summary>
    /// <paramref name="url"/> with every query value equal to one of the secrets (read as is, or with <c>+</c> as a space) replaced by
    /// <c>***n</c>; other values stay.
    /// </summary>
    /// <param name="url">An absolute URL (a checkpoint's).</param>
    public string Mask(string url) => MapQuery(url, (name, value) =>
    {
        string plain = Uri.UnescapeDataString(value);
        string spaced = value.Contains('+', StringComparison.Ordinal) ? Uri.UnescapeDataString(value.Replace('+', ' ')) : plain;
        int index = _values.FindIndex(v => v.Value == plain || v.Value == spaced);
        return index < 0 ? null : name + "=" + Marker + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    });

    /// <summary>
    /// Puts the values <see cref="Mask"/> replaced back into <paramref name="url"/> from <paramref name="source"/> (the secrets of the
    /// input resumed with). <see langword="null"/>, with the parameter in <paramref name="missing"/>, when one cannot be filled in.
    /// </summary>
    /// <param name="url">A checkpoint's URL.</param>
    /// <param name="source">The secrets of the input resumed with, or <see langword="null"/> when it sends none.</param>
    /// <param name="missing">The name of a masked parameter that cannot be filled in.</param>
    public static string? Unmask(string url, SecretQuery? source, out string? missing)
    {
        missing = null;
        if (!url.Contains("=" + Marker, StringComparison.Ordinal))
        {
            return url;
        }

        string? absent = null;
        string restored = MapQuery(url, (name, value) =>
        {
            if (!value.StartsWith(Marker, StringComparison.Ordinal))
            {
                return null;
            }

            if (source is not null && int.TryParse(value.AsSpan(Marker.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int position)
                && position >= 1 && position <= source._values.Count)
            {
                return name + "=" + source._values[position - 1].Written;
            }

            absent ??= Uri.UnescapeDataString(name);
            return null;
        });
        missing = absent;
        return absent is null ? restored : null;
    }

    /// <summary>
    /// <paramref name="url"/> with each <c>name=value</c> part of its query (before any fragment) replaced by what <paramref name="map"/>
    /// returns for it (<see langword="null"/>: kept).
    /// </summary>
    private static string MapQuery(string url, Func<string, string, string?> map)
    {
        int q = url.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return url;
        }

        int hash = url.IndexOf('#', q);
        var parts = (hash < 0 ? url[(q + 1)..] : url[(q + 1)..hash]).Split('&');
        for (int i = 0; i < parts.Length; i++)
        {
            int eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && eq < parts[i].Length - 1)
            {
                parts[i] = map(parts[i][..eq], parts[i][(eq + 1)..]) ?? parts[i];
            }
        }

        return url[..(q + 1)] + string.Join('&', parts) + (hash < 0 ? "" : url[hash..]);
    }
}
