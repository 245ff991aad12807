using System.Buffers;
using System.Text.Json;

namespace ApiPipeline.Baselines;

/// <summary>
/// The hand-written passthrough record (issue 9), the bar the generated passthrough is measured against in the load harness and in
/// <c>PassthroughPageBenchmarks</c> (linked into both): <c>id</c> and <c>updated_at</c> read by hand in the page's
/// <see cref="Utf8JsonReader"/> pass, and the record's bytes written as one line with no insignificant whitespace, as the mode
/// requires. On the way it checks that at most a comma sits between two top-level tokens, that a name is followed directly by its
/// colon and that a skipped nested value holds no whitespace byte; a record that passes is copied as it is, any other compacted.
/// </summary>
internal static class HandWrittenPassthrough
{
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>
    /// Reads the record at the reader's <see cref="JsonTokenType.StartObject"/> in <paramref name="body"/>, leaving the reader on its
    /// end, and writes it with <c>'\n'</c> to <paramref name="output"/>; returns <c>id</c> plus the ticks of <c>updated_at</c>.
    /// </summary>
    public static long CopyRecord(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        int start = (int)reader.TokenStartIndex;
        int end = (int)reader.BytesConsumed;
        bool loose = false;
        long check = 0;
        while (true)
        {
            reader.Read();
            loose |= Gap(body, end, (int)reader.TokenStartIndex);
            end = (int)reader.BytesConsumed;
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                break;
            }

            loose |= end - (int)reader.TokenStartIndex != reader.ValueSpan.Length + 3; // whitespace before the colon
            bool isId = reader.ValueTextEquals("id"u8);
            bool isUpdated = !isId && reader.ValueTextEquals("updated_at"u8);
            reader.Read();
            loose |= Gap(body, end, (int)reader.TokenStartIndex);
            end = (int)reader.BytesConsumed;
            if (isId)
            {
                check += reader.GetInt64();
            }
            else if (isUpdated)
            {
                check += reader.GetDateTimeOffset().UtcTicks;
            }
            else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip(); // its inside is checked as part of the next gap
            }
        }

        var record = body[start..end];
        var line = output.GetSpan(record.Length + 1);
        int length = loose ? Compact(record, line) : record.Length;
        if (!loose)
        {
            record.CopyTo(line);
        }

        line[length] = (byte)'\n';
        output.Advance(length + 1);
        return check;
    }

    /// <summary>Whether the bytes between two tokens (or around a skipped nested value) may hold insignificant whitespace.</summary>
    private static bool Gap(ReadOnlySpan<byte> body, int end, int next)
        => next != end && (next - end != 1 || body[end] != (byte)',') && body[end..next].ContainsAny(Whitespace);

    /// <summary>Copies <paramref name="json"/> without whitespace outside strings, a byte at a time; returns the length written.</summary>
    private static int Compact(ReadOnlySpan<byte> json, Span<byte> destination)
    {
        int written = 0;
        bool inString = false;
        bool escaped = false;
        foreach (byte b in json)
        {
            if (inString)
            {
                inString = escaped || b != (byte)'"';
                escaped = !escaped && b == (byte)'\\';
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }
            else
            {
                inString = b == (byte)'"';
            }

            destination[written++] = b;
        }

        return written;
    }
}
