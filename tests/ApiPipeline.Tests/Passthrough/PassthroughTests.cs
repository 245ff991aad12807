using System.Text;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

public sealed class PassthroughTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Records as an API might send them: whitespace everywhere, escapes, nesting, very long strings.</summary>
    private static List<string> Records(bool pretty)
    {
        string ws = pretty ? "\n    " : "";
        string sp = pretty ? " " : "";
        var long70k = new string('x', 70 * 1024);
        var long20k = string.Concat(Enumerable.Repeat("ab\\\"c\\\\d \\u00e9 ", 2000));
        return
        [
            "{" + ws + "\"id\"" + sp + ":" + sp + "1," + ws + "\"name\":" + sp + "\"plain  text with   spaces\"," + ws + "\"created_at\":" + sp + "\"2026-01-01T10:00:00Z\"" + ws + "}",
            "{\"id\":2," + sp + "\"s\":\"\\u00e9\\u4e2d\\ud83d\\ude00 \\\"quoted\\\" \\\\ back\\/slash \\n\\t\\r\\b\\f\",\"n\":[1.50," + sp + "-0.0," + sp + "1e+10," + sp + "-3E-2," + sp + "12345678901234567890]}",
            ws + "{ \"nested\" :" + sp + ws + "{\"a\":[" + sp + "[ ]," + sp + "{ },{\"b\":null,\"c\":true,\"d\":false}]," + ws + "\"e\":\"{\"}" + sp + ",\"id\":3,\"tail\":\"]}\"" + ws + "}",
            "{\"id\":4," + ws + "\"big\":\"" + long70k + "\"," + ws + "\"created_at\":\"2026-01-02T00:00:00+02:00\"}",
            "{\"id\":5,\"escaped\":\"" + long20k + "\"" + sp + "}",
            "{\"id\":6,\"tabs\":\"a\\tb\",\r\n\t\"k\"\t:\t[ \"x\" , \"y\" ]\r\n}",
            "{\"id\":7,\"x\" :\"a b, c: d\",\"y\":[1,{\"z\" :2}]}",
            "{\"id\":8,\"s\":\"x , y\",\"t\":[\" \",{\"u\":\"\\\" \"}]}",
        ];
    }

    [Theory]
    [InlineData("{ \"a\" : \"x\\\\\" ,\t\"b\" : [ 1 , 2 ] \r\n }", "{\"a\":\"x\\\\\",\"b\":[1,2]}")]
    [InlineData("{\n  \"s\": \"a \\\" b\",\n  \"t\": \"\\u00e9 \\n\"\n}", "{\"s\":\"a \\\" b\",\"t\":\"\\u00e9 \\n\"}")]
    [InlineData("[ ]", "[]")]
    public void The_compactor_drops_whitespace_outside_strings_only(string json, string expected)
    {
        var source = Encoding.UTF8.GetBytes(json);
        var destination = new byte[source.Length];

        int written = JsonCompactor.Compact(source, destination);

        Assert.Equal(expected, Encoding.UTF8.GetString(destination, 0, written));
    }

    /// <summary>An independent compaction: drop whitespace outside strings.</summary>
    private static string Compact(string json)
    {
        var text = new StringBuilder(json.Length);
        bool inString = false, escaped = false;
        foreach (char c in json)
        {
            if (inString)
            {
                text.Append(c);
                if (escaped)
                {
                    escaped = false;
                }
                else if (c == '\\')
                {
                    escaped = true;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c is not (' ' or '\t' or '\r' or '\n'))
            {
                text.Append(c);
                inString = c == '"';
            }
        }

        return text.ToString();
    }

    private static RequestDelegate CursorPages(List<string> records, int perPage, bool pretty) => ctx =>
    {
        int start = int.TryParse(ctx.Request.Query["cursor"], out int c) ? c : 0;
        var page = records.Skip(start).Take(perPage);
        string next = start + perPage < records.Count ? $"\"{start + perPage}\"" : "null";
        string nl = pretty ? "\n  " : "";
        return Reply.Json(ctx, $"{{{nl}\"meta\": {{\"x\": [1, {{\"data\": 2}}]}},{nl}\"data\":{nl}[{nl}{string.Join("," + nl, page)}{nl}],{nl}\"next\": {next}}}");
    };

    private JsonlOutput<RawRecord<RawItemKeys>> Output(string name, Func<RawRecord<RawItemKeys>, DateTimeOffset?>? partitionBy = null)
        => new(RawRecord.TypeInfo(PassthroughJson.Default.RawItemKeys), new() { Directory = _dir.Path, Name = name, PartitionBy = partitionBy });

    private string Landed(string name)
        => string.Concat(Directory.EnumerateFiles(Path.Combine(_dir.Path, name), "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllText));

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 4)]
    [InlineData(true, 2)]
    [InlineData(true, 6)]
    public async Task Records_land_byte_for_byte_as_sent_less_insignificant_whitespace(bool pretty, int perPage)
    {
        string scenario = $"raw-{(pretty ? "pretty" : "compact")}-{perPage}";
        var records = Records(pretty);
        Map(scenario + "/items", CursorPages(records, perPage, pretty));

        await using var output = Output(scenario);
        var result = await new Pipeline<Scenario, RawRecord<RawItemKeys>>(scenario, new RawCursorItems(At), output).ExecuteAsync(new Scenario(scenario));

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(records.Count, result.Records);
        string expected = string.Concat(records.Select(r => Compact(r) + "\n"));
        Assert.Equal(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(Landed(scenario)));
    }

    [Fact]
    public async Task Fields_are_read_and_each_record_keeps_its_own_bytes_when_streamed()
    {
        var records = Records(pretty: true);
        Map("raw-stream/items", CursorPages(records, 4, pretty: true));

        var seen = new List<RawRecord<RawItemKeys>>();
        await foreach (var record in new RawCursorItems(At).ExtractAsync(new Scenario("raw-stream")))
        {
            seen.Add(record);
        }

        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 8], seen.Select(r => r.Fields.Id));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero), seen[0].Fields.CreatedAt);
        Assert.Equal(records.Select(Compact), seen.Select(r => r.ToString()));
    }

    [Fact]
    public async Task Link_header_pages_of_bare_arrays_are_partitioned_by_a_field()
    {
        string[] records =
        [
            """{"id":1,"created_at":"2026-01-01T23:00:00Z","x":"a"}""",
            """{"id":2,"created_at":"2026-01-02T01:00:00+05:00","x":"b"}""",
            """{ "id": 3, "x": "no date" }""",
            """{"id":4,"created_at":"2026-01-03T00:00:00Z","x":[1, 2]}""",
            """{"id":5,"created_at":"2026-01-01T00:00:00Z"}""",
        ];
        Map("raw-link/items", ctx =>
        {
            int page = int.TryParse(ctx.Request.Query["page"], out int p) ? p : 1;
            if (page * 2 < records.Length)
            {
                ctx.Response.Headers["Link"] = $"<{Api.BaseUrl}/raw-link/items?per_page=2&page={page + 1}>; rel=\"next\"";
            }

            return Reply.Json(ctx, "[ " + string.Join(" ,\n ", records.Skip((page - 1) * 2).Take(2)) + " ]");
        });

        await using var output = Output("raw-link", r => r.Fields.CreatedAt);
        var result = await new Pipeline<Scenario, RawRecord<RawItemKeys>>("raw-link", new RawLinkItems(At), output).ExecuteAsync(new Scenario("raw-link"));

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        string root = Path.Combine(_dir.Path, "raw-link");
        // 2026-01-02T01:00+05:00 is 2026-01-01 in UTC.
        Assert.Equal(Compact(records[0]) + "\n" + Compact(records[1]) + "\n" + Compact(records[4]) + "\n", File.ReadAllText(Path.Combine(root, "date=2026-01-01", "part-00001.jsonl")));
        Assert.Equal(Compact(records[2]) + "\n", File.ReadAllText(Path.Combine(root, "date=unknown", "part-00001.jsonl")));
        Assert.Equal(Compact(records[3]) + "\n", File.ReadAllText(Path.Combine(root, "date=2026-01-03", "part-00001.jsonl")));
    }

    [Fact]
    public async Task A_record_without_a_required_field_fails_the_page_naming_the_record_and_the_field()
    {
        Map("raw-missing/items", ctx => Reply.Json(ctx, """{"data":[{"id":1},{"id":2},{"name":"no id"}],"next":null}"""));

        var error = await Assert.ThrowsAsync<ExtractionException>(async () =>
        {
            await foreach (var _ in new RawCursorItems(At).ExtractAsync(new Scenario("raw-missing")))
            {
            }
        });

        Assert.Equal(ExtractionErrorKind.RecordMismatch, error.Kind);
        Assert.Contains("record 2 of 'data'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'id'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deeply_nested_record_without_a_required_field_is_dead_lettered_and_its_entry_reads_back()
    {
        // 100 levels: deeper than System.Text.Json's default of 64, within the page reader's 256.
        string deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);
        Map("raw-deep-dl/items", ctx => Reply.Json(ctx, "{\"data\":[{\"id\":1},{\"name\":" + deep + "}],\"next\":null}"));
        await using var output = Output("raw-deep-dl");
        var pipeline = new Pipeline<Scenario, RawRecord<RawItemKeys>>("raw-deep-dl", new RawCursorItems(At), output, new PipelineOptions { OnError = ErrorMode.DeadLetter });

        var result = await pipeline.ExecuteAsync(new Scenario("raw-deep-dl"));

        Assert.True(result.Status == PipelineStatus.PartialSuccess, result.Error?.ToString());
        Assert.Equal(1, result.DeadLettered);
        string line = Assert.Single(File.ReadAllLines(pipeline.DeadLetterPath!));
        var entry = System.Text.Json.JsonSerializer.Deserialize(line, RuntimeJsonContext.Default.DeadLetterEntry)!;
        Assert.Equal("{\"name\":" + deep + "}", entry.Record!.Value.GetRawText());
    }

    [Fact]
    public async Task Under_DeadLetter_a_record_without_a_required_field_is_dead_lettered_with_the_reason_and_its_page_is_written()
    {
        Map("raw-missing-dl/items", ctx => Reply.Json(ctx, """{"data":[{"id":1},{"name":"no id"},{"id":3}],"next":null}"""));
        await using var output = Output("raw-missing-dl");
        var pipeline = new Pipeline<Scenario, RawRecord<RawItemKeys>>("raw-missing-dl", new RawCursorItems(At), output, new PipelineOptions { OnError = ErrorMode.DeadLetter });

        var result = await pipeline.ExecuteAsync(new Scenario("raw-missing-dl"));

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal("{\"id\":1}\n{\"id\":3}\n", File.ReadAllText(Assert.Single(Directory.EnumerateFiles(Path.Combine(_dir.Path, "raw-missing-dl"), "*.jsonl", SearchOption.AllDirectories))));
        using var entry = System.Text.Json.JsonDocument.Parse(Assert.Single(File.ReadAllLines(pipeline.DeadLetterPath!)));
        Assert.Equal("""{"name":"no id"}""", entry.RootElement.GetProperty("record").GetRawText());
        Assert.Equal("record", entry.RootElement.GetProperty("skipped").GetString());
        string reason = entry.RootElement.GetProperty("error").GetString()!;
        Assert.Contains("record 1 of 'data' does not fit RawItemKeys", reason, StringComparison.Ordinal);
        Assert.Contains("'id'", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_lettered_record_keeps_its_escapes_and_number_text_on_one_line()
    {
        const string sent = "{ \"name\": \"a\\\"b \\u00e9 \\/ é <&>'+\",\n  \"n\": 1.50 }";
        const string kept = """{"name":"a\"b \u00e9 \/ é <&>'+","n":1.50}""";
        Map("raw-escapes-dl/items", ctx => Reply.Json(ctx, "{\"data\":[{\"id\":1}," + sent + "],\"next\":null}"));
        await using var output = Output("raw-escapes-dl");
        var pipeline = new Pipeline<Scenario, RawRecord<RawItemKeys>>("raw-escapes-dl", new RawCursorItems(At), output, new PipelineOptions { OnError = ErrorMode.DeadLetter });

        var result = await pipeline.ExecuteAsync(new Scenario("raw-escapes-dl"));

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        using var entry = System.Text.Json.JsonDocument.Parse(Assert.Single(File.ReadAllLines(pipeline.DeadLetterPath!)));
        Assert.Equal(kept, entry.RootElement.GetProperty("record").GetRawText());
    }

    [Fact]
    public async Task A_record_with_a_field_of_the_wrong_type_fails_the_page_naming_the_field_and_the_type()
    {
        Map("raw-mistyped/items", ctx => Reply.Json(ctx, """{"data":[{"id":1},{"id":"2"}],"next":null}"""));

        var error = await Assert.ThrowsAsync<ExtractionException>(async () =>
        {
            await foreach (var _ in new RawCursorItems(At).ExtractAsync(new Scenario("raw-mistyped")))
            {
            }
        });

        Assert.Equal(ExtractionErrorKind.RecordMismatch, error.Kind);
        Assert.Contains("record 1 of 'data' does not fit RawItemKeys: the JSON property 'id' is a string; expected a number (Int64)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watermark_lag_dedupe_resume_and_partitions_work_on_raw_records()
    {
        var table = new ChangeTable();
        Api.Map("/raw-inc/changes", table.Serve);
        table.Add(25, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 2;
        await using var store = new InMemoryStateStore();
        var input = new Scenario("raw-inc");
        var extractor = new RawChanges(new ExtractorOptions { BaseUrl = Api.BaseUrl });

        async Task<PipelineResult> RunAsync()
        {
            await using var output = new JsonlOutput<RawRecord<ChangeKeys>>(RawRecord.TypeInfo(PassthroughJson.Default.ChangeKeys), new()
            {
                Directory = _dir.Path,
                Name = "changes",
                PartitionBy = r => r.Fields.UpdatedAt,
                Batching = new OutputBatchOptions { BatchSize = 10 },
            });
            return await new Pipeline<Scenario, RawRecord<ChangeKeys>>("changes", extractor, output, new PipelineOptions { StateStore = store }).ExecuteAsync(input);
        }

        var failed = await RunAsync();
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Equal(10, failed.Records);

        var resumed = await RunAsync();
        Assert.Equal(PipelineStatus.Succeeded, resumed.Status);
        Assert.True(resumed.Resumed);
        Assert.Equal(15, resumed.Records);
        Assert.Equal(ChangeTable.T0.AddMinutes(24), resumed.Watermark);

        table.Add(7, TimeSpan.FromMinutes(1));
        var second = await RunAsync();
        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(7, second.Records);
        Assert.Equal(6, second.Duplicates);
        Assert.Equal(ChangeTable.T0.AddMinutes(31), second.Watermark);

        var lines = Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes", "date=2026-04-01"), "*.jsonl").SelectMany(File.ReadLines).ToList();
        var expected = Enumerable.Range(1, 32).Select(i => System.Text.Json.JsonSerializer.Serialize(
            new Change(i, $"change-{i}", ChangeTable.T0.AddMinutes(i - 1)), ChangeJson.Default.Change));
        Assert.Equal(expected.Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
    }
}
