using System.Text;

namespace ApiPipeline;

/// <summary>Sets query parameters on an absolute URL, replacing any earlier value of the same name.</summary>
internal static class QueryString
{
    public static Uri Set(Uri uri, string name, string value) => Set(uri, [new(name, value)]);

    public static Uri Set(Uri uri, ReadOnlySpan<KeyValuePair<string, string>> parameters)
    {
        string query = uri.Query; // "" or "?a=b&c=d"
        var result = new StringBuilder(query.Length + 64);
        if (query.Length > 1)
        {
            foreach (var part in query.AsSpan(1).Split('&'))
            {
                var pair = query.AsSpan(1)[part];
                if (pair.IsEmpty || IsOneOf(pair, parameters))
                {
                    continue;
                }

                result.Append(result.Length == 0 ? '?' : '&').Append(pair);
            }
        }

        foreach (var (name, value) in parameters)
        {
            result.Append(result.Length == 0 ? '?' : '&')
                .Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        var builder = new UriBuilder(uri) { Query = result.Length == 0 ? string.Empty : result.ToString(1, result.Length - 1) };
        return builder.Uri;
    }

    private static bool IsOneOf(ReadOnlySpan<char> pair, ReadOnlySpan<KeyValuePair<string, string>> parameters)
    {
        int eq = pair.IndexOf('=');
        var key = Uri.UnescapeDataString(eq < 0 ? pair.ToString() : pair[..eq].ToString());
        foreach (var p in parameters)
        {
            if (string.Equals(key, p.Key, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
