using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ApiPipeline.Benchmarks;

/// <summary>The load harness's GitHub-issue-like record (~540 bytes of JSON).</summary>
public sealed record Issue(
    long Id,
    int Number,
    string Title,
    string State,
    User User,
    List<Label> Labels,
    int Comments,
    string HtmlUrl,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string AuthorAssociation,
    bool Locked,
    string Body);

public sealed record User(string Login, long Id, bool SiteAdmin);

public sealed record Label(string Name, string Color);

[JsonSerializable(typeof(Issue))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
public sealed partial class BenchJson : JsonSerializerContext;

/// <summary>Pages of the same records the load harness serves.</summary>
public static class Pages
{
    private static readonly string[] Titles =
    [
        "Pagination stops early when the API repeats a cursor on a late page",
        "Offset pagination skips records when the total changes during a run",
        "Retry-After header is ignored after a 429 from the search endpoint",
        "Link header with several relations is parsed in the wrong order",
        "Memory grows while writing partitioned JSON Lines for a large backfill",
    ];

    private static readonly string[] Users = ["octocat", "hubot", "monalisa", "defunkt", "mojombo", "pjhyett"];
    private static readonly string[] LabelNames = ["bug", "enhancement", "documentation", "performance", "question"];
    private static readonly string[] Colors = ["d73a4a", "a2eeef", "0075ca", "fbca04", "d876e3"];
    private static readonly string[] Associations = ["CONTRIBUTOR", "MEMBER", "NONE"];
    private static readonly string[] Bodies =
    [
        "Steps to reproduce: run the extractor against a paginated endpoint with a page size of one hundred and watch the cursor. Expected: every record exactly once. Actual: the last pages are missing.",
        "When the server answers slowly the pipeline keeps every page in memory until the end of the run. Expected: memory stays flat while records stream to disk in batches.",
        "The nightly incremental run starts from the stored watermark but the first page is fetched twice after a restart, so two files hold the same records for one day.",
    ];

    public static Issue Record(int i)
    {
        long n = i + 1;
        var updated = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(n);
        var labels = new List<Label>();
        for (int l = 0; l < 1 + (i % 2); l++)
        {
            labels.Add(new Label(LabelNames[(i + l) % LabelNames.Length], Colors[(i + l) % Colors.Length]));
        }

        return new Issue(1_000_000_000L + n, (int)(10_000_000 + n), Titles[i % Titles.Length], i % 3 == 0 ? "closed" : "open",
            new User(Users[i % Users.Length], 5_000_000 + (i % Users.Length), i % 17 == 0), labels, i % 11,
            "https://github.com/octo-org/api-pipeline/issues/" + (10_000_000 + n), updated - TimeSpan.FromDays(3), updated,
            Associations[i % Associations.Length], i % 29 == 0, Bodies[i % Bodies.Length]);
    }

    public static Issue[] Records(int count) => [.. Enumerable.Range(0, count).Select(Record)];

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
