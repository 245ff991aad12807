using Microsoft.Extensions.Logging;

namespace ApiPipeline.Tests;

public sealed class IncrementalPipelineTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (ChangeTable Table, Scenario Input) Table(string name, bool newestFirst = false)
    {
        var table = new ChangeTable { NewestFirst = newestFirst };
        Api.Map("/" + name + "/changes", table.Serve);
        return (table, new Scenario(name));
    }

    private async Task<PipelineResult> RunAsync<TExtractor>(TExtractor extractor, Scenario input, IStateStore store, PipelineOptions? options = null, string name = "changes")
        where TExtractor : IExtractor<Scenario, Change>
    {
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = name, Batching = new OutputBatchOptions { BatchSize = 10 } });
        return await new Pipeline<Scenario, Change>("changes", extractor, output, (options ?? new PipelineOptions()) with { StateStore = store }).ExecuteAsync(input);
    }

    /// <summary>One run of pipeline <paramref name="name"/> (also its output's name) over <paramref name="inputs"/>, with the changes extractor.</summary>
    private async Task<PipelineResult> RunManyAsync(string name, IStateStore store, PipelineOptions options, params Scenario[] inputs)
    {
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = name, Batching = new OutputBatchOptions { BatchSize = 10 } });
        return await new Pipeline<Scenario, Change>(name, Extractor(), output, options with { StateStore = store }).ExecuteManyAsync(inputs.ToAsyncEnumerable());
    }

    /// <summary>Options that dead-letter failures into <c>&lt;name&gt;.dead-letter.jsonl</c>, and that file's path.</summary>
    private (string DeadLetters, PipelineOptions Options) DeadLettering(string name)
    {
        string path = Path.Combine(_dir.Path, name + ".dead-letter.jsonl");
        return (path, new PipelineOptions { OnError = ErrorMode.DeadLetter, DeadLetterPath = path });
    }

    private List<Change> Written(string name = "changes")
        => [.. Directory.EnumerateFiles(Path.Combine(_dir.Path, name), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, ChangeJson.Default.Change)!)];

    private Changes Extractor() => new(new ExtractorOptions { BaseUrl = Api.BaseUrl });

    [Fact]
    public async Task A_second_run_asks_from_the_watermark_minus_the_lag_and_writes_only_new_records()
    {
        var (table, input) = Table("inc-basic");
        table.Add(25, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();

        var first = await RunAsync(Extractor(), input, store);
        Assert.Equal(PipelineStatus.Succeeded, first.Status);
        Assert.Equal(25, first.Records);
        Assert.Equal(ChangeTable.T0.AddMinutes(24), first.Watermark);
        Assert.DoesNotContain(Api.RequestsTo("/inc-basic/"), r => r.Q("since") is not null);

        table.Add(7, TimeSpan.FromMinutes(1));
        var second = await RunAsync(Extractor(), input, store);

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(7, second.Records);
        Assert.Equal(6, second.Duplicates); // minutes 19..24 read again through the 5-minute lag, dropped by key
        Assert.Equal(ChangeTable.T0.AddMinutes(31), second.Watermark);
        Assert.Equal("2026-04-01T00:19:00Z", Api.RequestsTo("/inc-basic/").Last().Q("since"));
        Assert.Equal(Enumerable.Range(1, 32).Select(i => (long)i), Written().Select(c => c.Id).Order());
    }

    [Fact]
    public async Task An_input_left_unfinished_keeps_its_watermark_and_checkpoint_while_other_inputs_run()
    {
        // An API that sends the newest changes first: the first page of a run holds its newest watermark value.
        var (tableB, inputB) = Table("inc-unfinished-b", newestFirst: true);
        var (tableA, inputA) = Table("inc-unfinished-a");
        tableB.Add(25, TimeSpan.FromMinutes(1));
        tableA.Add(5, TimeSpan.FromMinutes(1));
        tableB.FailPageOnce = 2;
        await using var store = new InMemoryStateStore();

        // B commits its first page (its 10 newest changes), then fails. A runs next, one input per run, as the CLI does: that run
        // resumes the unfinished one and completes it, but B has not finished, so its watermark must not move to its newest change.
        Assert.Equal(PipelineStatus.Failed, (await RunAsync(Extractor(), inputB, store, name: "unfinished-b")).Status);
        var a = await RunAsync(Extractor(), inputA, store, name: "unfinished-a");
        Assert.Equal((PipelineStatus.Succeeded, 5L, (DateTimeOffset?)ChangeTable.T0.AddMinutes(4)), (a.Status, a.Records, a.Watermark));
        Assert.Equal(["/inc-unfinished-a/changes"], (await store.GetScopeAsync("watermark:changes")).Select(w => w.Key));

        // B's next run continues from its checkpoint (page 2): every change lands exactly once, and then its watermark moves.
        int before = Api.RequestsTo("/inc-unfinished-b/").Count;
        var b = await RunAsync(Extractor(), inputB, store, name: "unfinished-b");
        Assert.Equal((PipelineStatus.Succeeded, 15L), (b.Status, b.Records));
        Assert.Equal("2", Api.RequestsTo("/inc-unfinished-b/")[before].Q("page"));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), Written("unfinished-b").Select(c => c.Id).Order());
        Assert.Contains("/inc-unfinished-b/changes", (await store.GetScopeAsync("watermark:changes")).Select(w => w.Key));
    }

    [Fact]
    public async Task An_input_given_up_on_does_not_hold_back_the_next_runs_of_the_other_inputs()
    {
        // A fails at its second page in two runs (the run goes on under ErrorMode.Continue); B is read in every run. B's rows are a
        // day later than A's, so the two tables' ids can be told apart in the shared output.
        var (tableA, inputA) = Table("inc-given-up-a");
        var (tableB, inputB) = Table("inc-given-up-b");
        tableA.Add(15, TimeSpan.FromMinutes(1));
        tableB.Add(5, TimeSpan.FromMinutes(1), ChangeTable.T0.AddDays(1));
        await using var store = new InMemoryStateStore();
        var options = new PipelineOptions { StateStore = store, OnError = ErrorMode.Continue };

        Task<PipelineResult> Run() => RunManyAsync("given-up", store, options, inputA, inputB);

        tableA.FailPageOnce = 2;
        var first = await Run();
        Assert.Equal((PipelineStatus.PartialSuccess, 15L), (first.Status, first.Records));

        // The run went through all its inputs: B, which it finished, has its watermark; A keeps none and its checkpoint (page 2).
        Assert.Equal(["/inc-given-up-b/changes"], (await store.GetScopeAsync("watermark:given-up")).Select(w => w.Key));

        // The next run is a new one: B's new changes are read (it used to resume the partial run, which had finished B, and read
        // nothing of B until A recovered); A continues at page 2 and fails there again.
        tableB.Add(3, TimeSpan.FromMinutes(1));
        tableA.FailPageOnce = 2;
        int beforeA = Api.RequestsTo("/inc-given-up-a/").Count;
        var second = await Run();
        Assert.False(second.Resumed);
        Assert.Equal((PipelineStatus.PartialSuccess, 3L), (second.Status, second.Records));
        Assert.Equal("2", Api.RequestsTo("/inc-given-up-a/")[beforeA].Q("page"));

        // A recovers: its rest is read from page 2, once, and its watermark moves.
        var third = await Run();
        Assert.Equal((PipelineStatus.Succeeded, 5L), (third.Status, third.Records));
        var written = Written("given-up").Select(c => (c.Id, c.UpdatedAt)).ToList();
        Assert.Equal(23, written.Count);
        Assert.Equal(23, written.Distinct().Count());
        Assert.Equal(
            ["/inc-given-up-a/changes", "/inc-given-up-b/changes"],
            (await store.GetScopeAsync("watermark:given-up")).Select(w => w.Key).Order());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_page_the_output_cannot_end_or_cut_off_is_never_committed(bool abortFails)
    {
        // Page 3 fails once: its third record does not fit the record type (an attempt that fails half-way through the page), or,
        // when the output can cut pages off, the output fails to end it. Either way the page must leave no trace.
        int failures = 0;
        var input = Map("inc-unsafe-" + abortFails, ctx =>
        {
            int page = int.Parse(ctx.Request.Query["page"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            var rows = Enumerable.Range(((page - 1) * 10) + 1, page <= 4 ? 10 : 0).Select(i => System.Text.Json.JsonSerializer.Serialize(new Change(i, "c" + i, ChangeTable.T0.AddMinutes(i)), ChangeJson.Default.Change)).ToList();
            if (abortFails && page == 3 && Interlocked.Increment(ref failures) == 1)
            {
                rows[2] = """{"id":"not a number"}""";
            }

            return Reply.Json(ctx, "{\"data\":[" + string.Join(",", rows) + "]}");
        });
        await using var store = new InMemoryStateStore();
        await using var inner = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "unsafe", Batching = new OutputBatchOptions { BatchSize = 1000 } });
        var output = new FailingPages(inner) { FailEndOfPage = abortFails ? 0 : 3, FailAbort = abortFails };
        var pipeline = new Pipeline<Scenario, Change>("unsafe", Extractor(), output, new PipelineOptions { StateStore = store });

        var failed = await pipeline.ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Equal(PipelineStatus.Failed, pipeline.GetStatus().Status);
        Assert.True(output.Aborted > 0, "the page was cut off");
        if (abortFails)
        {
            // The output may hold part of page 3: nothing of the run is committed, and the next run reads it all again.
            Assert.Contains("could not cut off a page", failed.Error!.ToString(), StringComparison.Ordinal);
            Assert.Equal(0, failed.Records);
        }
        else
        {
            Assert.Equal(20, failed.Records); // pages 1 and 2, committed at the end of the failed run
        }

        output.FailEndOfPage = 0;
        output.FailAbort = false;
        var resumed = await pipeline.ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Succeeded, resumed.Status);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), Written("unsafe").Select(c => c.Id).Order());
    }

    [Fact]
    public async Task Files_a_loader_moved_away_after_their_commit_do_not_stop_the_next_run()
    {
        var (table, input) = Table("inc-loaded");
        table.Add(25, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, name: "moved")).Status);

        // The ELT step: a loader takes every landed file away (here: deletes it).
        foreach (var landed in Directory.EnumerateFiles(Path.Combine(_dir.Path, "moved"), "*.jsonl", SearchOption.AllDirectories))
        {
            File.Delete(landed);
        }

        table.Add(3, TimeSpan.FromMinutes(1));
        var next = await RunAsync(Extractor(), input, store, name: "moved");

        Assert.Equal((PipelineStatus.Succeeded, 3L), (next.Status, next.Records));
        Assert.Equal([26L, 27L, 28L], Written("moved").Select(c => c.Id).Order());
    }

    [Fact]
    public async Task An_output_whose_write_fails_part_way_commits_nothing_more_and_the_next_run_writes_each_record_once()
    {
        // A user output (not a page sink) that takes a page's records one by one and fails at the fifth record of page 3, once.
        var (table, input) = Table("inc-partial-write");
        table.Add(40, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        await using var inner = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "partial", Batching = new OutputBatchOptions { BatchSize = 1000 } });
        var output = new OneByOneOutput<Change>(inner) { StopAtRecord = 25 };
        var pipeline = new Pipeline<Scenario, Change>("partial", Extractor(), output, new PipelineOptions { StateStore = store });

        var failed = await pipeline.ExecuteAsync(input);
        Assert.Equal((PipelineStatus.Failed, 0L), (failed.Status, failed.Records));
        Assert.Contains("may hold some of that page's records", failed.Error!.ToString(), StringComparison.Ordinal);

        var resumed = await pipeline.ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Succeeded, resumed.Status);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), Written("partial").Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_run_cancelled_inside_such_an_output_write_ends_cancelled_and_the_next_run_writes_each_record_once()
    {
        var (table, input) = Table("inc-cancelled-write");
        table.Add(40, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        await using var inner = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "cancelled", Batching = new OutputBatchOptions { BatchSize = 1000 } });
        using var stop = new CancellationTokenSource();
        var output = new OneByOneOutput<Change>(inner) { StopAtRecord = 25, CancelAtStop = stop };
        var pipeline = new Pipeline<Scenario, Change>("cancelled", Extractor(), output, new PipelineOptions { StateStore = store });

        var cancelled = await pipeline.ExecuteAsync(input, stop.Token);
        Assert.Equal((PipelineStatus.Cancelled, 0L), (cancelled.Status, cancelled.Records));
        Assert.Equal(PipelineStatus.Cancelled, pipeline.GetStatus().Status);

        var resumed = await pipeline.ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Succeeded, resumed.Status);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), Written("cancelled").Select(c => c.Id).Order());
    }

    /// <summary>A page sink over <see cref="JsonlOutput{T}"/> that fails to end page <see cref="FailEndOfPage"/> once, or to cut any page off.</summary>
    private sealed class FailingPages(JsonlOutput<Change> inner) : ForwardingOutput<Change>(inner), IPageSink<Change>
    {
        private readonly JsonlOutput<Change> _sink = inner;

        public int FailEndOfPage { get; set; }

        public bool FailAbort { get; set; }

        public int Aborted { get; private set; }

        public void BeginPage() => _sink.BeginPage();

        public void Add(Change record) => _sink.Add(record);

        public ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default)
        {
            if (page.Number == FailEndOfPage)
            {
                FailEndOfPage = 0;
                throw new IOException("the disk is full");
            }

            return _sink.EndPageAsync(page, cancellationToken);
        }

        public void AbortPage()
        {
            Aborted++;
            if (FailAbort)
            {
                throw new IOException("the file cannot be truncated");
            }

            _sink.AbortPage();
        }
    }

    [Fact]
    public async Task A_run_resumed_under_another_base_url_continues_at_the_same_page_there()
    {
        // The sample's demo API listens on a new port each time: a checkpoint under the old base URL moves under the new one.
        var (table, input) = Table("inc-moved");
        table.Add(25, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 2;
        await using var store = new InMemoryStateStore();

        Assert.Equal(PipelineStatus.Failed, (await RunAsync(Extractor(), input, store, name: "moved")).Status);
        int before = Api.RequestsTo("/inc-moved/").Count;
        var moved = new Changes(new ExtractorOptions { BaseUrl = Api.BaseUrl.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) });
        var resumed = await RunAsync(moved, input, store, name: "moved");

        Assert.Equal((PipelineStatus.Succeeded, true), (resumed.Status, resumed.Resumed));
        var again = Api.RequestsTo("/inc-moved/").Skip(before).ToList();
        Assert.Equal("2", again[0].Q("page"));
        Assert.All(again, r => Assert.StartsWith("localhost:", r.Headers["Host"], StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), Written("moved").Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_run_that_cannot_start_is_counted_as_a_failed_run()
    {
        // A range of the wrong kind (a number for a timestamp watermark) stops the run before it starts.
        var (_, input) = Table("inc-no-start");
        var outcomes = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name == ApiPipelineMetrics.Runs)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var all = tags.ToArray();
            if (all.Any(t => t.Key == ApiPipelineTags.Pipeline && (string?)t.Value == "no-start"))
            {
                outcomes.Enqueue((string)all.Single(t => t.Key == ApiPipelineTags.Outcome).Value!);
            }
        });
        listener.Start();
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "no-start" });

        await Assert.ThrowsAsync<ArgumentException>(() => new Pipeline<Scenario, Change>("no-start", Extractor(), output, new PipelineOptions { StateStore = new InMemoryStateStore(), From = WatermarkValue.FromNumber(5) }).ExecuteAsync(input));

        Assert.Equal(["failed"], outcomes);
    }

    [Fact]
    public async Task The_start_of_a_run_logs_the_watermark_it_reads_from()
    {
        var (table, input) = Table("inc-logged");
        table.Add(5, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(lines)));

        await RunAsync(Extractor(), input, store, new PipelineOptions { LoggerFactory = logging });
        await RunAsync(Extractor(), input, store, new PipelineOptions { LoggerFactory = logging });

        var starts = lines.Where(l => l.Contains(" 1001 ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, starts.Count);
        Assert.Contains("watermark none (full extraction)", starts[0], StringComparison.Ordinal);
        Assert.Contains("watermark 2026-04-01T00:04:00", starts[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_keys_inside_the_lag_window_are_kept_in_the_state()
    {
        var (table, input) = Table("inc-bounded");
        table.Add(100, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 10;
        await using var store = new InMemoryStateStore();

        // Nine batches of 10 are committed before page 10 fails. Each keeps only the keys a later lag window can reach:
        // the 6 records within 5 minutes of the batch's newest, not all 90.
        var failed = await RunAsync(Extractor(), input, store);
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Equal(54, (await store.GetScopeAsync("seen:changes")).Count);

        // When the run completes, everything older than the new watermark (minute 99) minus the lag is forgotten: ids 95..100 remain.
        await RunAsync(Extractor(), input, store);
        var seen = await store.GetScopeAsync("seen:changes");
        Assert.Equal(Enumerable.Range(95, 6).Select(i => (long)i), seen.Select(s => long.Parse(PipelineJournal.SplitSeenKey(s.Key).Key, System.Globalization.CultureInfo.InvariantCulture)).Order());
    }

    [Fact]
    public async Task A_record_updated_inside_the_lag_window_is_written_again_as_a_new_version()
    {
        var (table, input) = Table("inc-update");
        table.Add(10, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        await RunAsync(Extractor(), input, store);

        table.Touch(8, ChangeTable.T0.AddMinutes(20));
        var second = await RunAsync(Extractor(), input, store);

        Assert.Equal(1, second.Records);
        Assert.Equal(2, Written().Count(c => c.Id == 8));
        Assert.Single(Written(), c => c.Id == 8 && c.Name == "change-8'");

        // The new version is still remembered after the run forgot the old one (minute 7, older than the new watermark minus the
        // lag, minute 15): the third run reads it again through the lag and does not write it a second time.
        var third = await RunAsync(Extractor(), input, store);
        Assert.Equal((1, 0L), (third.Duplicates, third.Records));
        Assert.Single(Written(), c => c.Id == 8 && c.Name == "change-8'");
    }

    [Fact]
    public async Task A_failed_run_resumes_at_the_failed_page_without_reading_or_writing_anything_twice()
    {
        var (table, input) = Table("inc-resume");
        table.Add(45, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 4;
        await using var store = new InMemoryStateStore();

        var failed = await RunAsync(Extractor(), input, store);
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Equal(30, failed.Records);
        Assert.Null(failed.Watermark);
        int before = Api.RequestsTo("/inc-resume/").Count;

        var resumed = await RunAsync(Extractor(), input, store);

        Assert.Equal(PipelineStatus.Succeeded, resumed.Status);
        Assert.True(resumed.Resumed);
        Assert.Equal(15, resumed.Records);
        Assert.Equal(["4", "5", "6"], Api.RequestsTo("/inc-resume/").Skip(before).Select(r => r.Q("page")!));
        Assert.Equal(Enumerable.Range(1, 45).Select(i => (long)i), Written().Select(c => c.Id).Order());
        Assert.Equal(ChangeTable.T0.AddMinutes(44), resumed.Watermark);
    }

    [Fact]
    public async Task A_crash_after_the_state_commit_but_before_the_rename_is_rolled_forward()
    {
        var (table, input) = Table("inc-crash");
        table.Add(20, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        await using (var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes", Batching = new OutputBatchOptions { BatchSize = 10 } }))
        {
            var crashing = new CrashOnComplete<Change>(output);
            var run = await new Pipeline<Scenario, Change>("changes", Extractor(), crashing, new PipelineOptions { StateStore = store }).ExecuteAsync(input);
            Assert.Equal(PipelineStatus.Failed, run.Status);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes"), "part-*.jsonl"));
            Assert.Single(Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes"), ".part-*.tmp"));
        }

        var next = await RunAsync(Extractor(), input, store);

        Assert.Equal(PipelineStatus.Succeeded, next.Status);
        Assert.True(next.Resumed);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), Written().Select(c => c.Id).Order());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes"), "*.tmp"));
    }

    /// <summary>
    /// The state file opened through a symbolic link to its folder is the same store, so the same owner: a run's recovery removes a
    /// temporary file that a crashed run left before recording it, whichever spelling of the path that run used.
    /// </summary>
    [Fact]
    public async Task A_crashed_runs_unrecorded_file_is_removed_when_the_state_file_is_opened_through_a_linked_folder()
    {
        var (table, input) = Table("inc-linked");
        table.Add(5, TimeSpan.FromMinutes(1));
        string stateFolder = Directory.CreateDirectory(Path.Combine(_dir.Path, "state")).FullName;
        string linked = Path.Combine(_dir.Path, "state-link");
        Directory.CreateSymbolicLink(linked, stateFolder);
        string crashed = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir.Path, "changes")).FullName, $".part-00001.{OwnerTag.Of(OwnerTag.Pipeline("changes", Path.Combine(stateFolder, "s.db")))}.1.jsonl.tmp");
        File.WriteAllText(crashed, "{\"id\":99}\n");

        await using var store = await SqliteStateStore.OpenAsync(Path.Combine(linked, "s.db"));
        var run = await RunAsync(Extractor(), input, store);

        Assert.Equal((PipelineStatus.Succeeded, 5L), (run.Status, run.Records));
        Assert.False(File.Exists(crashed));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), Written().Select(c => c.Id).Order());
    }

    [Fact]
    public async Task Another_pipelines_start_in_the_folder_leaves_a_crashed_runs_recorded_batch_to_its_resume()
    {
        // Pipeline "changes" records a batch and dies before the rename; then another pipeline writing into the same folder starts (its
        // recovery), and writes a batch of its own; only then does "changes" resume and put its batch in place.
        var (table, input) = Table("inc-shared");
        table.Add(20, TimeSpan.FromMinutes(1));
        var (mirrorTable, mirrorInput) = Table("inc-shared-mirror");
        mirrorTable.Add(3, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        await using (var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes", Batching = new OutputBatchOptions { BatchSize = 10 } }))
        {
            var run = await new Pipeline<Scenario, Change>("changes", Extractor(), new CrashOnComplete<Change>(output), new PipelineOptions { StateStore = store }).ExecuteAsync(input);
            Assert.Equal(PipelineStatus.Failed, run.Status);
        }

        await using (var shared = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes" }))
        {
            var mirror = await new Pipeline<Scenario, Change>("changes-mirror", Extractor(), shared).ExecuteAsync(mirrorInput);
            Assert.Equal((PipelineStatus.Succeeded, 3L), (mirror.Status, mirror.Records));
        }

        var next = await RunAsync(Extractor(), input, store);

        Assert.True(next.Resumed);
        Assert.Equal(10, next.Records);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i).Concat(Enumerable.Range(1, 3).Select(i => (long)i)).Order(), Written().Select(c => c.Id).Order());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes"), "*.tmp"));
    }

    [Fact]
    public async Task A_final_commit_that_fails_ends_the_run_failed_and_says_so_in_its_status()
    {
        var (table, input) = Table("inc-finalfail");
        table.Add(5, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        await using (var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes", Batching = new OutputBatchOptions { BatchSize = 10 } }))
        {
            // Five records in batches of ten: the only commit is the one after the last page.
            var pipeline = new Pipeline<Scenario, Change>("changes", Extractor(), new CrashOnComplete<Change>(output), new PipelineOptions { StateStore = store });

            var failed = await pipeline.ExecuteAsync(input);

            Assert.Equal(PipelineStatus.Failed, failed.Status);
            Assert.Contains("simulated crash before the rename", failed.Error!.ToString(), StringComparison.Ordinal);
            Assert.Null(failed.Watermark);
            var status = pipeline.GetStatus();
            Assert.Equal(PipelineStatus.Failed, status.Status);
            Assert.Contains("simulated crash before the rename", status.LastError, StringComparison.Ordinal);
            Assert.NotNull(status.FinishedAt);
        }

        var next = await RunAsync(Extractor(), input, store);

        Assert.True(next.Status == PipelineStatus.Succeeded, next.Error?.ToString());
        Assert.True(next.Resumed);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), Written().Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_run_that_cannot_read_its_state_throws_and_its_status_says_it_failed()
    {
        var (table, input) = Table("inc-unreadable");
        table.Add(5, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes" });
        var pipeline = new Pipeline<Scenario, Change>("changes", Extractor(), output, new PipelineOptions { StateStore = new UnreadableStore(store) });

        var error = await Assert.ThrowsAsync<StateStoreException>(() => pipeline.ExecuteAsync(input));

        var status = pipeline.GetStatus();
        Assert.Equal(PipelineStatus.Failed, status.Status);
        Assert.Equal(error.Message, status.LastError);
        Assert.NotNull(status.FinishedAt);
        Assert.Empty(Api.RequestsTo("/inc-unreadable/")); // nothing was asked for
    }

    /// <summary>A state store whose reads fail, as an unreachable or corrupt database does.</summary>
    private sealed class UnreadableStore(IStateStore inner) : IStateStore
    {
        public string Location => inner.Location;

        public string Identity => inner.Identity;

        public ValueTask<string?> GetAsync(string scope, string key, CancellationToken cancellationToken = default) => throw Unreadable();

        public ValueTask<IReadOnlyList<KeyValuePair<string, string>>> GetScopeAsync(string scope, CancellationToken cancellationToken = default) => throw Unreadable();

        public ValueTask<IReadOnlyList<string>> GetScopesAsync(string prefix = "", CancellationToken cancellationToken = default) => throw Unreadable();

        public ValueTask CommitAsync(StateChange change, CancellationToken cancellationToken = default) => inner.CommitAsync(change, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private StateStoreException Unreadable() => new($"The state store at '{Location}' cannot be read: disk unreadable.");
    }

    [Fact]
    public async Task A_state_save_that_fails_after_the_batch_was_prepared_loses_nothing()
    {
        var (table, input) = Table("inc-savefail");
        table.Add(35, TimeSpan.FromMinutes(1));
        await using var inner = new InMemoryStateStore();
        var store = new FailingStore(inner, failOnCommit: 2); // the second batch is prepared, then recording it fails

        var failed = await RunAsync(Extractor(), input, store);

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Contains("disk full", failed.Error!.ToString(), StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), Written().Select(c => c.Id).Order());

        var next = await RunAsync(Extractor(), input, inner);

        Assert.True(next.Status == PipelineStatus.Succeeded, next.Error?.ToString());
        Assert.True(next.Resumed);
        Assert.Equal(Enumerable.Range(1, 35).Select(i => (long)i), Written().Select(c => c.Id).Order());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes"), "*.tmp"));
    }

    [Fact]
    public async Task Without_a_range_parameter_the_pipeline_filters_records_itself_and_counts_what_it_drops()
    {
        var (table, input) = Table("inc-client");
        table.Add(20, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var extractor = new ClientFilteredChanges(new ExtractorOptions { BaseUrl = Api.BaseUrl });
        await RunAsync(extractor, input, store);

        table.Add(3, TimeSpan.FromMinutes(1));
        var second = await RunAsync(extractor, input, store);

        Assert.Equal(3, second.Records);
        Assert.Equal(6, second.Duplicates); // minutes 14..19
        Assert.Equal(14, second.OutOfRange); // minutes 0..13
        Assert.All(Api.RequestsTo("/inc-client/"), r => Assert.Null(r.Q("since")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Late_records_are_counted_and_handled_by_policy(bool drop)
    {
        var (table, input) = Table(drop ? "inc-late-drop" : "inc-late-include");
        table.Add(20, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        IExtractor<Scenario, Change> extractor = drop
            ? new ClientFilteredChanges(new ExtractorOptions { BaseUrl = Api.BaseUrl })
            : Extractor();
        await RunAsync(extractor, input, store);

        // Two records show up late: inside the 5-minute lag window (minute 14 onwards) but older than watermark (19) - 2 minutes.
        table.Add(2, TimeSpan.FromSeconds(1), ChangeTable.T0.AddMinutes(15).AddSeconds(30));
        var second = await RunAsync(extractor, input, store);

        Assert.Equal(2, second.LateRecords);
        Assert.Equal(6, second.Duplicates);
        Assert.Equal(drop ? 0 : 2, second.Records);
        Assert.Equal(drop ? 20 : 22, Written().Count);
    }

    [Theory]
    [InlineData(null, "continued", null)] // an ordinary run: a later run continues the input (or reads it again from its watermark, which did not move)
    [InlineData(20, "input", 20)] // a backfill below where later runs start (watermark 29 minus the 5-minute lag): replay requests the rest
    [InlineData(26, "input", 24)] // a backfill reaching past where later runs start: replay requests the rest up to there, later runs the rest
    [InlineData(-1, "input", 24)] // a backfill without an end: the same
    public async Task An_input_given_up_on_is_left_to_later_runs_only_where_they_read_its_range(int? backfillUntil, string skipped, int? entryUntil)
    {
        string name = "given-up-" + backfillUntil;
        var (table, input) = Table("inc-" + name);
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var (deadLetters, options) = DeadLettering(name);
        if (backfillUntil is { } until)
        {
            // An ordinary run first stores the watermark (minute 29); the backfill from minute 0 then fails at its second page.
            Assert.Equal(30, (await RunAsync(Extractor(), input, store, options, name: name)).Records);
            options = options with { From = ChangeTable.T0, Until = until < 0 ? null : ChangeTable.T0.AddMinutes(until) };
        }

        table.FailPageOnce = 2;
        var result = await RunAsync(Extractor(), input, store, options, name: name);

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        using var entry = System.Text.Json.JsonDocument.Parse(Assert.Single(File.ReadAllLines(deadLetters)));
        Assert.Equal(skipped, entry.RootElement.GetProperty("skipped").GetString());
        Assert.Equal(
            entryUntil is { } end ? ChangeTable.T0.AddMinutes(end).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : null,
            entry.RootElement.TryGetProperty("until", out var written) ? written.GetString() : null);
    }

    [Theory]
    [InlineData(26)] // the backfill ends after where ordinary runs start (watermark 29 minus the 5-minute lag = 24)
    [InlineData(null)] // a backfill without an end
    public async Task The_rest_of_a_backfills_input_given_up_on_lands_once_through_replay_and_later_runs(int? until)
    {
        // An ordinary run stores the watermark (minute 29): later ordinary runs start at minute 24. Corrections then arrive for minutes
        // 10..19 (ids 31..40), which those runs never read, so the user backfills from minute 0; page 2 fails and the input is given up
        // on. Its rest before minute 24 is replay's (its entry's end), after it the ordinary runs': every correction lands once.
        string name = "backfill-gap-" + until;
        var (table, input) = Table("inc-" + name);
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var (deadLetters, options) = DeadLettering(name);
        Assert.Equal(30, (await RunAsync(Extractor(), input, store, options, name: name)).Records);

        table.Add(10, TimeSpan.FromMinutes(1), ChangeTable.T0.AddMinutes(10).AddSeconds(30));
        table.FailPageOnce = 2;
        var backfill = await RunAsync(Extractor(), input, store, options with { From = ChangeTable.T0, Until = until is { } end ? ChangeTable.T0.AddMinutes(end) : null }, name: name);
        Assert.Equal(PipelineStatus.PartialSuccess, backfill.Status);
        var ordinary = await RunAsync(Extractor(), input, store, options, name: name);
        Assert.Equal(PipelineStatus.Succeeded, ordinary.Status);

        var replayed = await ReplayAsync(Assert.Single(File.ReadAllLines(deadLetters)), Extractor());
        var corrections = Written(name).Concat(replayed).Select(c => c.Id).Where(id => id > 30).Order();
        Assert.Equal(Enumerable.Range(31, 10).Select(i => (long)i), corrections);
    }

    /// <summary>
    /// What <c>replay</c> does with an entry (DeadLetterReplay): nothing for a <c>continued</c> one; else the page (or, for an input, the
    /// pages) from its checkpoint, without the records outside its bounds.
    /// </summary>
    private static async Task<List<Change>> ReplayAsync(string line, IExtractor<Scenario, Change> extractor)
    {
        var entry = System.Text.Json.JsonSerializer.Deserialize(line, RuntimeJsonContext.Default.DeadLetterEntry)!;
        var replayed = new List<Change>();
        if (entry.Skipped == DeadLetterEntry.InputContinued)
        {
            return replayed;
        }

        WatermarkValue? since = WatermarkValue.TryParse(entry.Since, out var start) ? start : null;
        WatermarkValue? until = WatermarkValue.TryParse(entry.Until, out var end) ? end : null;
        var checkpoint = new PageCheckpoint(entry.Resume!.Url, entry.Resume.PageNumber, entry.Resume.RecordsBefore) { BaseUrl = entry.Resume.BaseUrl };
        await foreach (var page in extractor.ExtractPagesAsync(default!, checkpoint))
        {
            replayed.AddRange(page.Records.ToArray().Where(c => WatermarkValue.FromTimestamp(c.UpdatedAt) is var mark && (since is null || mark >= since) && (until is null || mark < until)));
            if (entry.Skipped == DeadLetterEntry.PageSkipped)
            {
                break;
            }
        }

        return replayed;
    }

    [Fact]
    public async Task An_input_an_ordinary_run_left_unfinished_is_continued_after_a_backfill_not_read_again()
    {
        // The ordinary run gives up on the input at page 3 ("continued": the next ordinary run continues it from its checkpoint). A
        // backfill runs in between; the next ordinary run still continues the input there, and writes nothing twice.
        string name = "continued-backfill";
        var (table, input) = Table("inc-" + name);
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var (deadLetters, options) = DeadLettering(name);
        Assert.Equal(30, (await RunAsync(Extractor(), input, store, options, name: name)).Records);
        table.Add(30, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 3;
        Assert.Equal(PipelineStatus.PartialSuccess, (await RunAsync(Extractor(), input, store, options, name: name)).Status);
        Assert.Contains("\"skipped\":\"continued\"", Assert.Single(File.ReadAllLines(deadLetters)), StringComparison.Ordinal);

        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, options with { From = ChangeTable.T0, Until = ChangeTable.T0.AddMinutes(10) }, name: name)).Status);
        var ordinary = await RunAsync(Extractor(), input, store, options, name: name);

        Assert.Equal(PipelineStatus.Succeeded, ordinary.Status);
        Assert.Equal(Enumerable.Range(31, 30).Select(i => (long)i), Written(name).Select(c => c.Id).Where(id => id > 30).Order());
    }

    [Fact]
    public async Task A_backfill_that_skipped_a_page_gives_no_first_watermark()
    {
        // Without a stored watermark ordinary runs read from the beginning: the skipped page (ids 11..20) is theirs ("continued").
        string name = "skip-first";
        var (table, input) = Table("inc-" + name);
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var (deadLetters, options) = DeadLettering(name);
        var skipping = new Changes(new ExtractorOptions { BaseUrl = Api.BaseUrl, Resilience = Changes.Definition.Resilience with { OnError = ErrorMode.DeadLetter } });
        table.FailPageOnce = 2;

        Assert.Equal(PipelineStatus.PartialSuccess, (await RunAsync(skipping, input, store, options with { From = ChangeTable.T0, Until = ChangeTable.T0.AddMinutes(30) }, name: name)).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, options, name: name)).Status);

        var replayed = await ReplayAsync(Assert.Single(File.ReadAllLines(deadLetters)), Extractor());
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), Written(name).Concat(replayed).Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_backfill_from_above_the_beginning_leaves_an_input_without_a_watermark_to_be_read_from_the_beginning()
    {
        string name = "first-above";
        var (table, input) = Table("inc-" + name);
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();

        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, new PipelineOptions { From = ChangeTable.T0.AddMinutes(10), Until = ChangeTable.T0.AddMinutes(20) }, name: name)).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, name: name)).Status);

        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), Written(name).Select(c => c.Id).Order());
    }

    [Fact]
    public async Task An_input_a_failed_ordinary_run_finished_is_not_read_again_after_a_backfill()
    {
        // The failed run finished A (its watermark did not move: the run failed) and failed in B. After a backfill, the next ordinary
        // run takes both over from the failed one: A is done (its watermark moves now), B continues at its checkpoint.
        var (tableA, inputA) = Table("inc-park-a");
        var (tableB, inputB) = Table("inc-park-b");
        tableA.Add(30, TimeSpan.FromMinutes(1));
        tableB.Add(30, TimeSpan.FromMinutes(1), ChangeTable.T0.AddDays(1));
        await using var store = new InMemoryStateStore();

        Task<PipelineResult> Run(PipelineOptions options) => RunManyAsync("park", store, options, inputA, inputB);

        Assert.Equal(PipelineStatus.Succeeded, (await Run(new PipelineOptions())).Status);
        tableA.Add(30, TimeSpan.FromMinutes(1));
        tableB.Add(30, TimeSpan.FromMinutes(1));
        tableB.FailPageOnce = 2;
        Assert.Equal(PipelineStatus.Failed, (await Run(new PipelineOptions())).Status);

        Assert.Equal(PipelineStatus.Succeeded, (await Run(new PipelineOptions { From = ChangeTable.T0, Until = ChangeTable.T0.AddMinutes(5) })).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await Run(new PipelineOptions())).Status);

        // The backfill re-loads minutes 0..4 of A (ids 1..5) on purpose; nothing else is written twice.
        var written = Written("park").Where(c => c.UpdatedAt >= ChangeTable.T0.AddMinutes(5)).Select(c => (c.Id, c.UpdatedAt)).ToList();
        Assert.Equal(115, written.Count);
        Assert.Equal(115, written.Distinct().Count());
    }

    [Fact]
    public async Task Corrections_a_backfill_gives_up_on_land_when_the_input_is_set_aside_finished()
    {
        // A failed ordinary run finished A (minutes 0..59, its watermark not moved) and failed in B; corrections then arrive for A at
        // minute 40. The backfill from minute 0 sets A aside as finished and gives A up at page 5: the next ordinary runs start from
        // A's newest minus the lag (54), so the corrections before that are replay's, not left to them.
        var (tableA, inputA) = Table("inc-corr-park-a");
        var (tableB, inputB) = Table("inc-corr-park-b");
        tableA.Add(30, TimeSpan.FromMinutes(1));
        tableB.Add(30, TimeSpan.FromMinutes(1), ChangeTable.T0.AddDays(1));
        await using var store = new InMemoryStateStore();
        var (deadLetters, deadLettering) = DeadLettering("corr-park");

        Task<PipelineResult> Run(PipelineOptions options, params Scenario[] inputs) => RunManyAsync("corr-park", store, options, inputs);

        Assert.Equal(PipelineStatus.Succeeded, (await Run(new PipelineOptions(), inputA, inputB)).Status);
        tableA.Add(30, TimeSpan.FromMinutes(1));
        tableB.Add(30, TimeSpan.FromMinutes(1));
        tableB.FailPageOnce = 2;
        Assert.Equal(PipelineStatus.Failed, (await Run(new PipelineOptions(), inputA, inputB)).Status);

        tableA.Add(10, TimeSpan.FromMinutes(1), ChangeTable.T0.AddMinutes(40).AddSeconds(30));
        tableA.FailPageOnce = 5;
        Assert.Equal(PipelineStatus.PartialSuccess, (await Run(deadLettering with { From = ChangeTable.T0 }, inputA)).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await Run(new PipelineOptions(), inputA, inputB)).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await Run(new PipelineOptions(), inputA, inputB)).Status);

        var replayed = await ReplayAsync(Assert.Single(File.ReadAllLines(deadLetters)), Extractor());
        Assert.Equal(Enumerable.Range(61, 10).Select(i => (long)i), Written("corr-park").Concat(replayed).Select(c => c.Id).Where(id => id is > 60 and <= 70).Order());
    }

    [Fact]
    public async Task A_run_with_only_an_end_after_a_backfill_loses_nothing_of_the_set_aside_inputs()
    {
        // The failed run's input (newest first: page 1, ids 30..21, committed) is set aside through a backfill. A run with only an end
        // does not take it up under its own end (records past that end were dropped and the input counted finished); it reads the
        // input afresh, as the next ordinary run does. Nothing is lost; what is read again lands twice (a documented limit).
        string name = "end-only-parked";
        var (table, input) = Table("inc-" + name, newestFirst: true);
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        table.FailPageOnce = 2;
        Assert.Equal(PipelineStatus.Failed, (await RunAsync(Extractor(), input, store, name: name)).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, new PipelineOptions { From = ChangeTable.T0.AddHours(1) }, name: name)).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, new PipelineOptions { Until = ChangeTable.T0.AddMinutes(15) }, name: name)).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, name: name)).Status);

        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), Written(name).Select(c => c.Id).Distinct().Order());
    }

    [Fact]
    public async Task A_backfill_moves_no_watermark_so_ordinary_runs_read_what_lies_between()
    {
        // Ordinary runs start at minute 24 (watermark 29 minus the lag). A backfill from minute 40 then finishes: had it moved the
        // watermark to its newest change (49), the next ordinary run would start at 44 and no run would read minutes 30..39.
        var (table, input) = Table("inc-backfill-gap-above");
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        Assert.Equal(30, (await RunAsync(Extractor(), input, store, name: "gap-above")).Records);
        table.Add(20, TimeSpan.FromMinutes(1));

        var backfill = await RunAsync(Extractor(), input, store, new PipelineOptions { From = ChangeTable.T0.AddMinutes(40) }, name: "gap-above");
        Assert.Equal((PipelineStatus.Succeeded, 10L), (backfill.Status, backfill.Records));
        var ordinary = await RunAsync(Extractor(), input, store, name: "gap-above");

        // The backfill's ten changes are recognised by key; every change lands once.
        Assert.Equal((PipelineStatus.Succeeded, 10L), (ordinary.Status, ordinary.Records));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), Written("gap-above").Select(c => c.Id).Order());
    }

    [Fact]
    public async Task What_a_backfill_wrote_where_ordinary_runs_read_is_not_written_again_by_them()
    {
        // The backfill from minute 0 writes pages 1..4 (to minute 39), fails at page 5 and hands the rest to replay up to minute 24;
        // the next ordinary run reads from minute 24 and recognises the backfill's changes there by key.
        string name = "backfill-twice";
        var (table, input) = Table("inc-" + name);
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var (deadLetters, options) = DeadLettering(name);
        Assert.Equal(30, (await RunAsync(Extractor(), input, store, options, name: name)).Records);
        table.Add(15, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 5;

        Assert.Equal(PipelineStatus.PartialSuccess, (await RunAsync(Extractor(), input, store, options with { From = ChangeTable.T0 }, name: name)).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, options, name: name)).Status);

        var replayed = await ReplayAsync(Assert.Single(File.ReadAllLines(deadLetters)), Extractor());
        Assert.Equal(Enumerable.Range(31, 15).Select(i => (long)i), Written(name).Concat(replayed).Select(c => c.Id).Where(id => id > 30).Order());
    }

    [Fact]
    public async Task A_page_a_backfill_skipped_where_ordinary_runs_read_lands_once()
    {
        // The backfill from minute 0 skips page 4 (changes 31..40, minutes 30..39), all where ordinary runs read (from minute 24): its
        // entry leaves replay nothing past minute 24, and the next ordinary run writes those changes.
        string name = "backfill-page";
        var (table, input) = Table("inc-" + name);
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var (deadLetters, options) = DeadLettering(name);
        Assert.Equal(30, (await RunAsync(Extractor(), input, store, options, name: name)).Records);
        table.Add(10, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 4;
        var skipping = new Changes(new ExtractorOptions { BaseUrl = Api.BaseUrl, Resilience = Changes.Definition.Resilience with { OnError = ErrorMode.DeadLetter } });

        Assert.Equal(PipelineStatus.PartialSuccess, (await RunAsync(skipping, input, store, options with { From = ChangeTable.T0 }, name: name)).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(Extractor(), input, store, options, name: name)).Status);

        string line = Assert.Single(File.ReadAllLines(deadLetters));
        var replayed = await ReplayAsync(line, Extractor());
        Assert.Equal(Enumerable.Range(31, 10).Select(i => (long)i), Written(name).Concat(replayed).Select(c => c.Id).Where(id => id > 30).Order());
    }

    [Fact]
    public async Task Replay_of_a_backfills_input_writes_nothing_before_the_backfills_start()
    {
        // An API without a since parameter (the pipeline filters): the entry's lower bound keeps replay to the backfill's range.
        string name = "backfill-below";
        var (table, input) = Table("inc-" + name);
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var (deadLetters, options) = DeadLettering(name);
        var extractor = new ClientFilteredChanges(new ExtractorOptions { BaseUrl = Api.BaseUrl });
        Assert.Equal(30, (await RunAsync(extractor, input, store, options, name: name)).Records);
        table.FailPageOnce = 1;
        var from = ChangeTable.T0.AddMinutes(10);

        Assert.Equal(PipelineStatus.PartialSuccess, (await RunAsync(extractor, input, store, options with { From = from }, name: name)).Status);

        string line = Assert.Single(File.ReadAllLines(deadLetters));
        Assert.Contains("\"skipped\":\"input\"", line, StringComparison.Ordinal);
        var replayed = await ReplayAsync(line, new ClientFilteredChanges(new ExtractorOptions { BaseUrl = Api.BaseUrl }));
        Assert.Equal(Enumerable.Range(11, 14).Select(i => (long)i), replayed.Select(c => c.Id).Order()); // minutes 10..23: up to where ordinary runs start
    }

    [Fact]
    public async Task A_failed_backfill_run_again_with_the_same_range_resumes_at_the_failed_page()
    {
        var (table, input) = Table("inc-backfill-resume");
        table.Add(45, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 4;
        await using var store = new InMemoryStateStore();
        var range = new PipelineOptions { From = ChangeTable.T0, Until = ChangeTable.T0.AddMinutes(40) };

        var failed = await RunAsync(Extractor(), input, store, range, name: "backfill-resume");
        Assert.Equal((PipelineStatus.Failed, 30L), (failed.Status, failed.Records));
        int before = Api.RequestsTo("/inc-backfill-resume/").Count;

        var resumed = await RunAsync(Extractor(), input, store, range, name: "backfill-resume");

        Assert.Equal((PipelineStatus.Succeeded, true, 10L), (resumed.Status, resumed.Resumed, resumed.Records));
        var again = Api.RequestsTo("/inc-backfill-resume/").Skip(before).ToList();
        Assert.Equal("4", again[0].Q("page"));
        Assert.All(again, r => Assert.Equal("2026-04-01T00:00:00Z", r.Q("since")));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), Written("backfill-resume").Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_failed_backfill_is_not_resumed_by_a_run_with_another_range_or_none()
    {
        var (table, input) = Table("inc-backfill-other");
        table.Add(45, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 2;
        await using var store = new InMemoryStateStore();
        var failed = await RunAsync(Extractor(), input, store, new PipelineOptions { From = ChangeTable.T0.AddMinutes(10) }, name: "backfill-other");
        Assert.Equal((PipelineStatus.Failed, 10L), (failed.Status, failed.Records));

        // An ordinary run has no range of its own: it starts at the stored watermark (none yet), not in the backfill's range. The
        // backfill's committed changes (11..20) lie where ordinary runs read (from the beginning): remembered, they are dropped by key.
        int before = Api.RequestsTo("/inc-backfill-other/").Count;
        var ordinary = await RunAsync(Extractor(), input, store, name: "backfill-other-ordinary");

        Assert.Equal((PipelineStatus.Succeeded, false, 35L, 10L), (ordinary.Status, ordinary.Resumed, ordinary.Records, ordinary.Duplicates));
        var requests = Api.RequestsTo("/inc-backfill-other/").Skip(before).ToList();
        Assert.Equal(("1", (string?)null), (requests[0].Q("page"), requests[0].Q("since")));
    }

    [Fact]
    public async Task A_resumed_backfill_leaves_an_input_it_dead_lettered_to_replay()
    {
        // An ordinary run stores the watermarks (A: minute 24, B: minute 4). The backfill of minutes 0..10 then fails at A's second page:
        // under DeadLetter the run gives its rest to the dead-letter file ("input": later runs start at minute 19, so only replay requests
        // it). B is throttled, which ends the run. The same backfill again resumes the run: it reads B, and not A's rest, which replay
        // would then write a second time.
        var (tableA, inputA) = Table("inc-backfill-dl-a");
        tableA.Add(25, TimeSpan.FromMinutes(1));
        var tableB = new ChangeTable();
        tableB.Add(5, TimeSpan.FromMinutes(1));
        bool throttled = false;
        Api.Map("/inc-backfill-dl-b/changes", context => throttled ? Reply.Json(context, "{}", 429) : tableB.Serve(context));
        await using var store = new InMemoryStateStore();
        var (deadLetters, options) = DeadLettering("backfill-dl");

        Task<PipelineResult> Run() => RunManyAsync("backfill-dl", store, options, inputA, new Scenario("inc-backfill-dl-b"));

        Assert.Equal(PipelineStatus.Succeeded, (await Run()).Status);
        options = options with { From = ChangeTable.T0, Until = ChangeTable.T0.AddMinutes(10) };
        tableA.FailPageOnce = 2;
        throttled = true;
        var failed = await Run();
        Assert.Equal((PipelineStatus.Failed, 10L, 1L), (failed.Status, failed.Records, failed.DeadLettered));

        throttled = false;
        int beforeA = Api.RequestsTo("/inc-backfill-dl-a/").Count;
        var resumed = await Run();

        // B's five changes are in the range, and were written by the first run: recognised by key, they are duplicates.
        Assert.Equal((PipelineStatus.PartialSuccess, true, 0L, 5L, 1L), (resumed.Status, resumed.Resumed, resumed.Records, resumed.Duplicates, resumed.DeadLettered));
        Assert.Equal(beforeA, Api.RequestsTo("/inc-backfill-dl-a/").Count);
        using var entry = System.Text.Json.JsonDocument.Parse(Assert.Single(File.ReadAllLines(deadLetters)));
        Assert.Equal("input", entry.RootElement.GetProperty("skipped").GetString());
    }

    [Fact]
    public async Task A_backfill_without_an_end_leaves_an_input_it_gave_up_on_to_the_next_ordinary_run()
    {
        // No Until: the backfill reaches the present, so the next ordinary run (which starts at the watermark, none yet) reads the rest
        // of the input the backfill gave up on; the entry says "continued", and replay leaves it, so nothing after the failure lands twice.
        var (table, input) = Table("inc-backfill-open");
        table.Add(45, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 2;
        await using var store = new InMemoryStateStore();
        var (deadLetters, options) = DeadLettering("backfill-open");
        var backfill = await RunAsync(Extractor(), input, store, options with { From = ChangeTable.T0 }, name: "backfill-open");
        Assert.Equal((PipelineStatus.PartialSuccess, 10L), (backfill.Status, backfill.Records));

        var ordinary = await RunAsync(Extractor(), input, store, options, name: "backfill-open");

        Assert.Equal(PipelineStatus.Succeeded, ordinary.Status);
        using var entry = System.Text.Json.JsonDocument.Parse(Assert.Single(File.ReadAllLines(deadLetters)));
        Assert.Equal("continued", entry.RootElement.GetProperty("skipped").GetString());
        Assert.Equal(Enumerable.Range(11, 35).Select(i => (long)i), Written("backfill-open").Select(c => c.Id).Where(id => id > 10).Order());
    }

    [Fact]
    public async Task A_backfill_below_the_stored_watermark_writes_the_records_it_asks_for_none_of_them_late()
    {
        // Late = Drop: a record older than the stored watermark (less the lateness) is dropped in an ordinary run, not in a backfill.
        var (table, input) = Table("inc-backfill-late");
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        Assert.Equal(30, (await RunAsync(new ClientFilteredChanges(new ExtractorOptions { BaseUrl = Api.BaseUrl }), input, store, name: "first")).Records);

        var backfill = await RunAsync(new ClientFilteredChanges(new ExtractorOptions { BaseUrl = Api.BaseUrl }), input, store, new PipelineOptions { From = ChangeTable.T0.AddMinutes(10), Until = ChangeTable.T0.AddMinutes(20) }, name: "again");

        Assert.Equal((10L, 0L), (backfill.Records, backfill.LateRecords));
        Assert.Equal(Enumerable.Range(11, 10).Select(i => (long)i), Written("again").Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_backfill_takes_an_explicit_range_and_a_lag_requires_a_key()
    {
        var (table, input) = Table("inc-backfill");
        table.Add(30, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();

        var backfill = await RunAsync(Extractor(), input, store, new PipelineOptions { From = ChangeTable.T0.AddMinutes(10), Until = ChangeTable.T0.AddMinutes(20) });

        Assert.Equal(10, backfill.Records);
        Assert.Equal(Enumerable.Range(11, 10).Select(i => (long)i), Written().Select(c => c.Id).Order());
        Assert.Equal("2026-04-01T00:10:00Z", Api.RequestsTo("/inc-backfill/")[0].Q("since"));

        var noKey = new WatermarkOptions<Change> { Field = "UpdatedAt", Read = c => c.UpdatedAt, Lag = TimeSpan.FromMinutes(1) };
        var error = Assert.Throws<ArgumentException>(() => noKey.Validate("p"));
        Assert.Contains("[Key]", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A change feed listing each version of a key (oldest first) inside the lag: the next run reading the same answer drops every
    /// version, the older one too (the state keeps each key's newest value, and an older version than that is superseded).
    /// </summary>
    [Fact]
    public async Task Several_versions_of_a_key_read_again_inside_the_lag_are_all_dropped()
    {
        var t0 = ChangeTable.T0;
        Change[] rows = [new(1, "v1", t0), new(1, "v2", t0.AddMinutes(1)), new(2, "other", t0.AddMinutes(2))];
        var input = Map("inc-versions", ctx =>
        {
            var q = ctx.Request.Query;
            var since = q.TryGetValue("since", out var s) ? DateTimeOffset.Parse(s.ToString(), System.Globalization.CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
            var data = q["page"] == "1" ? rows.Where(r => r.UpdatedAt >= since).Select(r => System.Text.Json.JsonSerializer.Serialize(r, ChangeJson.Default.Change)) : [];
            return Reply.Json(ctx, "{\"data\":[" + string.Join(",", data) + "]}");
        });
        await using var store = new InMemoryStateStore();

        var first = await RunAsync(Extractor(), input, store, name: "versions");
        var second = await RunAsync(Extractor(), input, store, name: "versions");

        Assert.Equal((PipelineStatus.Succeeded, 3L), (first.Status, first.Records));
        Assert.Equal((PipelineStatus.Succeeded, 0L, 3L), (second.Status, second.Records, second.Duplicates));
    }

    /// <summary>
    /// A record dated in the future (a typo, a "valid until" date) is written, but the watermark stops at the moment the run commits:
    /// the next run still asks from there and reads the changes made in between, instead of waiting ten years for them.
    /// </summary>
    [Fact]
    public async Task A_record_dated_in_the_future_does_not_carry_the_watermark_past_later_changes()
    {
        var (table, input) = Table("inc-future");
        table.Add(3, TimeSpan.FromMinutes(1));
        table.Add(1, TimeSpan.Zero, ChangeTable.T0.AddYears(10));
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(ChangeTable.T0.AddMinutes(10));
        await using var store = new InMemoryStateStore();

        var first = await RunAsync(Extractor(), input, store, new PipelineOptions { TimeProvider = clock });
        table.Add(3, TimeSpan.FromMinutes(1), ChangeTable.T0.AddHours(1));
        clock.SetUtcNow(ChangeTable.T0.AddHours(2));
        var second = await RunAsync(Extractor(), input, store, new PipelineOptions { TimeProvider = clock });

        Assert.Equal((PipelineStatus.Succeeded, 4L, (WatermarkValue?)ChangeTable.T0.AddMinutes(10)), (first.Status, first.Records, first.Watermark));
        Assert.Equal((PipelineStatus.Succeeded, 3L, 1L), (second.Status, second.Records, second.Duplicates)); // the future record is known
    }
}
