using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>
/// The forms a secret takes in text that leaves the engine: as it is, and percent-escaped (in a URL, or form-encoded with a space as
/// <c>+</c>) with upper- or lowercase hex digits.
/// </summary>
internal static class SecretText
{
    /// <summary>
    /// <paramref name="secret"/> as it is, URL-escaped (<c>%2F</c> as .NET escapes, and <c>%2f</c> as other encoders do), and form-encoded
    /// as <see cref="FormUrlEncodedContent"/> sends it (a space as <c>+</c>: an OAuth client secret in a <c>client_secret_post</c> body,
    /// which a token endpoint may echo).
    /// </summary>
    public static IEnumerable<string> UrlForms(string secret)
    {
        yield return secret;
        string escaped = Uri.EscapeDataString(secret);
        if (escaped != secret)
        {
            foreach (var form in EscapedForms(escaped))
            {
                yield return form;
            }

            string formEncoded = escaped.Replace("%20", "+", StringComparison.Ordinal);
            if (formEncoded != escaped)
            {
                foreach (var form in EscapedForms(formEncoded))
                {
                    yield return form;
                }
            }
        }
    }

    /// <summary><paramref name="escaped"/>, and with lowercase hex digits when that differs.</summary>
    private static IEnumerable<string> EscapedForms(string escaped)
    {
        yield return escaped;
        string lower = LowerEscapes(escaped);
        if (lower != escaped)
        {
            yield return lower;
        }
    }

    /// <summary>The URL forms (<see cref="UrlForms"/>) of <paramref name="secrets"/>, in their order: give them longest first (<see cref="Longest"/>).</summary>
    public static string[] Forms(IEnumerable<string> secrets) => [.. secrets.SelectMany(UrlForms)];

    /// <summary>
    /// <paramref name="text"/> with every one of <paramref name="forms"/> from <paramref name="start"/> on replaced by <c>***</c>; the same
    /// instance, with nothing allocated, when none is there (this runs for every page shown).
    /// </summary>
    public static string Mask(string text, int start, string[] forms)
    {
        bool found = false;
        foreach (var form in forms)
        {
            found |= text.AsSpan(start).Contains(form, StringComparison.Ordinal);
        }

        if (!found)
        {
            return text;
        }

        string rest = text[start..];
        foreach (var form in forms)
        {
            rest = rest.Replace(form, "***", StringComparison.Ordinal);
        }

        return text[..start] + rest;
    }

    /// <summary>
    /// The values of <paramref name="input"/>'s secret-looking members (by name, <see cref="UrlRedactor.IsSensitive"/>), as its
    /// description shows them as <c>***</c>: when <paramref name="options"/> (the extractor's JSON context) can write the input.
    /// </summary>
    public static IEnumerable<string> MemberValues<TIn>(TIn input, JsonSerializerOptions? options)
    {
        var values = new List<string>();
        if (input is null || typeof(TIn) == typeof(NoInput) || options is null)
        {
            return values;
        }

        try
        {
            if (options.TryGetTypeInfo(typeof(TIn), out var info) && info is JsonTypeInfo<TIn> inputInfo)
            {
                HttpText.RedactJson(JsonSerializer.SerializeToUtf8Bytes(input, inputInfo), values);
            }
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            // An input its context cannot write (a converter that only reads, say): its members are not known, and the run goes on.
            values.Clear();
        }

        return values;
    }

    /// <summary>
    /// <paramref name="text"/> (an input's partition key, or a URL it starts at) as it is shown (logs, dead-letter entries): without the
    /// values of <paramref name="input"/>'s secret-looking members (<see cref="MemberValues"/>), which stored keys and checkpoints keep
    /// where the URL carries them (under another query name, in the path) so that they stay the same from run to run.
    /// </summary>
    public static string MaskMembers<TIn>(string text, TIn input, JsonSerializerOptions? options)
        => Mask(text, 0, Forms(Longest(MemberValues(input, options))));

    /// <summary>The shortest value replaced in text: shorter ones (Basic's conventional password <c>x</c>) would mangle ordinary text.</summary>
    public const int MinLength = 4;

    /// <summary>
    /// The secrets worth replacing in text, longest first (so that a secret holding another goes whole): those of
    /// <see cref="MinLength"/> characters or more.
    /// </summary>
    public static string[] Longest(IEnumerable<string> secrets)
        => [.. secrets.Where(v => v.Length >= MinLength).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];

    private static string LowerEscapes(string escaped)
        => string.Create(escaped.Length, escaped, static (chars, source) =>
        {
            source.CopyTo(chars);
            for (int i = 0; i + 2 < chars.Length; i++)
            {
                if (chars[i] == '%')
                {
                    chars[i + 1] = char.ToLowerInvariant(chars[i + 1]);
                    chars[i + 2] = char.ToLowerInvariant(chars[i + 2]);
                    i += 2;
                }
            }
        });
}
