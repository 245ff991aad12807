using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ApiPipeline.Benchmarks;

[JsonSerializable(typeof(Issue))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
public sealed partial class BenchJson : JsonSerializerContext;

/// <summary>Pages of the same records the load harness serves.</summary>
public static class Pages
{
    public static Issue[] Records(int count) => [.. Enumerable.Range(1, count).Select(n => Dataset.Record(n))];

    /// <summary><c>{"data":[…],"next_cursor":"c000000000100"}</c>; <paramref name="cursorOffset"/> is where the cursor's 12 digits start.</summary>
    public static byte[] CursorPage(int count, out int cursorOffset)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WritePropertyName("data");
            JsonSerializer.Serialize(json, Records(count), BenchJsonArray.Default.IssueArray);
            json.WriteString("next_cursor", "c000000000100");
            json.WriteEndObject();
        }

        var bytes = buffer.WrittenSpan.ToArray();
        cursorOffset = bytes.AsSpan().IndexOf("c000000000100"u8) + 1;
        return bytes;
    }

    /// <summary>Writes <paramref name="value"/> as 12 digits at <paramref name="offset"/> (a fresh cursor for every page).</summary>
    public static void PatchCursor(byte[] page, int offset, long value)
    {
        for (int i = offset + 11; i >= offset; i--)
        {
            page[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}

[JsonSerializable(typeof(Issue[]))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class BenchJsonArray : JsonSerializerContext;

/// <summary>A file that is replaced every few thousand writes, so a benchmark never fills the disk.</summary>
internal static class Scratch
{
    public const int RotateEvery = 2000;

    public static string NewDirectory(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "apipipeline-bench", name + "-" + Environment.ProcessId);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Delete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
