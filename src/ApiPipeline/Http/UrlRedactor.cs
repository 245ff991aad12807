namespace ApiPipeline;

/// <summary>
/// Makes URLs safe to show in logs, errors and files: user info is dropped and the values of query parameters that usually carry
/// secrets (names ending in <c>key</c>, <c>token</c>, <c>secret</c>, <c>password</c>, <c>signature</c> or <c>credential</c>, and <c>auth</c>, <c>code</c>, <c>sig</c>, <c>session</c>, <c>sid</c>, …) are replaced by <c>***</c>.
/// </summary>
public static class UrlRedactor
{
    private static readonly string[] SensitiveNames = ["auth", "authorization", "code", "auth_code", "passwd", "pwd", "session", "session_id", "sessionid", "sid", "sig", "credentials"];
    private static readonly string[] SensitiveSuffixes = ["key", "token", "secret", "password", "signature", "credential"];

    /// <summary>Returns <paramref name="uri"/> as text with secrets removed.</summary>
    /// <param name="uri">The URL.</param>
    public static string Redact(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return Redact(uri.OriginalString);
        }

        string query = uri.Query;
        if (uri.UserInfo.Length == 0 && uri.Fragment.Length == 0 && !HasSensitiveName(query))
        {
            // Nothing to hide (the usual case, once per page): the URI's own cached text, no allocation.
            return uri.AbsoluteUri;
        }

        string head = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        return query.Length <= 1 ? head : head + RedactQuery(query);
    }

    private static bool HasSensitiveName(string query)
    {
        if (query.Length <= 1)
        {
            return false;
        }

        foreach (var range in query.AsSpan(1).Split('&'))
        {
            var pair = query.AsSpan(1)[range];
            int eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            if (name.Contains('%') ? IsSensitive(Uri.UnescapeDataString(name.ToString())) : IsSensitiveName(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Returns a URL string with secrets removed.</summary>
    /// <param name="url">The URL.</param>
    public static string Redact(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
        {
            return Redact(absolute);
        }

        // Anything else is redacted as text: on Linux "/x?api_key=…" parses as a file: URI whose '?' is part of the path. User
        // information goes first, so that a password holding a raw '#' or '/' goes whole. With a scheme ("ftp://", or "//" alone):
        // up to an '@' before the first '/'; an '@' only after it may be the path's (bob@example.com) or end a password holding a
        // '/', so everything up to the last one before the query is shown as "***@". Without a scheme (user:password@host): up to
        // an '@' before the first '/' or '?'.
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        int authority = scheme >= 0 ? scheme + 3 : url.StartsWith("//", StringComparison.Ordinal) ? 2 : url.StartsWith('/') ? -1 : 0;
        if (authority >= 0)
        {
            int slash = url.IndexOf('/', authority);
            int end = authority > 0 ? url.IndexOf('?', authority) : url.IndexOfAny(['/', '?'], authority);
            int at = url.AsSpan(authority, (end < 0 ? url.Length : end) - authority).LastIndexOf('@') + authority;
            if (at >= authority)
            {
                bool plain = slash < 0 || at < slash;
                url = url[..authority] + (plain ? "" : "***@") + url[(at + 1)..];
            }
        }

        int fragment = url.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            url = url[..fragment];
        }

        int q = url.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? url : url[..q] + RedactQuery(url[q..]);
    }

    /// <summary>Whether a query parameter or header name usually carries a secret.</summary>
    /// <param name="name">The parameter name.</param>
    public static bool IsSensitive(string name) => IsSensitiveName(name.AsSpan());

    private static bool IsSensitiveName(ReadOnlySpan<char> name)
    {
        foreach (var suffix in SensitiveSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        foreach (var sensitive in SensitiveNames)
        {
            if (name.Equals(sensitive, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The values of the query parameters of <paramref name="uri"/> whose names suggest secrets, unescaped.</summary>
    /// <param name="uri">An absolute URL.</param>
    internal static IEnumerable<string> SensitiveValues(Uri uri)
    {
        string query = uri.Query;
        if (query.Length <= 1)
        {
            yield break;
        }

        foreach (var part in query[1..].Split('&'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && eq < part.Length - 1 && IsSensitive(Uri.UnescapeDataString(part[..eq])))
            {
                yield return Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '));
            }
        }
    }

    /// <summary>
    /// A relative URL as a key (an input's partition): as <see cref="Redact(string)"/>, except that each secret value becomes <c>***</c>
    /// and the start of its SHA-256, so that inputs that differ only in a secret (one key per tenant) keep different keys.
    /// </summary>
    /// <param name="relativeUrl">The path and query.</param>
    internal static string Key(string relativeUrl)
    {
        int q = relativeUrl.IndexOf('?', StringComparison.Ordinal);
        return q < 0 || !HasSensitiveName(relativeUrl[q..]) ? relativeUrl : relativeUrl[..q] + RedactQuery(relativeUrl[q..], distinct: true);
    }

    private static string RedactQuery(string query, bool distinct = false)
    {
        var parts = query[1..].Split('&');
        for (int i = 0; i < parts.Length; i++)
        {
            int eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && IsSensitive(Uri.UnescapeDataString(parts[i][..eq])))
            {
                string mask = distinct ? "***" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(parts[i][(eq + 1)..])), 0, 4) : "***";
                parts[i] = parts[i][..(eq + 1)] + mask;
            }
        }

        return "?" + string.Join('&', parts);
    }
}
