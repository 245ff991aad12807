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

    public void Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return;
        }

        lock (_lock)
        {
            var list = new List<string>(_secrets);
            // As sent, URL-escaped (upper- or lowercase escapes), and as a JSON string may carry it (System.Text.Json's escapes, or "\/" for '/').
            foreach (var form in SecretText.UrlForms(secret).Concat([JsonEncodedText.Encode(secret).ToString(), secret.Replace("/", "\\/", StringComparison.Ordinal)]))
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
