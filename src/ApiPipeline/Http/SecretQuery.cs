namespace ApiPipeline;

/// <summary>
/// The secret query values an input sends (its first request's parameters whose names suggest secrets, <see cref="UrlRedactor.IsSensitive"/>),
/// kept out of checkpoint URLs: <see cref="Mask"/> replaces each by <c>***</c> and its position among the input's values of that name
/// (<c>code=***2</c>), <see cref="Unmask"/> puts them back from the same input. A next link may repeat, reorder or drop them.
/// </summary>
internal sealed class SecretQuery
{
    private const string Marker = "***";

    // Each secret-looking parameter name (as written) → its name=value parts (as written), in the order of the first request.
    private readonly Dictionary<string, List<string>> _parts;

    private SecretQuery(Dictionary<string, List<string>> parts) => _parts = parts;

    /// <summary>The secret query values of <paramref name="firstRequest"/>, or <see langword="null"/> when it sends none (the usual case).</summary>
    /// <param name="firstRequest">An input's first request.</param>
    public static SecretQuery? Of(Uri firstRequest)
    {
        string query = firstRequest.Query;
        if (query.Length <= 1)
        {
            return null;
        }

        Dictionary<string, List<string>>? parts = null;
        foreach (var part in query[1..].Split('&'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && eq < part.Length - 1 && UrlRedactor.IsSensitive(Uri.UnescapeDataString(part[..eq])))
            {
                parts ??= new Dictionary<string, List<string>>(StringComparer.Ordinal);
                string name = part[..eq];
                if (!parts.TryGetValue(name, out var values))
                {
                    parts[name] = values = [];
                }

                if (!values.Contains(part))
                {
                    values.Add(part);
                }
            }
        }

        return parts is null ? null : new SecretQuery(parts);
    }

    /// <summary><paramref name="url"/> with each of the input's secret <c>name=value</c> parts replaced by <c>name=***n</c>; other values (an API's own) stay.</summary>
    /// <param name="url">An absolute URL (a checkpoint's).</param>
    public string Mask(string url) => MapQuery(url, (part, name) =>
        name is not null && _parts.TryGetValue(name, out var values) && values.IndexOf(part) is var index and >= 0
            ? name + "=" + Marker + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : part);

    /// <summary>
    /// Puts the values <see cref="Mask"/> replaced back into <paramref name="url"/> from <paramref name="source"/> (the input resumed
    /// with). <see langword="null"/>, with the parameter in <paramref name="missing"/>, when <paramref name="source"/> has no such value.
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
        string restored = MapQuery(url, (part, name) =>
        {
            int value = name is null ? 0 : name.Length + 1;
            if (name is null || part.Length <= value + Marker.Length || string.CompareOrdinal(part, value, Marker, 0, Marker.Length) != 0
                || !int.TryParse(part.AsSpan(value + Marker.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int position)
                || !UrlRedactor.IsSensitive(Uri.UnescapeDataString(name)))
            {
                return part;
            }

            if (source is not null && source._parts.TryGetValue(name, out var values) && position >= 1 && position <= values.Count)
            {
                return values[position - 1];
            }

            absent ??= Uri.UnescapeDataString(name);
            return part;
        });
        missing = absent;
        return absent is null ? restored : null;
    }

    /// <summary><paramref name="url"/> with each part of its query (before any fragment) mapped by <paramref name="map"/> (the part, and its name or null).</summary>
    private static string MapQuery(string url, Func<string, string?, string> map)
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
            parts[i] = map(parts[i], eq > 0 ? parts[i][..eq] : null);
        }

        return url[..(q + 1)] + string.Join('&', parts) + (hash < 0 ? "" : url[hash..]);
    }
}
