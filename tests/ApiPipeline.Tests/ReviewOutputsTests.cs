using System.Text;
using System.Text.Json.Serialization;

namespace ApiPipeline.Tests;

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
}
