using System.Text.Json;

namespace ApiPipeline;

/// <summary>
/// Remembers the secret values an extractor has read or obtained (keys, passwords, tokens, and their encoded forms) and removes them
/// from any text that leaves the engine: error details, body snippets, dead-letter entries.
/// </summary>
internal sealed class SecretScrubber
{
    private const string Mask = "***";
    private readonly Lock _lock = new();
    private string[] _secrets = [];

    /// <summary>Learns <paramref name="secret"/> and its escaped forms; a value shorter than <see cref="SecretText.MinLength"/> is ignored.</summary>
    public void Add(string? secret)
    {
        if (secret is null || secret.Length < SecretText.MinLength)
        {
            return;
        }

        lock (_lock)
        {
            var list = new List<string>(_secrets);
            // As sent, URL-escaped or form-encoded (upper- or lowercase escapes), and each of those as a JSON string may carry it
            // (an echoed query or form body): System.Text.Json's escapes (with upper- or lowercase hex digits, '+' as \u002B); and the
            // secret as Go's encoding/json writes it (only <, >, &, U+2028 and U+2029, lowercase), or with "\/" for '/'.
            var forms = SecretText.UrlForms(secret)
                .SelectMany(static form =>
                {
                    string json = JsonEncodedText.Encode(form).ToString();
                    return new[] { form, json, LowercaseEscapes(json) };
                })
                .Concat([GoEscapes(secret), secret.Replace("/", "\\/", StringComparison.Ordinal)]);
            foreach (var form in forms)
            {
                if (!list.Contains(form, StringComparer.Ordinal))
                {
                    list.Add(form);
                }
            }

            // Longest first, so a secret that contains another is removed whole.
            list.Sort(static (a, b) => b.Length.CompareTo(a.Length));
            _secrets = [.. list];
        }
    }

    /// <summary><paramref name="secret"/> as Go's encoding/json writes it in a string: <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>, U+2028 and U+2029 as lowercase <c>\uXXXX</c>.</summary>
    private static string GoEscapes(string secret)
    {
        var text = new System.Text.StringBuilder(secret.Length);
        foreach (char c in secret)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '<' or '>' or '&' or '\u2028' or '\u2029' => text.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                _ => text.Append(c),
            };
        }

        return text.ToString();
    }

    /// <summary><paramref name="json"/> with the hex digits of its <c>\uXXXX</c> escapes in lowercase (as Jackson or Python may write them).</summary>
    private static string LowercaseEscapes(string json)
        => json.Contains("\\u", StringComparison.Ordinal)
            ? System.Text.RegularExpressions.Regex.Replace(json, @"\\u[0-9A-F]{4}", static m => m.Value.ToLowerInvariant(), System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1))
            : json;

    /// <summary>The length of the longest form of a secret known, or 0.</summary>
    public int LongestLength => Volatile.Read(ref _secrets) is [var longest, ..] ? longest.Length : 0;

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    public string? Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        foreach (var secret in Volatile.Read(ref _secrets))
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
