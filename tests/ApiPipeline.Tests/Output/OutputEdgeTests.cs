using System.Text;
using System.Text.Json.Serialization;

namespace ApiPipeline.Tests;

/// <summary>Passthrough changes whose late records go to the dead-letter file.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(PassthroughJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Watermark(nameof(ChangeKeys.UpdatedAt), Param = "since", Lag = "5m", AllowedLateness = "2m", Late = LateRecordPolicy.DeadLetter)]
public sealed partial class RawLateChanges : IExtractor<Scenario, RawRecord<ChangeKeys>>;

/// <summary>Passthrough and JSONL output at their edges: comments, deep late records, the MaxRecords cut, the output's name.</summary>
public sealed class OutputEdgeTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Landed(string name)
        => string.Concat(Directory.EnumerateFiles(Path.Combine(_dir.Path, name), "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllText));

    /// <summary>
    /// Comments are not JSON: a passthrough page with one fails as InvalidJson, with nothing written (docs/passthrough.md).
    /// </summary>
    [Fact]
    public async Task A_passthrough_page_with_a_comment_fails_as_invalid_JSON()
    {
        Map("edge-comments/items", ctx => Reply.Json(ctx, "{\"data\":[{\"id\":1, /* internal note */ \"x\":\"a /* kept */ b\"}],\"next\":null}"));
        await using var output = new JsonlOutput<RawRecord<RawItemKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.RawItemKeys), new() { Directory = _dir.Path, Name = "edge-comments" });

        var result = await new Pipeline<Scenario, RawRecord<RawItemKeys>>("edge-comments", new RawCursorItems(At), output).ExecuteAsync(new Scenario("edge-comments"));

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal(ExtractionErrorKind.InvalidJson, Assert.IsType<ExtractionException>(result.Error).Kind);
        Assert.Equal(0, result.Records);
    }

    /// <summary>
    /// A late passthrough record nested 100 levels deep (a page may nest 256) is dead-lettered like a shallow one: its entry is built
    /// with the page's depth limit, not a document's default of 64.
    /// </summary>
    [Fact]
    public async Task A_late_passthrough_record_nested_deeper_than_64_is_dead_lettered()
    {
        const int depth = 100;
        string deep = string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        int run = 0;
        string scenario = "edge-late-" + depth;
        Map(scenario + "/changes", ctx => Reply.Json(ctx, run == 1
            ? "{\"data\":[{\"id\":1,\"updated_at\":\"2026-01-01T10:00:00Z\"}]}"
            : "{\"data\":[{\"id\":3,\"updated_at\":\"2026-01-01T11:00:00Z\"},{\"id\":2,\"updated_at\":\"2026-01-01T09:56:00Z\",\"x\":" + deep + "}]}"));
        await using var store = new InMemoryStateStore();
        await using var output = new JsonlOutput<RawRecord<ChangeKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.ChangeKeys), new() { Directory = _dir.Path, Name = scenario });
        var pipeline = new Pipeline<Scenario, RawRecord<ChangeKeys>>(scenario, new RawLateChanges(At), output, new PipelineOptions { StateStore = store });

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
    /// A record past the MaxRecords cut is not part of the run, whether it fits the record type or not: it is neither written nor
    /// dead-lettered, and the run that wrote every record it was asked for succeeds.
    /// </summary>
    [Fact]
    public async Task A_record_that_does_not_fit_past_the_MaxRecords_cut_is_not_dead_lettered()
    {
        Map("edge-maxrec/items", ctx => Reply.Json(ctx, """{"data":[{"id":1},{"id":2},{"name":"no id"},{"id":4}],"next":null}"""));
        await using var output = new JsonlOutput<RawRecord<RawItemKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.RawItemKeys), new() { Directory = _dir.Path, Name = "edge-maxrec" });
        var extractor = new RawCursorItems(new ExtractorOptions { BaseUrl = Api.BaseUrl, MaxRecords = 2 });
        var pipeline = new Pipeline<Scenario, RawRecord<RawItemKeys>>("edge-maxrec", extractor, output, new PipelineOptions { OnError = ErrorMode.DeadLetter });

        var result = await pipeline.ExecuteAsync(new Scenario("edge-maxrec"));

        Assert.Equal("{\"id\":1}\n{\"id\":2}\n", Landed("edge-maxrec"));
        Assert.Equal(0, result.DeadLettered);
        Assert.False(File.Exists(pipeline.DeadLetterPath!) && File.ReadAllText(pipeline.DeadLetterPath!).Length > 0, "a record past the MaxRecords cut was dead-lettered");
        Assert.Equal(PipelineStatus.Succeeded, result.Status);
    }

    /// <summary>
    /// The default dead-letter file is <output>.dead-letter.jsonl beside the dataset folder however the output's name is spelled
    /// ("issues" or "issues/"), never a hidden file among the data.
    /// </summary>
    [Fact]
    public async Task The_default_dead_letter_file_does_not_depend_on_a_trailing_slash_in_the_output_name()
    {
        await using var plain = new JsonlOutput<RawRecord<RawItemKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.RawItemKeys), new() { Directory = _dir.Path, Name = "edge-slash" });
        await using var slashed = new JsonlOutput<RawRecord<RawItemKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.RawItemKeys), new() { Directory = _dir.Path, Name = "edge-slash" + Path.DirectorySeparatorChar });
        var options = new PipelineOptions { OnError = ErrorMode.DeadLetter };

        var a = new Pipeline<Scenario, RawRecord<RawItemKeys>>("edge-slash", new RawCursorItems(At), plain, options);
        var b = new Pipeline<Scenario, RawRecord<RawItemKeys>>("edge-slash", new RawCursorItems(At), slashed, options);

        Assert.Equal(Path.Combine(_dir.Path, "edge-slash.dead-letter.jsonl"), a.DeadLetterPath);
        Assert.Equal(a.DeadLetterPath, b.DeadLetterPath);
    }
}
