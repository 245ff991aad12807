using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ApiPipeline;

/// <summary>
/// The secret query values of an input's first request (those of parameters whose names suggest secrets, <see cref="UrlRedactor.IsSensitive"/>:
/// the input's members, the base URL's and the path template's), kept out of checkpoint URLs. <see cref="Mask"/> replaces every query
/// value that is one of them, written out as is or as a server reads a query (<c>+</c> is a space), under any name, by <c>***</c> and
/// the start of its SHA-256 (and <c>~</c> when written out as is); <see cref="Unmask"/> puts each back as it was written (as is, or as
/// the first request wrote it). A value of the API's own that starts with <c>***</c> is
/// stored with its asterisks escaped (<c>%2A</c>), which means the same to a server, so it is never taken for a masked one.
/// </summary>
internal sealed class SecretQuery
{
    private const string Marker = "***";
    private const string EscapedMarker = "%2A%2A%2A";
    private const string Verbatim = "~";

    // The secret values as a server reads them, with their marker and their text as the first request wrote them.
    private readonly List<(string Value, string Mask, string Written)> _values;

    private SecretQuery(List<(string Value, string Mask, string Written)> values) => _values = values;

    /// <summary>The secret query values of <paramref name="firstRequest"/>, or <see langword="null"/> when it sends none (the usual case).</summary>
    /// <param name="firstRequest">An input's first request.</param>
    public static SecretQuery? Of(Uri firstRequest)
    {
        string query = firstRequest.Query;
        if (query.Length <= 1)
        {
            return null;
        }

        List<(string Value, string Mask, string Written)>? values = null;
        foreach (var part in query[1..].Split('&'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && eq < part.Length - 1 && UrlRedactor.IsSensitive(Read(part[..eq])))
            {
                string written = part[(eq + 1)..];
                string value = Read(written);
                values ??= [];
                if (!values.Exists(v => v.Value == value))
                {
                    values.Add((value, Marker + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)), 0, 4), written));
                }
            }
        }

        return values is null ? null : new SecretQuery(values);
    }

    /// <summary>
    /// <paramref name="url"/> without its fragment (never sent), with every query value that means one of the secrets replaced by its
    /// marker, and the API's own values that start with <c>***</c> escaped.
    /// </summary>
    /// <param name="url">An absolute URL (a checkpoint's).</param>
    public string Mask(string url) => MapQuery(WithoutFragment(url), (name, value) =>
    {
        // Written out as is (the API echoed it unescaped): put back as is. Read as a server reads it: put back as the first request wrote it.
        int verbatim = _values.FindIndex(v => v.Value == value);
        if (verbatim >= 0)
        {
            return name + "=" + _values[verbatim].Mask + Verbatim;
        }

        string read = Read(value);
        int index = _values.FindIndex(v => v.Value == read);
        return index >= 0 ? name + "=" + _values[index].Mask : EscapeMarker(name, value);
    });

    /// <summary>
    /// A checkpoint URL when no secret is to be kept out: without its fragment, and with the API's own values that start with <c>***</c>
    /// escaped (none, the usual case, costs one search).
    /// </summary>
    /// <param name="url">An absolute URL (a checkpoint's).</param>
    public static string Plain(string url)
    {
        url = WithoutFragment(url);
        return url.Contains("=" + Marker, StringComparison.Ordinal) ? MapQuery(url, EscapeMarker) : url;
    }

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

            bool verbatim = value.EndsWith(Verbatim, StringComparison.Ordinal);
            string mask = verbatim ? value[..^Verbatim.Length] : value;
            int index = source is null ? -1 : source._values.FindIndex(v => v.Mask == mask);
            if (index >= 0)
            {
                return name + "=" + (verbatim ? source!._values[index].Value : source!._values[index].Written);
            }

            absent ??= Read(name);
            return null;
        });
        missing = absent;
        return absent is null ? restored : null;
    }

    /// <summary>A query name or value as a server reads it: <c>+</c> is a space, escapes are decoded.</summary>
    /// <summary>
    /// A checkpoint URL as a dead-letter entry keeps it: without user information or fragment (a hand-written extractor's checkpoint may
    /// carry them; neither is ever sent), and with the value of every query parameter whose name suggests a secret as <c>***</c>
    /// (<see cref="UrlRedactor.IsSensitive"/>), except this class's markers, which a run (or replay) with the same input or base URL fills
    /// in again (<see cref="Unmask"/>).
    /// </summary>
    /// <param name="url">A checkpoint's URL (<see cref="Mask"/> or <see cref="Plain"/>, or a hand-written extractor's).</param>
    public static string Redact(string url)
        => MapQuery(WithoutUserInfo(WithoutFragment(url)), (name, value) => UrlRedactor.IsSensitive(Read(name)) && !IsMarker(value) ? name + "=" + Marker : null);

    private static string WithoutUserInfo(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return url;
        }

        int host = scheme + 3;
        int end = url.IndexOfAny(['/', '?'], host);
        int at = url.LastIndexOf('@', (end < 0 ? url.Length : end) - 1, (end < 0 ? url.Length : end) - host);
        return at < 0 ? url : url[..host] + url[(at + 1)..];
    }

    /// <summary>Whether a query value of <paramref name="url"/> was redacted for good (<see cref="Redact"/>): nothing can fill it in again.</summary>
    public static bool HasRedacted(string url)
    {
        bool redacted = false;
        MapQuery(url, (_, value) =>
        {
            redacted |= value == Marker;
            return null;
        });
        return redacted;
    }

    /// <summary>Whether <paramref name="value"/> is a marker of <see cref="Mask"/>: <c>***</c>, 8 hex digits, and <c>~</c> when written as is.</summary>
    private static bool IsMarker(string value)
    {
        string mask = value.EndsWith(Verbatim, StringComparison.Ordinal) ? value[..^Verbatim.Length] : value;
        return mask.Length == Marker.Length + 8 && mask.StartsWith(Marker, StringComparison.Ordinal) && mask.AsSpan(Marker.Length).ContainsAnyExcept("0123456789abcdef") is false;
    }

    private static string Read(string text) => Uri.UnescapeDataString(text.Contains('+', StringComparison.Ordinal) ? text.Replace('+', ' ') : text);

    private static string? EscapeMarker(string name, string value)
        => value.StartsWith(Marker, StringComparison.Ordinal) ? name + "=" + EscapedMarker + value[Marker.Length..] : null;

    private static string WithoutFragment(string url)
    {
        int hash = url.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? url : url[..hash];
    }

    /// <summary>
    /// <paramref name="url"/> (without a fragment) with each <c>name=value</c> part of its query replaced by what <paramref name="map"/>
    /// returns for it (<see langword="null"/>: kept).
    /// </summary>
    private static string MapQuery(string url, Func<string, string, string?> map)
    {
        int q = url.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return url;
        }

        var parts = url[(q + 1)..].Split('&');
        for (int i = 0; i < parts.Length; i++)
        {
            int eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && eq < parts[i].Length - 1)
            {
                parts[i] = map(parts[i][..eq], parts[i][(eq + 1)..]) ?? parts[i];
            }
        }

        return url[..(q + 1)] + string.Join('&', parts);
    }
}
