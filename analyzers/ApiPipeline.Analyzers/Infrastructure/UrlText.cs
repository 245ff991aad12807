using System;
using System.Collections.Generic;
using System.Text;

namespace ApiPipeline.Analyzers;

/// <summary>A <c>{placeholder}</c> of a path template: its name and where it is in the template.</summary>
internal readonly struct Placeholder
{
    public Placeholder(string name, int start, int length)
    {
        Name = name;
        Start = start;
        Length = length;
    }

    /// <summary>The name between the braces.</summary>
    public string Name { get; }

    /// <summary>The index of <c>{</c> in the template.</summary>
    public int Start { get; }

    /// <summary>The length including both braces.</summary>
    public int Length { get; }
}

/// <summary>A <c>name=value</c> pair of a URL's query, with its position in the text it was read from.</summary>
internal readonly struct QueryParameter
{
    public QueryParameter(string name, string value, int start, int length)
    {
        Name = name;
        Value = value;
        Start = start;
        Length = length;
    }

    /// <summary>The unescaped name.</summary>
    public string Name { get; }

    /// <summary>The value as written.</summary>
    public string Value { get; }

    /// <summary>The index of the pair in the whole text.</summary>
    public int Start { get; }

    /// <summary>The pair's length (without the separating <c>&amp;</c>).</summary>
    public int Length { get; }
}

/// <summary>URL and path-template text helpers; none of them throws.</summary>
internal static class UrlText
{
    private static readonly string[] SensitiveNames = ["auth", "authorization", "code", "auth_code", "passwd", "pwd", "session", "session_id", "sessionid", "sid", "sig", "credentials"];
    private static readonly string[] SensitiveSuffixes = ["key", "token", "secret", "password", "signature", "credential"];

    /// <summary>Whether a query parameter or header name usually carries a secret: the same rule as <c>ApiPipeline.UrlRedactor.IsSensitive</c>.</summary>
    public static bool IsSensitive(string name)
    {
        foreach (var suffix in SensitiveSuffixes)
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        foreach (var n in SensitiveNames)
        {
            if (n.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The well-formed <c>{name}</c> placeholders of a path template, in order; malformed ones are skipped (the generator reports them).</summary>
    public static List<Placeholder> Placeholders(string template)
    {
        var result = new List<Placeholder>();
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf('{', i);
            if (open < 0)
            {
                break;
            }

            int close = template.IndexOf('}', open);
            if (close < 0)
            {
                break;
            }

            string name = template.Substring(open + 1, close - open - 1);
            if (name.Length > 0 && IsPlaceholderName(name))
            {
                result.Add(new Placeholder(name, open, close - open + 1));
            }

            i = close + 1;
        }

        return result;
    }

    /// <summary>The pairs of the query part (after <c>?</c>, before <c>#</c>) of <paramref name="url"/>.</summary>
    public static List<QueryParameter> Query(string url)
    {
        var result = new List<QueryParameter>();
        int q = url.IndexOf('?');
        if (q < 0)
        {
            return result;
        }

        int end = url.IndexOf('#', q);
        if (end < 0)
        {
            end = url.Length;
        }

        int start = q + 1;
        while (start <= end)
        {
            int amp = url.IndexOf('&', start);
            if (amp < 0 || amp > end)
            {
                amp = end;
            }

            if (amp > start)
            {
                string pair = url.Substring(start, amp - start);
                int eq = pair.IndexOf('=');
                string name = eq < 0 ? pair : pair.Substring(0, eq);
                string value = eq < 0 ? string.Empty : pair.Substring(eq + 1);
                result.Add(new QueryParameter(Unescape(name), value, start, amp - start));
            }

            start = amp + 1;
        }

        return result;
    }

    /// <summary>Whether a query value is written in the source (not empty and not a <c>{placeholder}</c> bound from the input).</summary>
    public static bool IsLiteralValue(string value)
    {
        string trimmed = value.Trim();
        if (trimmed.Length == 0)
        {
            return false;
        }

        return !(trimmed[0] == '{' && trimmed[trimmed.Length - 1] == '}' && trimmed.IndexOf('}') == trimmed.Length - 1);
    }

    /// <summary>
    /// The query parameters of <paramref name="url"/> whose name is sensitive and whose value is a literal. A name ending in
    /// <c>key</c> that is not a credential's name (<c>api_key</c>, <c>access-key</c>, <c>secretKey</c>, ...) counts only when its value
    /// does not read as a name (lowercase letters, <c>_</c>, <c>-</c>, <c>.</c>): <c>sort_key=updated_at</c> is an ordinary
    /// parameter; <c>api_key=abcdef</c>, <c>key=DEMO_KEY</c> and <c>partner_key=a1b2</c> are secrets.
    /// </summary>
    public static List<QueryParameter> SecretParameters(string url)
    {
        var result = new List<QueryParameter>();
        foreach (var parameter in Query(url))
        {
            if (IsSensitive(parameter.Name) && IsLiteralValue(parameter.Value) && !(NamesAKeyOfData(parameter.Name) && ReadsAsAName(parameter.Value)))
            {
                result.Add(parameter);
            }
        }

        return result;
    }

    private static readonly string[] CredentialKeyNames = ["apikey", "accesskey", "privatekey", "secretkey", "clientkey", "authkey", "subscriptionkey", "appkey", "devkey", "developerkey"];

    private static bool NamesAKeyOfData(string name)
    {
        if (!name.EndsWith("key", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var letters = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            if (c is not ('_' or '-' or '.'))
            {
                letters.Append(char.ToLowerInvariant(c));
            }
        }

        string compact = letters.ToString();
        foreach (string credential in CredentialKeyNames)
        {
            if (compact.EndsWith(credential, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ReadsAsAName(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!((c >= 'a' && c <= 'z') || c is '_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether an absolute URL carries user info (<c>user:password@host</c>).</summary>
    public static bool HasUserInfo(string url)
        => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0;

    /// <summary>
    /// <paramref name="url"/> without the given query pairs (and without the user info when <paramref name="dropUserInfo"/>);
    /// a <c>?</c> left with nothing after it is removed too.
    /// </summary>
    public static string Remove(string url, IReadOnlyList<QueryParameter> parameters, bool dropUserInfo)
    {
        string text = url;
        for (int i = parameters.Count - 1; i >= 0; i--)
        {
            var p = parameters[i];
            int start = p.Start;
            int end = p.Start + p.Length;
            if (end < text.Length && text[end] == '&')
            {
                end++;
            }
            else if (start > 0 && text[start - 1] == '&')
            {
                start--;
            }

            text = text.Remove(start, end - start);
        }

        int q = text.IndexOf('?');
        if (q >= 0 && (q == text.Length - 1 || text[q + 1] == '#'))
        {
            text = text.Remove(q, 1);
        }

        if (dropUserInfo)
        {
            int scheme = text.IndexOf("://", StringComparison.Ordinal);
            int at = text.IndexOf('@');
            int slash = scheme < 0 ? -1 : text.IndexOf('/', scheme + 3);
            if (scheme >= 0 && at > scheme && (slash < 0 || at < slash))
            {
                text = text.Remove(scheme + 3, at - scheme - 2);
            }
        }

        return text;
    }

    private static bool IsPlaceholderName(string name)
    {
        foreach (char c in name)
        {
            if (!char.IsLetterOrDigit(c) && c != '_' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    private static string Unescape(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            return text;
        }
    }
}
