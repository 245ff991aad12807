using System.Buffers;
using System.Text;
using System.Text.Json;

namespace ApiPipeline;

/// <summary>Text made from response bodies and inputs for messages and dead-letter entries.</summary>
internal static class HttpText
{
    /// <summary>
    /// The start of a body as one quoted line of at most <paramref name="maxChars"/> characters, or <c>(empty)</c>, without the
    /// <paramref name="secrets"/>.
    /// </summary>
    public static string Snippet(ReadOnlySpan<byte> body, int maxChars, SecretScrubber secrets)
        => body.IsEmpty ? "(empty)" : "'" + Excerpt(body, maxChars, secrets).ReplaceLineEndings(" ") + "'";

    /// <summary>
    /// The start of a body as text of at most <paramref name="maxChars"/> characters, without the <paramref name="secrets"/>, or
    /// <see langword="null"/> when empty.
    /// </summary>
    public static string? Raw(ReadOnlySpan<byte> body, int maxChars, SecretScrubber secrets)
        => body.IsEmpty ? null : Excerpt(body, maxChars, secrets);

    /// <summary>
    /// Secrets are removed before the text is cut: a secret across the cut would otherwise leave its start behind. So the text decoded
    /// reaches past the cut by the longest secret.
    /// </summary>
    private static string Excerpt(ReadOnlySpan<byte> body, int maxChars, SecretScrubber secrets)
    {
        int bytes = (maxChars + secrets.LongestLength) * 4;
        var text = secrets.Scrub(Encoding.UTF8.GetString(body[..Math.Min(body.Length, bytes)]));
        return text.Length > maxChars ? text[..maxChars] + "…" : text;
    }

    /// <summary>
    /// Copies a JSON value, replacing the value of every property whose name suggests a secret (<see cref="UrlRedactor.IsSensitive"/>)
    /// with <c>"***"</c>; the string and number values replaced are added to <paramref name="redacted"/>.
    /// </summary>
    public static string RedactJson(ReadOnlySpan<byte> json, List<string>? redacted = null)
    {
        var buffer = new ArrayBufferWriter<byte>(json.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            var reader = new Utf8JsonReader(json);
            bool redactNext = false;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        string name = reader.GetString()!;
                        writer.WritePropertyName(name);
                        redactNext = UrlRedactor.IsSensitive(name);
                        continue;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray when redactNext:
                        reader.Skip();
                        writer.WriteStringValue("***");
                        break;
                    case JsonTokenType.StartObject:
                        writer.WriteStartObject();
                        break;
                    case JsonTokenType.StartArray:
                        writer.WriteStartArray();
                        break;
                    case JsonTokenType.EndObject:
                        writer.WriteEndObject();
                        break;
                    case JsonTokenType.EndArray:
                        writer.WriteEndArray();
                        break;
                    case JsonTokenType.Null:
                        writer.WriteNullValue();
                        break;
                    case JsonTokenType.String when !redactNext:
                        writer.WriteStringValue(reader.GetString());
                        break;
                    case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False when !redactNext:
                        writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                    default:
                        if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number)
                        {
                            redacted?.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : Encoding.UTF8.GetString(reader.ValueSpan));
                        }

                        writer.WriteStringValue("***");
                        break;
                }

                redactNext = false;
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
