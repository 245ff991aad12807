using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace ApiPipeline.Tests.Resilience;

/// <summary>
/// Error modes through a pipeline into JSONL: FailFast stops, Continue and DeadLetter skip a failed page (offset/page-number styles) or
/// the rest of a failed input and end PartialSuccess with counts, DeadLetter writes one JSONL line per failure next to the dataset,
/// Skip counts without failing; rate limiting and open circuits end the run whatever the mode.
/// </summary>
public sealed class ErrorPolicyTests
{
    [Fact]
    public async Task FailFast_stops_at_the_failed_page_and_keeps_the_pages_before_it()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 6 ? Faults.Status(ctx, 404) : null));
        using var temp = new TempFolder();
        await using var output = Output(temp);

        var result = await new Pipeline<Shard, Row>("rows", new PlainRows(server.Options), output).ExecuteAsync(new Shard("a")).Within();

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal(Extract.Range(1, 6), Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal(ExtractionErrorKind.HttpStatus, Assert.IsType<ExtractionException>(result.Error).Kind);
        Assert.Equal(0, result.Failures);
        Assert.Equal(3, result.Requests);
        Assert.Throws<PipelineFailedException>(() => result.EnsureSuccess());
    }

    [Fact]
    public async Task Continue_skips_a_failed_offset_page_after_its_retries_and_goes_on_with_the_next_offset()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 3 ? Faults.Status(ctx, 500, "still broken") : null));
        using var temp = new TempFolder();
        await using var output = Output(temp);
        var pipeline = new Pipeline<Shard, Row>("rows", new ContinueRows(server.Options), output);

        var result = await pipeline.ExecuteAsync(new Shard("a")).Within();

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal([1, 2, 3, 7, 8, 9, 10], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal(7, result.Records);
        Assert.Equal(3, result.Pages);
        Assert.Equal(1, result.Failures);
        Assert.Equal(0, result.DeadLettered);
        Assert.Equal(2, result.Retries);
        Assert.Equal(6, result.Requests);
        Assert.Null(result.Error);
        var error = Assert.Single(result.Errors);
        Assert.Equal(ExtractionErrorKind.HttpStatus, error.Kind);
        Assert.Equal(2, error.PageNumber);
        Assert.Equal(3, error.Attempts);
        Assert.Equal(["0", "3", "3", "3", "6", "9"], server.Requests.Select(r => r.Q("offset")));

        var state = pipeline.GetStatus();
        Assert.Equal((PipelineStatus.PartialSuccess, 7L, 6L, 2L, 1L), (state.Status, state.Records, state.Requests, state.Retries, state.Failures));
        Assert.Contains("still broken", state.LastError, StringComparison.Ordinal);
        var ensure = Assert.Throws<PipelineFailedException>(() => result.EnsureSuccess());
        Assert.Contains("1 failure(s)", ensure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)] // right after the first short page
    [InlineData(4)] // after two short pages
    public async Task A_failed_page_of_an_api_that_caps_the_limit_skips_only_the_records_that_page_holds(int failing)
    {
        // Asked for 4 per page, the API serves 2 (total 10); one page fails: the run steps over it by the 2 records a page holds.
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            long offset = long.Parse(ctx.Request.Query["offset"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            return offset == failing
                ? Faults.Status(ctx, 500, "broken")
                : Faults.Json(ctx, Faults.Page(offset + 1, (int)Math.Max(0, Math.Min(2, 10 - offset)), "\"total\":10"));
        });
        using var temp = new TempFolder();
        await using var output = Output(temp);

        var result = await new Pipeline<Shard, Row>("rows", new CappedContinueRows(server.Options), output).ExecuteAsync(new Shard("a")).Within();

        Assert.Equal((PipelineStatus.PartialSuccess, 1L), (result.Status, result.Failures));
        Assert.Equal(Enumerable.Range(1, 10).Where(id => id != failing + 1 && id != failing + 2).Select(id => (long)id), Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal(["0", "2", "4", "6", "8"], server.Requests.Select(r => r.Q("offset")));
    }

    [Fact]
    public async Task One_short_page_of_an_api_that_does_not_cap_the_limit_leaves_fetching_ahead_on_page_boundaries()
    {
        // Pages of 10 fetched 4 at a time; the page at offset 10 holds 7 (a record hidden), every other one is full.
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            long offset = long.Parse(ctx.Request.Query["offset"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            int count = offset == 10 ? 7 : (int)Math.Max(0, Math.Min(10, 60 - offset));
            return Faults.Json(ctx, Faults.Page(offset + 1, count, "\"total\":60"));
        });

        var pages = await new PrefetchTotalRows(server.Options).PagesAsync(new Shard("a")).Within();

        Assert.Equal(7, pages.Count);
        // Pages fetched ahead before the short page answered (offsets 20, 30, …) are dropped; after it, every request starts a page.
        long[] offsets = [.. server.Requests.Select(r => long.Parse(r.Q("offset")!, System.Globalization.CultureInfo.InvariantCulture))];
        Assert.All(offsets.Where(o => o > 17), o => Assert.True((o - 17) % 10 == 0 || o % 10 == 0, $"a request at offset {o}, where no page starts: {string.Join(",", offsets)}"));
    }

    [Fact]
    public async Task Continue_drops_the_records_a_bad_page_streamed_before_its_bad_record()
    {
        // Page 2 (offset 3) streams rows 4 and 5 into the output, one of them into a partition no other page uses, then fails.
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(9, (ctx, _, offset) => offset == 3
            ? Faults.Json(ctx, $$"""{"data":[{{Faults.Row(4)}},{{Faults.Row(5)}},{"id":"six","name":"x"}]}""")
            : null));
        using var temp = new TempFolder();
        var day = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using var output = new JsonlOutput<Row>(ResilienceJson.Default.Row, new() { Directory = temp.Path, Name = "rows", PartitionBy = r => r.Id == 5 ? day.AddDays(1) : day });

        var result = await new Pipeline<Shard, Row>("rows", new ContinueRows(server.Options), output).ExecuteAsync(new Shard("a")).Within();

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal(ExtractionErrorKind.RecordMismatch, Assert.Single(result.Errors).Kind);
        Assert.Equal([1, 2, 3, 7, 8, 9], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal(6, result.Records);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "rows", "date=2026-01-02")), "the failed page's partition should not be left behind");
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Continue_with_a_cursor_skips_the_rest_of_the_failed_input_and_runs_the_next_inputs()
    {
        // Each input has two pages: ids n*10+1..+3 (cursor "c2"), then n*10+4..+5. Input "b" fails on its second page.
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            string shard = ctx.Request.Path.Value!.Split('/')[1];
            long n = shard[0] - 'a' + 1;
            bool second = ctx.Request.Query["cursor"] == "c2";
            return shard == "b" && second ? Faults.Html200(ctx)
                : second ? Faults.Json(ctx, Faults.Page((n * 10) + 4, 2))
                : Faults.Json(ctx, Faults.Page((n * 10) + 1, 3, "\"next\":\"c2\""));
        });
        using var temp = new TempFolder();
        await using var output = Output(temp);

        var result = await new Pipeline<Shard, Row>("rows", new CursorContinueRows(server.Options), output)
            .ExecuteManyAsync(Inputs("a", "b", "c")).Within();

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal(1, result.Failures);
        Assert.Equal(5, result.Pages);
        var error = Assert.Single(result.Errors);
        Assert.Equal(ExtractionErrorKind.InvalidJson, error.Kind);
        Assert.Equal(1, error.Attempts);
        Assert.Equal("""{"name":"b"}""", error.Input);
        Assert.Equal(6, result.Requests);
    }

    [Fact]
    public async Task DeadLetter_writes_each_failure_as_one_json_line_next_to_the_dataset()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) =>
            offset == 3 ? Faults.Status(ctx, 503, new string('x', 5000)) : offset == 9 ? Faults.Status(ctx, 404, """{"message":"gone"}""") : null));
        using var temp = new TempFolder();
        await using var output = Output(temp);
        var pipeline = new Pipeline<Shard, Row>("rows", new DeadLetterRows(server.Options), output);

        var result = await pipeline.ExecuteAsync(new Shard("a")).Within();

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal([1, 2, 3, 7, 8, 9], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal((2L, 2L), (result.Failures, result.DeadLettered));
        string file = Path.Combine(temp.Path, "rows.dead-letter.jsonl");
        Assert.Equal(file, pipeline.DeadLetterPath);
        Assert.Equal(file, result.DeadLetterFile);
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(temp.Path, "rows"), "*", SearchOption.AllDirectories), f => f.Contains("dead", StringComparison.Ordinal));

        var lines = File.ReadAllLines(file);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        var e = first.RootElement;
        Assert.Equal("rows", e.GetProperty("pipeline").GetString());
        Assert.Equal("DeadLetterRows", e.GetProperty("extractor").GetString());
        Assert.Equal("HttpStatus", e.GetProperty("kind").GetString());
        Assert.Equal(503, e.GetProperty("status").GetInt32());
        Assert.Equal(2, e.GetProperty("page").GetInt32());
        Assert.Equal(server.BaseUrl + "/a/items?limit=3&offset=3", e.GetProperty("url").GetString());
        Assert.Equal(2, e.GetProperty("attempts").GetInt32());
        Assert.Equal("page", e.GetProperty("skipped").GetString());
        Assert.Contains("503", e.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(new string('x', 1000) + "…", e.GetProperty("body").GetString());
        Assert.Equal("""{"name":"a"}""", e.GetProperty("input").GetString());
        Assert.Equal(server.BaseUrl + "/a/items?limit=3&offset=3", e.GetProperty("resume").GetProperty("url").GetString());
        Assert.Equal(3, e.GetProperty("resume").GetProperty("recordsBefore").GetInt64());
        Assert.Equal(server.BaseUrl, e.GetProperty("resume").GetProperty("baseUrl").GetString()); // what replay moves the URL from
        Assert.True(e.TryGetProperty("at", out _));

        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal(404, second.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(1, second.RootElement.GetProperty("attempts").GetInt32());
        Assert.Equal("""{"message":"gone"}""", second.RootElement.GetProperty("body").GetString());

        // A second run appends.
        await using var output2 = Output(temp);
        await new Pipeline<Shard, Row>("rows", new DeadLetterRows(server.Options), output2).ExecuteAsync(new Shard("a")).Within();
        Assert.Equal(4, File.ReadAllLines(file).Length);
    }

    [Fact]
    public async Task DeadLetter_diverts_a_record_that_does_not_fit_and_writes_the_rest_of_its_page()
    {
        // Page 2 holds rows 4 and 6 and, between them, a row whose id is not a number.
        const string bad = """{"id":"five","name":"row-5"}""";
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(9, (ctx, _, offset) => offset == 3
            ? Faults.Json(ctx, $$"""{"data":[{{Faults.Row(4)}},{{bad}},{{Faults.Row(6)}}]}""")
            : null));
        using var temp = new TempFolder();
        await using var output = Output(temp);
        var pipeline = new Pipeline<Shard, Row>("rows", new DeadLetterRows(server.Options), output);

        var result = await pipeline.ExecuteAsync(new Shard("a")).Within();

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal([1, 2, 3, 4, 6, 7, 8, 9], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal((1L, 1L, 8L), (result.Failures, result.DeadLettered, result.Records));
        var error = Assert.Single(result.Errors);
        Assert.Equal(ExtractionErrorKind.RecordMismatch, error.Kind);
        Assert.Contains("record 1 of 'data' does not fit Row", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.PageNumber);

        using var entry = JsonDocument.Parse(Assert.Single(File.ReadAllLines(Path.Combine(temp.Path, "rows.dead-letter.jsonl"))));
        var e = entry.RootElement;
        Assert.Equal("RecordMismatch", e.GetProperty("kind").GetString());
        Assert.Equal("record", e.GetProperty("skipped").GetString());
        Assert.Equal(2, e.GetProperty("page").GetInt32());
        Assert.Equal(bad, e.GetProperty("record").GetRawText());
        Assert.Contains("$.id", e.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(e.TryGetProperty("resume", out _));
    }

    [Fact]
    public async Task DeadLetter_redacts_secret_looking_input_members_and_query_values()
    {
        const string Secret = "tok-9f8e7d6c5b4a";
        await using var server = await FaultServer.StartAsync((ctx, i) => i == 1 ? Faults.Status(ctx, 400, "bad token " + Secret) : Faults.Json(ctx, Faults.Page(1, 0)));
        using var temp = new TempFolder();
        await using var output = Output(temp);

        var result = await new Pipeline<TokenShard, Row>("rows", new TokenDeadLetterRows(server.Options), output)
            .ExecuteAsync(new TokenShard("a", Secret)).Within();

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal(Secret, server.Requests[0].Q("access_token"));
        string line = Assert.Single(File.ReadAllLines(result.DeadLetterFile!));
        using var entry = JsonDocument.Parse(line);
        Assert.Equal("""{"name":"a","token":"***"}""", entry.RootElement.GetProperty("input").GetString());
        Assert.Contains("access_token=***", entry.RootElement.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Equal("page", entry.RootElement.GetProperty("skipped").GetString());
        Assert.Equal("bad token ***", entry.RootElement.GetProperty("body").GetString());
        Assert.DoesNotContain(Secret, line, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, result.Errors[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skip_counts_expected_failures_without_failing_the_run()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Request.Path.StartsWithSegments("/gone")
            ? Faults.Status(ctx, 404)
            : Faults.Json(ctx, Faults.Page(1, 2)));
        using var temp = new TempFolder();
        await using var output = Output(temp);

        var result = await new Pipeline<Shard, Row>("rows", new SkipRows(server.Options), output)
            .ExecuteManyAsync(Inputs("here", "gone", "there")).Within();

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal([1, 2, 1, 2], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal((0L, 1L, 3L), (result.Failures, result.Skipped, result.Requests));
        Assert.Empty(result.Errors);
        result.EnsureSuccess();
    }

    [Fact]
    public async Task Too_many_failed_pages_in_a_row_abandon_the_input()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(1000, (ctx, _, offset) => offset >= 3 ? Faults.Status(ctx, 500) : null));
        using var temp = new TempFolder();
        await using var output = Output(temp);

        var result = await new Pipeline<Shard, Row>("rows", new ContinueRows(server.Options), output).ExecuteAsync(new Shard("a")).Within();

        // Pages 2, 3, 4 are skipped (3 in a row, each tried 3 times); page 5 fails too and abandons the input.
        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal([1, 2, 3], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal(4, result.Failures);
        Assert.Equal([2, 3, 4, 5], result.Errors.Select(e => e.PageNumber));
        Assert.Equal(1 + (4 * 3), server.RequestCount);
    }

    [Fact]
    public async Task Rate_limiting_beyond_the_cap_ends_the_run_even_when_continuing()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 3 ? Faults.TooManySeconds(ctx, 86400) : null));
        using var temp = new TempFolder();
        await using var output = Output(temp);

        var result = await new Pipeline<Shard, Row>("rows", new ContinueRows(server.Options), output)
            .ExecuteManyAsync(Inputs("a", "b")).Within();

        Assert.Equal(PipelineStatus.Failed, result.Status);
        var error = Assert.IsType<ExtractionException>(result.Error);
        Assert.Equal(ExtractionErrorKind.RateLimited, error.Kind);
        Assert.Equal(TimeSpan.FromDays(1), error.RetryAfter);
        Assert.Equal(2, error.Resume!.PageNumber);
        Assert.Equal([1, 2, 3], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.DoesNotContain(server.Requests, r => r.Path.StartsWith("/b/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_pipeline_can_override_the_extractors_error_mode()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 3 ? Faults.Status(ctx, 404) : null));
        using var temp = new TempFolder();
        await using var output = Output(temp);

        var pipeline = new Pipeline<Shard, Row>("rows", new PlainRows(server.Options), output, new PipelineOptions { OnError = ErrorMode.Continue });
        var result = await pipeline.ExecuteAsync(new Shard("a")).Within();

        // The pipeline skips what the extractor raises: PlainRows itself fails fast, so the rest of the input is skipped (a page alone is
        // skipped only when the extractor's own mode, ExtractorOptions.Resilience.OnError, skips pages too).
        Assert.Equal(ErrorMode.Continue, pipeline.OnError);
        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal([1, 2, 3], Extract.IdsIn(Path.Combine(temp.Path, "rows")));

        await using var output2 = new JsonlOutput<Row>(ResilienceJson.Default.Row, new() { Directory = temp.Path, Name = "rows2" });
        var pageLevel = new PlainRows(server.Options with { Resilience = PlainRows.Definition.Resilience with { OnError = ErrorMode.Continue } });
        var result2 = await new Pipeline<Shard, Row>("rows2", pageLevel, output2).ExecuteAsync(new Shard("a")).Within();
        Assert.Equal(PipelineStatus.PartialSuccess, result2.Status);
        Assert.Equal([1, 2, 3, 7, 8, 9, 10], Extract.IdsIn(Path.Combine(temp.Path, "rows2")));
    }

    [Fact]
    public async Task A_fail_fast_pipeline_stops_at_a_page_its_extractor_would_skip_and_resumes_there()
    {
        bool broken = true;
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => broken && offset == 3 ? Faults.Status(ctx, 500) : null));
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();
        var options = new PipelineOptions { OnError = ErrorMode.FailFast, StateStore = store };

        PipelineResult result;
        await using (var output = Output(temp))
        {
            result = await new Pipeline<Shard, Row>("rows", new ContinueRows(server.Options), output, options).ExecuteAsync(new Shard("a")).Within();
        }

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal(2, Assert.IsType<ExtractionException>(result.Error).PageNumber);
        Assert.Equal([1, 2, 3], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.DoesNotContain(server.Requests, r => r.Q("offset") == "6");

        broken = false;
        await using (var output = Output(temp))
        {
            result = await new Pipeline<Shard, Row>("rows", new ContinueRows(server.Options), output, options).ExecuteAsync(new Shard("a")).Within();
        }

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(Extract.Range(1, 10), Extract.IdsIn(Path.Combine(temp.Path, "rows")));
    }

    [Fact]
    public async Task A_fail_fast_pipeline_fails_on_a_page_a_hand_written_extractor_skipped_and_a_continuing_one_goes_on()
    {
        using var temp = new TempFolder();
        await using var output = Output(temp);

        var result = await new Pipeline<Shard, Row>("rows", new SkippingRows(), output).ExecuteAsync(new Shard("a")).Within();

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal(2, Assert.IsType<ExtractionException>(result.Error).PageNumber);
        Assert.Equal([1], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal(0, result.Failures);

        await using var output2 = new JsonlOutput<Row>(ResilienceJson.Default.Row, new() { Directory = temp.Path, Name = "rows2" });
        var continued = await new Pipeline<Shard, Row>("rows2", new SkippingRows(), output2, new PipelineOptions { OnError = ErrorMode.Continue }).ExecuteAsync(new Shard("a")).Within();
        Assert.Equal(PipelineStatus.PartialSuccess, continued.Status);
        Assert.Equal([1, 3], Extract.IdsIn(Path.Combine(temp.Path, "rows2")));
    }

    [Fact]
    public void DeadLetter_needs_a_path_for_outputs_other_than_jsonl()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Pipeline<Shard, Row>("rows", new DeadLetterRows(), new ListOutput()));

        Assert.Contains("DeadLetterPath", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("x.jsonl", new Pipeline<Shard, Row>("rows", new DeadLetterRows(), new ListOutput(), new PipelineOptions { DeadLetterPath = "x.jsonl" }).DeadLetterPath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_skipped_page_is_visible_on_the_page_stream_with_its_error_and_no_records()
    {
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 3 ? Faults.Status(ctx, 500) : null));

        var pages = await new ContinueRows(server.Options).PagesAsync(new Shard("a")).Within();

        Assert.Equal([1, 2, 3, 4], pages.Select(p => p.Number));
        Assert.Equal(0, pages[1].Count);
        Assert.Equal(HttpStatusCode.InternalServerError, pages[1].Error!.StatusCode);
        Assert.Equal(server.BaseUrl + "/a/items?limit=3&offset=6", pages[1].Next!.Url);
        Assert.Equal([1, 2, 3, 7, 8, 9, 10], pages.Ids());
    }

    private static JsonlOutput<Row> Output(TempFolder temp) => new(ResilienceJson.Default.Row, new() { Directory = temp.Path, Name = "rows" });

    private static async IAsyncEnumerable<Shard> Inputs(params string[] names)
    {
        foreach (var name in names)
        {
            await Task.Yield();
            yield return new Shard(name);
        }
    }

    /// <summary>A hand-written extractor that skips its failed second page.</summary>
    private sealed class SkippingRows : IExtractor<Shard, Row>
    {
        public string Name => "skipping";

        public async IAsyncEnumerable<Page<Row>> ExtractPagesAsync(Shard input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new Page<Row>(1, "https://example.test/p1", [new Row(1, "one")], new PageCheckpoint("https://example.test/p2", 2, 1), 10);
            var error = new ExtractionException(ExtractionErrorKind.HttpStatus, Name, 2, "https://example.test/p2", "still broken", HttpStatusCode.InternalServerError);
            yield return new Page<Row>(2, "https://example.test/p2", [], new PageCheckpoint("https://example.test/p3", 3, 1), 0) { Error = error };
            yield return new Page<Row>(3, "https://example.test/p3", [new Row(3, "three")], null, 10);
        }
    }

    private sealed class ListOutput : IOutput<Row>
    {
        public OutputBatchOptions Batching => OutputBatchOptions.Default;

        public long PendingRecords => 0;

        public long PendingBytes => 0;

        public ValueTask WriteAsync(ReadOnlyMemory<Row> records, CancellationToken cancellationToken = default) => default;

        public ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(OutputCommit.Empty);

        public ValueTask DisposeAsync() => default;
    }
}
