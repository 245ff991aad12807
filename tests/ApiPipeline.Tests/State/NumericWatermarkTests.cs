using System.Text.Json;

namespace ApiPipeline.Tests;

/// <summary>Watermarks on a growing number (ids, sequence numbers), and late records routed to the dead-letter file.</summary>
public sealed class NumericWatermarkTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (LedgerTable Table, Scenario Input) Table(string name)
    {
        var table = new LedgerTable();
        Api.Map("/" + name + "/ledger", table.Serve);
        return (table, new Scenario(name));
    }

    private async Task<PipelineResult> RunAsync(Scenario input, IStateStore store, PipelineOptions? options = null)
    {
        await using var output = new JsonlOutput<LedgerEntry>(LedgerJson.Default.LedgerEntry, new() { Directory = _dir.Path, Name = "ledger", Batching = new OutputBatchOptions { BatchSize = 10 } });
        return await new Pipeline<Scenario, LedgerEntry>("ledger", new Ledger(new ExtractorOptions { BaseUrl = Api.BaseUrl }), output, (options ?? new PipelineOptions()) with { StateStore = store }).ExecuteAsync(input);
    }

    private List<LedgerEntry> Written()
        => [.. Directory.EnumerateFiles(Path.Combine(_dir.Path, "ledger"), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => JsonSerializer.Deserialize(line, LedgerJson.Default.LedgerEntry)!)];

    [Fact]
    public async Task A_second_run_starts_from_the_stored_number_minus_the_lag_and_writes_only_new_entries()
    {
        var (table, input) = Table("num-basic");
        table.Add(101, 125);
        string stateFile = Path.Combine(_dir.Path, "state.db");

        PipelineResult first;
        await using (var store = await SqliteStateStore.OpenAsync(stateFile))
        {
            first = await RunAsync(input, store);
        }

        Assert.Equal(PipelineStatus.Succeeded, first.Status);
        Assert.Equal(25, first.Records);
        Assert.Equal(WatermarkValue.FromNumber(125), first.Watermark);
        Assert.DoesNotContain(Api.RequestsTo("/num-basic/"), r => r.Q("after_id") is not null);

        table.Add(126, 132);
        table.AddLate("e-late", 123);
        int before = Api.RequestsTo("/num-basic/").Count;
        await using (var store = await SqliteStateStore.OpenAsync(stateFile))
        {
            Assert.Equal("n:125", await store.GetAsync("watermark:ledger", "/num-basic/ledger"));
            var second = await RunAsync(input, store);

            Assert.Equal(PipelineStatus.Succeeded, second.Status);
            Assert.Equal(8, second.Records); // 126..132 and the late e-late (Late = Include)
            Assert.Equal(4, second.Duplicates); // 122..125 read again through the lag of 3, dropped by key
            Assert.Equal(1, second.LateRecords); // 123 < 125 - 0 (a number's default allowed lateness), not written before
            Assert.Equal(WatermarkValue.FromNumber(132), second.Watermark);
            Assert.Equal("n:132", await store.GetAsync("watermark:ledger", "/num-basic/ledger"));
        }

        Assert.All(Api.RequestsTo("/num-basic/").Skip(before), r => Assert.Equal("122", r.Q("after_id")));
        Assert.Equal(Enumerable.Range(101, 32).Select(i => $"e-{i}").Append("e-late").Order(StringComparer.Ordinal), Written().Select(e => e.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_backfill_takes_a_numeric_range_and_a_timestamp_range_is_refused()
    {
        var (table, input) = Table("num-backfill");
        table.Add(1, 40);
        await using var store = new InMemoryStateStore();

        var backfill = await RunAsync(input, store, new PipelineOptions { From = 10L, Until = 20L });

        Assert.Equal(PipelineStatus.Succeeded, backfill.Status);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => (long)i), Written().Select(e => e.Sequence).Order());
        var request = Api.RequestsTo("/num-backfill/")[0];
        Assert.Equal("10", request.Q("after_id"));
        Assert.Equal("20", request.Q("before_id"));

        var wrongKind = await Assert.ThrowsAsync<ArgumentException>(() => RunAsync(input, store, new PipelineOptions { From = DateTimeOffset.UnixEpoch }));
        Assert.Contains("'Sequence' is a Number", wrongKind.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_watermark_of_the_other_kind_fails_loudly()
    {
        var (_, input) = Table("num-kind");
        await using var store = new InMemoryStateStore();
        await new PipelineJournal(store, "ledger").CompleteRunAsync(new PipelineRunState { RunId = 1 }, new Dictionary<string, WatermarkValue> { ["/num-kind/ledger"] = DateTimeOffset.UnixEpoch }, []);

        var error = await Assert.ThrowsAsync<StateStoreException>(() => RunAsync(input, store));

        Assert.Contains("/num-kind/ledger", error.Message, StringComparison.Ordinal);
        Assert.Contains("reset", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Late_records_go_to_the_dead_letter_file_with_the_batch_that_covers_their_page()
    {
        var table = new ChangeTable();
        Api.Map("/late-dl/changes", table.Serve);
        var input = new Scenario("late-dl");
        table.Add(20, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        var extractor = new DeadLetteredLateChanges(new ExtractorOptions { BaseUrl = Api.BaseUrl });
        string deadLetter = Path.Combine(_dir.Path, "changes.dead-letter.jsonl");
        // At each prepare: the entries in the dead-letter file, and those made durable for the batch but not yet appended to it; and
        // the dead-lettered records the pipeline's live status shows then.
        var linesAtCommit = new List<(int InFile, int Prepared)>();
        var deadLetteredAtCommit = new List<long>();

        async Task<PipelineResult> Run()
        {
            await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes", Batching = new OutputBatchOptions { BatchSize = 10 } });
            Pipeline<Scenario, Change>? pipeline = null;
            var observed = new ObserveCommits<Change>(output, () =>
            {
                linesAtCommit.Add((
                    File.Exists(deadLetter) ? File.ReadAllLines(deadLetter).Length : 0,
                    Directory.EnumerateFiles(_dir.Path, "changes.dead-letter.jsonl.*.tmp").Sum(f => File.ReadAllLines(f).Length)));
                deadLetteredAtCommit.Add(pipeline!.GetStatus().DeadLettered);
            });
            pipeline = new Pipeline<Scenario, Change>("late-dl", extractor, observed, new PipelineOptions { StateStore = store, DeadLetterPath = deadLetter });
            return await pipeline.ExecuteAsync(input);
        }

        var first = await Run();
        Assert.Equal(20, first.Records);
        Assert.False(File.Exists(deadLetter));
        linesAtCommit.Clear();
        deadLetteredAtCommit.Clear();

        // Two records show up late: inside the 5-minute lag window, but older than the watermark (minute 19) minus 2 minutes.
        table.Add(2, TimeSpan.FromSeconds(1), ChangeTable.T0.AddMinutes(15).AddSeconds(30));
        using var appended = new DeadLetterMetric("late-dl");
        var second = await Run();

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(2, second.LateRecords);
        Assert.Equal(2, second.DeadLettered);
        Assert.Equal(0, second.Records);
        Assert.Equal(deadLetter, second.DeadLetterFile);
        Assert.Equal(2, appended.Count); // once each, when appended to the file
        Assert.Equal((0, 2), linesAtCommit[0]); // on disk (not yet in the file) when the first batch of the run (the page that held them) was prepared
        Assert.Equal(2, deadLetteredAtCommit[0]); // and counted in the live status as soon as their page ended, not only at the end
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "*.tmp"));
        var entries = File.ReadAllLines(deadLetter).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal([21L, 22L], entries.Select(e => e.GetProperty("record").GetProperty("id").GetInt64()));
        Assert.All(entries, e =>
        {
            Assert.Equal("LateRecord", e.GetProperty("kind").GetString());
            Assert.Equal("record", e.GetProperty("skipped").GetString());
            Assert.Equal("/late-dl/changes", e.GetProperty("partition").GetString());
            Assert.Equal("2026-04-01T00:19:00.0000000+00:00", e.GetProperty("storedWatermark").GetString());
            Assert.Contains("late record", e.GetProperty("error").GetString(), StringComparison.Ordinal);
        });
        Assert.Equal("2026-04-01T00:15:30.0000000+00:00", entries[0].GetProperty("watermark").GetString());
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines), line => line.Contains("\"id\":21,", StringComparison.Ordinal));
    }

    /// <summary>Calls <paramref name="onPrepare"/> each time a batch is prepared, then passes everything to the inner output.</summary>
    private sealed class ObserveCommits<T>(IOutput<T> inner, Action onPrepare) : ForwardingOutput<T>(inner)
    {
        public override ValueTask<PreparedCommit> PrepareCommitAsync(CancellationToken cancellationToken = default)
        {
            onPrepare();
            return base.PrepareCommitAsync(cancellationToken);
        }
    }
}
