using System.Text.Json;

namespace ApiPipeline.Tests.Resilience;

/// <summary>One request; its failure skips the (whole) input and goes to the dead-letter file.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[OnError(ErrorMode.DeadLetter)]
public partial class SingleDeadLetterRows : IExtractor<Shard, Row>;

/// <summary>
/// Dead-letter entries are exactly once across a crash and resume: they become durable with the commit of the batch that covers
/// their page, so a commit that breaks before it is recorded leaves none that the resumed run would write again, and a batch
/// recorded before its entries were appended has them appended on the next start, once.
/// </summary>
public sealed class DeadLetterOnceTests
{
    [Fact]
    public async Task A_failed_page_whose_batch_was_never_recorded_is_dead_lettered_once_after_resume()
    {
        // Page 2 (offset 3) always fails and is skipped; recording the batch that follows it fails, as a crash at that point would.
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 3 ? Faults.Status(ctx, 503) : null));
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();

        var failed = await RunAsync(server, temp, new FailingStore(store, failOnCommit: 2));

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Contains("disk full", failed.Error!.ToString(), StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Empty(Entries(temp));

        var resumed = await RunAsync(server, temp, store);

        Assert.True(resumed.Resumed);
        Assert.Equal(PipelineStatus.PartialSuccess, resumed.Status);
        Assert.Equal([1, 2, 3, 7, 8, 9, 10], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        var entry = Assert.Single(Entries(temp));
        Assert.Equal(2, entry.GetProperty("page").GetInt32());
        Assert.Equal("page", entry.GetProperty("skipped").GetString());
        Assert.Equal(Path.Combine(temp.Path, "rows.dead-letter.jsonl"), resumed.DeadLetterFile);
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_skipped_page_committed_at_its_end_is_dead_lettered_once_across_a_crash_and_resume()
    {
        // Every page is committed at its end (zero interval); recording the third commit (the page after the skipped one) fails.
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 3 ? Faults.Status(ctx, 503) : null));
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();

        var failed = await RunAsync(server, temp, new FailingStore(store, failOnCommit: 3), flushInterval: TimeSpan.Zero);
        var resumed = await RunAsync(server, temp, store, flushInterval: TimeSpan.Zero);

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.True(resumed.Resumed);
        Assert.Equal([1, 2, 3, 7, 8, 9, 10], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal(2, Assert.Single(Entries(temp)).GetProperty("page").GetInt32());

        // The failure was skipped by the first part (recorded with its commit): the resumed run reports it too.
        Assert.Equal((PipelineStatus.PartialSuccess, 1L, 1L), (resumed.Status, resumed.Failures, resumed.DeadLettered));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_failed_input_that_the_resumed_run_reads_again_is_counted_only_if_it_fails_again(bool recovers)
    {
        // Inputs a, b, c (3 rows each: a batch each): a fails, b commits, recording c's batch fails (a crash). The resumed run reads
        // a again (it was not skipped, only left unfinished) and finishes c.
        int aRequests = 0;
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            string shard = ctx.Request.Path.Value!.Split('/')[1];
            return shard == "a" && (Interlocked.Increment(ref aRequests) == 1 || !recovers)
                ? Faults.Status(ctx, 400)
                : Faults.Json(ctx, Faults.Page(shard switch { "a" => 1, "b" => 4, _ => 7 }, 3));
        });
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();
        async Task<PipelineResult> Run(IStateStore state)
        {
            await using var output = Output(temp);
            return await new Pipeline<Shard, Row>("rows", new SingleDeadLetterRows(server.Options), output, Options(temp, state))
                .ExecuteManyAsync(new[] { new Shard("a"), new Shard("b"), new Shard("c") }.ToAsyncEnumerable()).Within();
        }

        Assert.Equal(PipelineStatus.Failed, (await Run(new FailingStore(store, failOnCommit: 2))).Status);
        var resumed = await Run(store);

        Assert.True(resumed.Resumed);
        Assert.Equal(recovers ? (PipelineStatus.Succeeded, 0L, 0L) : (PipelineStatus.PartialSuccess, 1L, 1L), (resumed.Status, resumed.Failures, resumed.DeadLettered));
        Assert.Equal(recovers ? Enumerable.Range(1, 9).Select(i => (long)i) : Enumerable.Range(4, 6).Select(i => (long)i), Extract.IdsIn(Path.Combine(temp.Path, "rows")).Order());
    }

    [Fact]
    public async Task A_skipped_last_page_finishes_its_input_so_a_resumed_run_neither_reads_nor_counts_it_again()
    {
        // Shard a: page 1 fine, page 2 (the last: MaxPages 2) always fails and is skipped; recording b's second batch fails (a crash).
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            string shard = ctx.Request.Path.Value!.Split('/')[1];
            long offset = long.Parse(ctx.Request.Query["offset"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            return shard == "a" && offset == 3 ? Faults.Status(ctx, 503) : Faults.Json(ctx, Faults.Page((shard == "a" ? 0 : 100) + offset + 1, 3));
        });
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();
        async Task<PipelineResult> Run(IStateStore state)
        {
            await using var output = Output(temp);
            return await new Pipeline<Shard, Row>("rows", new DeadLetterRows(server.Options with { MaxPages = 2 }), output, Options(temp, state))
                .ExecuteManyAsync(new[] { new Shard("a"), new Shard("b") }.ToAsyncEnumerable()).Within();
        }

        Assert.Equal(PipelineStatus.Failed, (await Run(new FailingStore(store, failOnCommit: 3))).Status);
        int requests = server.Requests.Count(r => r.Path.StartsWith("/a/", StringComparison.Ordinal));
        var resumed = await Run(store);

        Assert.True(resumed.Resumed);
        Assert.Equal((PipelineStatus.PartialSuccess, 1L, 1L), (resumed.Status, resumed.Failures, resumed.DeadLettered));
        Assert.Single(Entries(temp));
        Assert.Equal(requests, server.Requests.Count(r => r.Path.StartsWith("/a/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_dead_letter_metric_counts_an_entry_once_when_it_is_appended()
    {
        // As above: the first run makes page 2's entry but its commit fails; the resumed run (same process) makes it again and appends it.
        const string id = "rows-metric";
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 3 ? Faults.Status(ctx, 503) : null));
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();
        using var appended = new DeadLetterMetric(id);

        var failed = await RunAsync(server, temp, new FailingStore(store, failOnCommit: 2), id);

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Equal(0, appended.Count);

        var resumed = await RunAsync(server, temp, store, id);

        Assert.Equal(PipelineStatus.PartialSuccess, resumed.Status);
        Assert.Single(Entries(temp));
        Assert.Equal(1, appended.Count);
        Assert.Equal(["DeadLetterRows"], appended.Extractors);
    }

    [Fact]
    public async Task A_rejected_record_whose_batch_was_never_recorded_is_dead_lettered_once_after_resume()
    {
        const string bad = """{"id":"five","name":"row-5"}""";
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(9, (ctx, _, offset) => offset == 3
            ? Faults.Json(ctx, $$"""{"data":[{{Faults.Row(4)}},{{bad}},{{Faults.Row(6)}}]}""")
            : null));
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();

        var failed = await RunAsync(server, temp, new FailingStore(store, failOnCommit: 2));
        var resumed = await RunAsync(server, temp, store);

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Equal(PipelineStatus.PartialSuccess, resumed.Status);
        Assert.Equal([1, 2, 3, 4, 6, 7, 8, 9], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        var entry = Assert.Single(Entries(temp));
        Assert.Equal("record", entry.GetProperty("skipped").GetString());
        Assert.Equal(bad, entry.GetProperty("record").GetRawText());
    }

    [Fact]
    public async Task Entries_of_a_batch_recorded_before_they_were_appended_are_appended_once_on_the_next_start()
    {
        const string id = "rows-recovered";
        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(10, (ctx, _, offset) => offset == 3 ? Faults.Status(ctx, 503) : null));
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();
        using var appended = new DeadLetterMetric(id);
        await using (var output = Output(temp))
        {
            // The second batch (pages 2 and 3) is recorded, then the process "dies" before anything of it is made visible.
            var crashing = new CrashOnComplete<Row>(output, crashOn: 2);
            var crashed = await new Pipeline<Shard, Row>(id, new DeadLetterRows(server.Options), crashing, Options(temp, store)).ExecuteAsync(new Shard("a")).Within();
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            Assert.Empty(Entries(temp));
            Assert.Equal(0, appended.Count);
        }

        var next = await RunAsync(server, temp, store, id);

        // The entry counts when the next run's start appends it, once, under the extractor that made it.
        Assert.Equal(1, appended.Count);
        Assert.Equal(["DeadLetterRows"], appended.Extractors);

        Assert.True(next.Resumed);
        Assert.Equal([1, 2, 3, 7, 8, 9, 10], Extract.IdsIn(Path.Combine(temp.Path, "rows")));
        Assert.Equal(2, Assert.Single(Entries(temp)).GetProperty("page").GetInt32());
        Assert.Equal(Path.Combine(temp.Path, "rows.dead-letter.jsonl"), next.DeadLetterFile); // appended at its start, from the crashed run's record
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_failure_that_ends_the_run_with_nothing_else_to_commit_still_reaches_the_file()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 404, """{"message":"gone"}"""));
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();
        await using var output = Output(temp);

        var result = await new Pipeline<Shard, Row>("rows", new SingleDeadLetterRows(server.Options), output, Options(temp, store)).ExecuteAsync(new Shard("a")).Within();

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal((1L, 0L), (result.DeadLettered, result.Records));
        var entry = Assert.Single(Entries(temp));
        Assert.Equal("continued", entry.GetProperty("skipped").GetString()); // the state keeps its checkpoint: the next run continues it
        Assert.Equal(404, entry.GetProperty("status").GetInt32());
        Assert.Equal(Path.Combine(temp.Path, "rows.dead-letter.jsonl"), result.DeadLetterFile);
    }

    [Fact]
    public async Task Rolling_a_batch_of_entries_forward_completes_a_cut_short_append_and_is_idempotent()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "rows.dead-letter.jsonl");
        await File.WriteAllTextAsync(path, "{\"earlier\":true}\n");
        var writer = new DeadLetterWriter(path, "rows", OwnerTag.Pipeline("rows", null));
        writer.Hold(Entry(1));
        writer.Hold(Entry(2));
        var prepared = Assert.IsType<PreparedDeadLetters>(await writer.PrepareAsync(CancellationToken.None));
        writer.Recorded();
        Assert.False(writer.HasHeld);
        var batch = await File.ReadAllBytesAsync(prepared.TempPath);

        // A crash in the middle of the append: it had noted where it started, and the first entry and part of the second reached the file.
        await CrashInAppendAsync(prepared, path, batch.Length - 10);

        await DeadLetterWriter.RollForwardAsync(prepared, "rows", CancellationToken.None);
        string expected = "{\"earlier\":true}\n" + System.Text.Encoding.UTF8.GetString(batch);
        Assert.Equal(expected, await File.ReadAllTextAsync(path));
        Assert.False(File.Exists(prepared.TempPath));

        // A crash after the append but before the temporary file was deleted: rolling forward again adds nothing.
        await File.WriteAllBytesAsync(prepared.TempPath, [.. batch, .. System.Text.Encoding.UTF8.GetBytes(StartLine("{\"earlier\":true}\n".Length))]);
        await DeadLetterWriter.RollForwardAsync(prepared, "rows", CancellationToken.None);
        await DeadLetterWriter.RollForwardAsync(prepared, "rows", CancellationToken.None);
        Assert.Equal(expected, await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task An_append_cut_short_after_another_writer_appended_is_completed_without_duplicates_or_a_partial_line()
    {
        const string owner = "rows-cut-after-another";
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "shared.dead-letter.jsonl");
        using var appended = new DeadLetterMetric(owner);
        var writer = new DeadLetterWriter(path, owner, OwnerTag.Pipeline(owner, null));
        writer.Hold(Entry(1));
        writer.Hold(Entry(2));
        writer.Hold(Entry(3));
        var prepared = Assert.IsType<PreparedDeadLetters>(await writer.PrepareAsync(CancellationToken.None));
        writer.Recorded();
        var batch = await File.ReadAllBytesAsync(prepared.TempPath);

        // Another pipeline sharing the file appends its batch between this batch's prepare and its append.
        var other = new DeadLetterWriter(path, "rows-other", OwnerTag.Pipeline("rows-other", null));
        other.Hold(Entry(101));
        other.Hold(Entry(102));
        await other.CommitAsync(CancellationToken.None);

        // This batch's append then starts after the other's lines, and a crash cuts it short: the first entry and half the second.
        int first = Array.IndexOf(batch, (byte)'\n') + 1;
        int second = Array.IndexOf(batch, (byte)'\n', first) + 1;
        await CrashInAppendAsync(prepared, path, first + ((second - first) / 2));

        Assert.True(await DeadLetterWriter.RollForwardAsync(prepared, owner, CancellationToken.None));

        Assert.Equal([101, 102, 1, 2, 3], Pages(path));
        Assert.EndsWith("\n", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        Assert.Equal(3, appended.Count);
        Assert.False(File.Exists(prepared.TempPath));
    }

    [Fact]
    public async Task A_run_of_the_same_pipeline_with_another_state_store_leaves_the_batch_the_first_recorded()
    {
        // Pipeline "rows" run with a.db prepares its entries and dies after recording them; a run of "rows" with b.db, or with no state
        // store, deletes only the temporary files of its own runs; the a.db run's next start deletes what a.db did not record.
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "rows.dead-letter.jsonl");
        var crashed = new DeadLetterWriter(path, "rows", OwnerTag.Pipeline("rows", "/state/a.db"));
        crashed.Hold(Entry(1));
        var prepared = Assert.IsType<PreparedDeadLetters>(await crashed.PrepareAsync(CancellationToken.None));

        new DeadLetterWriter(path, "rows", OwnerTag.Pipeline("rows", "/state/b.db")).DeleteUnrecorded();
        new DeadLetterWriter(path, "rows", OwnerTag.Pipeline("rows", null)).DeleteUnrecorded();
        Assert.True(File.Exists(prepared.TempPath));

        new DeadLetterWriter(path, "rows", OwnerTag.Pipeline("rows", "/state/a.db")).DeleteUnrecorded();
        Assert.False(File.Exists(prepared.TempPath));
    }

    [Fact]
    public async Task A_line_cut_short_by_another_batchs_crash_is_removed_before_an_append_and_that_batch_completes_it_once()
    {
        const string owner = "rows-cut-then-other";
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "shared.dead-letter.jsonl");
        using var appended = new DeadLetterMetric(owner);
        await File.WriteAllTextAsync(path, "{\"page\":0}\n");
        var crashed = new DeadLetterWriter(path, owner, OwnerTag.Pipeline(owner, null));
        crashed.Hold(Entry(1));
        crashed.Hold(Entry(2));
        var prepared = Assert.IsType<PreparedDeadLetters>(await crashed.PrepareAsync(CancellationToken.None));
        crashed.Recorded();
        var batch = await File.ReadAllBytesAsync(prepared.TempPath);
        int first = Array.IndexOf(batch, (byte)'\n') + 1;
        await CrashInAppendAsync(prepared, path, first + 20);

        // Another pipeline appends before the crashed one starts again: the half line goes, and its entry has a line of its own.
        var other = new DeadLetterWriter(path, "rows-other", OwnerTag.Pipeline("rows-other", null));
        other.Hold(Entry(101));
        await other.CommitAsync(CancellationToken.None);
        Assert.Equal([0, 1, 101], Pages(path));

        Assert.True(await DeadLetterWriter.RollForwardAsync(prepared, owner, CancellationToken.None));

        Assert.Equal([0, 1, 101, 2], Pages(path));
        Assert.Equal(2, appended.Count);
        Assert.False(File.Exists(prepared.TempPath));
    }

    [Fact]
    public async Task A_last_line_that_lacks_only_its_line_feed_is_kept_when_entries_are_appended()
    {
        // As a text editor may leave the file after an entry was removed by hand.
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "rows.dead-letter.jsonl");
        await File.WriteAllTextAsync(path, "{\"page\":0}\n{\"page\":7}");
        var writer = new DeadLetterWriter(path, "rows", OwnerTag.Pipeline("rows", null));
        writer.Hold(Entry(1));

        await writer.CommitAsync(CancellationToken.None);

        Assert.Equal([0, 7, 1], Pages(path));
    }

    [Fact]
    public async Task A_batch_an_earlier_version_was_appending_when_it_stopped_is_finished_from_the_length_it_recorded()
    {
        // Versions before the start mark recorded the file's length at prepare and wrote no mark: a crash left the batch's first entry
        // whole and half its second in the file.
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "rows.dead-letter.jsonl");
        await File.WriteAllTextAsync(path, "{\"page\":0}\n");
        var writer = new DeadLetterWriter(path, "rows", OwnerTag.Pipeline("rows", null));
        writer.Hold(Entry(1));
        writer.Hold(Entry(2));
        writer.Hold(Entry(3));
        var prepared = Assert.IsType<PreparedDeadLetters>(await writer.PrepareAsync(CancellationToken.None)) with { Offset = new FileInfo(path).Length };
        writer.Recorded();
        var batch = await File.ReadAllBytesAsync(prepared.TempPath);
        await using (var file = new FileStream(path, FileMode.Append))
        {
            file.Write(batch, 0, Array.IndexOf(batch, (byte)'\n') + 10);
        }

        await DeadLetterWriter.RollForwardAsync(prepared, "rows", CancellationToken.None);

        Assert.Equal([0, 1, 2, 3], Pages(path));
    }

    [Fact]
    public async Task A_whole_last_line_nested_deeper_than_64_that_lacks_only_its_line_feed_is_kept()
    {
        // An entry's record may nest as deep as a page may (256).
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "rows.dead-letter.jsonl");
        await File.WriteAllTextAsync(path, "{\"page\":0}\n{\"page\":7,\"record\":" + new string('[', 80) + new string(']', 80) + "}");
        var writer = new DeadLetterWriter(path, "rows", OwnerTag.Pipeline("rows", null));
        writer.Hold(Entry(1));

        await writer.CommitAsync(CancellationToken.None);

        Assert.Equal([0, 7, 1], Pages(path));
    }

    [Fact]
    public void A_batch_of_entries_recorded_with_the_dead_letter_files_length_is_still_read()
    {
        // Earlier versions noted the file's length with the batch ("offset"): it is read, to finish a batch such a version was appending.
        var expected = new PreparedDeadLetters("rows.dead-letter.jsonl.0123456789abcdef.0123456789abcdef0123456789abcdef.tmp", "rows.dead-letter.jsonl") { Offset = 120 };
        const string recorded = """{"temp_path":"rows.dead-letter.jsonl.0123456789abcdef.0123456789abcdef0123456789abcdef.tmp","final_path":"rows.dead-letter.jsonl","offset":120}""";

        Assert.Equal(expected, JsonSerializer.Deserialize($$"""{"run_id":2,"last_dead_letters":{{recorded}}}""", StateJson.Default.PipelineRunState)!.LastDeadLetters);
        Assert.Equal(expected, JsonSerializer.Deserialize(recorded, ChainStateJson.Default.PreparedDeadLetters));
    }

    [Fact]
    public async Task An_append_waits_while_another_process_holds_the_dead_letter_file()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "rows.dead-letter.jsonl");
        var writer = new DeadLetterWriter(path, "rows", OwnerTag.Pipeline("rows", null));
        writer.Hold(Entry(1));
        var prepared = Assert.IsType<PreparedDeadLetters>(await writer.PrepareAsync(CancellationToken.None));
        writer.Recorded();

        // What another process holds while it appends, or while `replay` reads and rewrites the file.
        var held = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var append = DeadLetterWriter.RollForwardAsync(prepared, "rows", CancellationToken.None).AsTask();
        await Task.Delay(300);
        Assert.False(append.IsCompleted);
        Assert.False(File.Exists(path));

        await held.DisposeAsync();
        await append.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Single(await File.ReadAllLinesAsync(path));
        Assert.False(File.Exists(prepared.TempPath));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(0)]
    public async Task An_entry_reaches_the_file_at_the_flush_interval_even_with_no_records_pending(int intervalMs)
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "rows.dead-letter.jsonl");
        bool inFileWhileHeld = false;
        async Task HoldUntilDeadLettered(Microsoft.AspNetCore.Http.HttpContext ctx)
        {
            // The first page failed and nothing is pending: only the flush interval can bring its entry to the file meanwhile.
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(path) && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }

            inFileWhileHeld = File.Exists(path);
            await Faults.Json(ctx, $$"""{"data":[{{Faults.Row(4)}},{{Faults.Row(5)}},{{Faults.Row(6)}}]}""");
        }

        await using var server = await FaultServer.StartAsync(Faults.OffsetApi(6, (ctx, _, offset) => offset switch
        {
            0 => Faults.Status(ctx, 503),
            3 => HoldUntilDeadLettered(ctx),
            _ => null,
        }));
        await using var store = new InMemoryStateStore();
        PipelineResult result;
        await using (var output = new JsonlOutput<Row>(ResilienceJson.Default.Row, new() { Directory = temp.Path, Name = "rows", Batching = new OutputBatchOptions { FlushInterval = TimeSpan.FromMilliseconds(intervalMs) } }))
        {
            result = await new Pipeline<Shard, Row>("rows", new DeadLetterRows(server.Options), output, Options(temp, store)).ExecuteAsync(new Shard("a")).Within();
        }

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.True(inFileWhileHeld, "the entry of the failed first page was not in the file while the second page was held");
        Assert.Equal(1, Assert.Single(Entries(temp)).GetProperty("page").GetInt32());
    }

    [Fact]
    public async Task Writers_that_share_a_dead_letter_file_append_every_entry_whole()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "shared.dead-letter.jsonl");

        // Four pipelines' writers on one file, each committing 40 batches of one entry as fast as it can.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(owner => Task.Run(async () =>
        {
            var writer = new DeadLetterWriter(path, "owner-" + owner, OwnerTag.Pipeline("owner-" + owner, null));
            for (int i = 0; i < 40; i++)
            {
                writer.Hold(Entry((owner * 1000) + i));
                await writer.CommitAsync(CancellationToken.None);
            }
        })));

        var pages = File.ReadAllLines(path).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("page").GetInt32()).Order();
        Assert.Equal(Enumerable.Range(0, 4).SelectMany(owner => Enumerable.Range(owner * 1000, 40)), pages);
    }

    /// <summary>
    /// What a crash in the middle of an append of <paramref name="prepared"/> leaves: its start noted in its temporary file (flushed to
    /// disk before the append writes anything) and the first <paramref name="written"/> bytes of its entries at the end of the file.
    /// </summary>
    private static async Task CrashInAppendAsync(PreparedDeadLetters prepared, string path, int written)
    {
        var batch = await File.ReadAllBytesAsync(prepared.TempPath);
        await File.AppendAllTextAsync(prepared.TempPath, StartLine(new FileInfo(path).Length));
        await using var file = new FileStream(path, FileMode.Append);
        file.Write(batch, 0, written);
    }

    /// <summary>The line an append adds to its batch's temporary file before it starts: where in the dead-letter file the batch goes.</summary>
    private static string StartLine(long start) => $"#at={start}\n";

    private static List<int> Pages(string path) => [.. File.ReadAllLines(path).Select(line => JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = PageParser.MaxDepth }).RootElement.GetProperty("page").GetInt32())];

    private static DeadLetterEntry Entry(int page) => new(
        DateTimeOffset.UnixEpoch, "rows", "DeadLetterRows", "HttpStatus", 503, page, "https://api.example.invalid/a/items", 1, "page", "boom", null, null, null, null);

    private static async Task<PipelineResult> RunAsync(FaultServer server, TempFolder temp, IStateStore store, string id = "rows", TimeSpan? flushInterval = null)
    {
        await using var output = Output(temp, flushInterval);
        return await new Pipeline<Shard, Row>(id, new DeadLetterRows(server.Options), output, Options(temp, store)).ExecuteAsync(new Shard("a")).Within();
    }

    private static PipelineOptions Options(TempFolder temp, IStateStore store) => new() { StateStore = store, DeadLetterPath = Path.Combine(temp.Path, "rows.dead-letter.jsonl") };

    /// <summary>Batches of 3 records; or, with <paramref name="flushInterval"/>, batches cut by that interval alone.</summary>
    private static JsonlOutput<Row> Output(TempFolder temp, TimeSpan? flushInterval = null) => new(ResilienceJson.Default.Row, new()
    {
        Directory = temp.Path,
        Name = "rows",
        Batching = flushInterval is { } interval ? new OutputBatchOptions { BatchSize = 1000, FlushInterval = interval } : new OutputBatchOptions { BatchSize = 3 },
    });

    private static List<JsonElement> Entries(TempFolder temp)
    {
        string file = Path.Combine(temp.Path, "rows.dead-letter.jsonl");
        return File.Exists(file) ? [.. File.ReadAllLines(file).Select(line => JsonDocument.Parse(line).RootElement)] : [];
    }
}
