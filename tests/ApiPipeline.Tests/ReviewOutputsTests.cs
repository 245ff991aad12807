using System.Text;
using System.Text.Json.Serialization;

namespace ApiPipeline.Tests;

/// <summary>Passthrough changes whose late records go to the dead-letter file.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(PassthroughJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Watermark(nameof(ChangeKeys.UpdatedAt), Param = "since", Lag = "5m", AllowedLateness = "2m", Late = LateRecordPolicy.DeadLetter)]
public sealed partial class ReviewRawLateChanges : IExtractor<Scenario, RawRecord<ChangeKeys>>;

public sealed class ReviewOutputsTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Landed(string name)
        => string.Concat(Directory.EnumerateFiles(Path.Combine(_dir.Path, name), "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllText));

    /// <summary>
    /// docs/passthrough.md, "What is kept, what is removed": "Whitespace outside strings (a pretty-printed API) and comments are
    /// removed". Expected: a page whose record carries a comment lands the record without it. Actual: the page parser does not skip
    /// comments (PageParser.ReaderOptions), so the run fails with InvalidJson and nothing is written.
    /// </summary>
    [Fact]
    public async Task ReviewOutputs_passthrough_removes_comments_the_api_sends_as_documented()
    {
        Map("rv-comments/items", ctx => Reply.Json(ctx, "{\"data\":[{\"id\":1, /* internal note */ \"x\":\"a /* kept */ b\"}],\"next\":null}"));
        await using var output = new JsonlOutput<RawRecord<RawItemKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.RawItemKeys), new() { Directory = _dir.Path, Name = "rv-comments" });

        var result = await new Pipeline<Scenario, RawRecord<RawItemKeys>>("rv-comments", new RawCursorItems(At), output).ExecuteAsync(new Scenario("rv-comments"));

        Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
        Assert.Equal("{\"id\":1,\"x\":\"a /* kept */ b\"}\n", Landed("rv-comments"));
    }

    /// <summary>
    /// A late record under LateRecordPolicy.DeadLetter goes to the dead-letter file (docs/state-and-incremental.md: "leaves late records
    /// out of the output and appends each one to the pipeline's dead-letter file"). The page parser reads records up to 256 levels deep
    /// (PageParser.MaxDepth: "Dead-letter entries and stored chain pages are read back with the same limit"), so a passthrough record
    /// 100 levels deep is read. Expected: it is dead-lettered like a shallow one (the same test with depth 3 passes). Actual: the run
    /// fails with "the body is not valid JSON (The maximum configured depth of 64 has been exceeded…)": LateRecordLetters.Add turns
    /// the record into a JsonElement with JsonSerializer.SerializeToElement, which re-parses it with the options' MaxDepth of 64, and
    /// the JsonException is reported as a broken API body. A valid page fails the whole run with a misleading error.
    /// </summary>
    [Fact]
    public async Task ReviewOutputs_a_late_passthrough_record_nested_deeper_than_64_is_dead_lettered()
    {
        const int depth = 100;
        string deep = string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        int run = 0;
        string scenario = "rv-late-" + depth;
        Map(scenario + "/changes", ctx => Reply.Json(ctx, run == 1
            ? "{\"data\":[{\"id\":1,\"updated_at\":\"2026-01-01T10:00:00Z\"}]}"
            : "{\"data\":[{\"id\":3,\"updated_at\":\"2026-01-01T11:00:00Z\"},{\"id\":2,\"updated_at\":\"2026-01-01T09:56:00Z\",\"x\":" + deep + "}]}"));
        await using var store = new InMemoryStateStore();
        await using var output = new JsonlOutput<RawRecord<ChangeKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.ChangeKeys), new() { Directory = _dir.Path, Name = scenario });
        var pipeline = new Pipeline<Scenario, RawRecord<ChangeKeys>>(scenario, new ReviewRawLateChanges(At), output, new PipelineOptions { StateStore = store });

        run = 1;
        var first = await pipeline.ExecuteAsync(new Scenario(scenario));
        Assert.True(first.Status == PipelineStatus.Succeeded, first.Error?.ToString());
        run = 2;
        var second = await pipeline.ExecuteAsync(new Scenario(scenario));

        Assert.True(second.Error is null, second.Error?.ToString());
        Assert.Equal(1, second.LateRecords);
        using var entry = System.Text.Json.JsonDocument.Parse(Assert.Single(File.ReadAllLines(pipeline.DeadLetterPath!)), new System.Text.Json.JsonDocumentOptions { MaxDepth = 256 });
        Assert.Equal("{\"id\":2,\"updated_at\":\"2026-01-01T09:56:00Z\",\"x\":" + deep + "}", entry.RootElement.GetProperty("record").GetRawText());
    }

    /// <summary>
    /// README: MaxRecords stops the run, "the last page is cut to fit". Records past the cut are not part of the run: they are neither
    /// written nor counted. Expected: a record past the cut that does not fit the record type is not dead-lettered either, and the run
    /// (which wrote every record it was asked for) succeeds. Actual: HttpExtractor.PageTarget.Reject forwards every reject, also past
    /// the cut, so the run ends PartialSuccess with a dead-letter entry for a record outside what it was asked to extract (and
    /// `replay` would later land a record the run never included).
    /// </summary>
    [Fact]
    public async Task ReviewOutputs_a_bad_record_past_the_MaxRecords_cut_is_not_dead_lettered()
    {
        Map("rv-maxrec/items", ctx => Reply.Json(ctx, """{"data":[{"id":1},{"id":2},{"name":"no id"},{"id":4}],"next":null}"""));
        await using var output = new JsonlOutput<RawRecord<RawItemKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.RawItemKeys), new() { Directory = _dir.Path, Name = "rv-maxrec" });
        var extractor = new RawCursorItems(new ExtractorOptions { BaseUrl = Api.BaseUrl, MaxRecords = 2 });
        var pipeline = new Pipeline<Scenario, RawRecord<RawItemKeys>>("rv-maxrec", extractor, output, new PipelineOptions { OnError = ErrorMode.DeadLetter });

        var result = await pipeline.ExecuteAsync(new Scenario("rv-maxrec"));

        Assert.Equal("{\"id\":1}\n{\"id\":2}\n", Landed("rv-maxrec"));
        Assert.Equal(0, result.DeadLettered);
        Assert.False(File.Exists(pipeline.DeadLetterPath!) && File.ReadAllText(pipeline.DeadLetterPath!).Length > 0, "a record past the MaxRecords cut was dead-lettered");
        Assert.Equal(PipelineStatus.Succeeded, result.Status);
    }

    /// <summary>
    /// docs/state-and-incremental.md: the dead-letter file is `PipelineOptions.DeadLetterPath`, "default `&lt;output&gt;.dead-letter.jsonl`"
    /// (beside the dataset folder, `out/issues.dead-letter.jsonl`), and a folder is the same "however the folder's name is spelled
    /// (`issues` or `issues/`)". Expected: `Name = "issues/"` gives the same dead-letter file as `Name = "issues"`. Actual:
    /// JsonlOutput.RootDirectory keeps the trailing separator (Path.GetFullPath), and Pipeline appends ".dead-letter.jsonl" to it, so
    /// the entries go to a hidden `.dead-letter.jsonl` INSIDE the dataset folder, among the data files a loader reads, and a run
    /// spelled the other way writes a second, different dead-letter file.
    /// </summary>
    [Fact]
    public async Task ReviewOutputs_the_default_dead_letter_file_does_not_depend_on_a_trailing_slash_in_the_name()
    {
        await using var plain = new JsonlOutput<RawRecord<RawItemKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.RawItemKeys), new() { Directory = _dir.Path, Name = "rv-slash" });
        await using var slashed = new JsonlOutput<RawRecord<RawItemKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.RawItemKeys), new() { Directory = _dir.Path, Name = "rv-slash" + Path.DirectorySeparatorChar });
        var options = new PipelineOptions { OnError = ErrorMode.DeadLetter };

        var a = new Pipeline<Scenario, RawRecord<RawItemKeys>>("rv-slash", new RawCursorItems(At), plain, options);
        var b = new Pipeline<Scenario, RawRecord<RawItemKeys>>("rv-slash", new RawCursorItems(At), slashed, options);

        Assert.Equal(Path.Combine(_dir.Path, "rv-slash.dead-letter.jsonl"), a.DeadLetterPath);
        Assert.Equal(a.DeadLetterPath, b.DeadLetterPath);
    }
}
