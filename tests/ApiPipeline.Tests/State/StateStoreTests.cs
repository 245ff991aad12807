namespace ApiPipeline.Tests;

public sealed class StateStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Kinds => ["memory", "sqlite"];

    private async Task<IStateStore> OpenAsync(string kind)
        => kind == "memory" ? new InMemoryStateStore() : await SqliteStateStore.OpenAsync(Path.Combine(_dir.Path, "state", "test.db"));

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_commit_applies_every_operation_and_reads_see_it(string kind)
    {
        await using var store = await OpenAsync(kind);
        await store.CommitAsync(new StateChange().Put("pipeline:a", "run", "1").Put("pipeline:a", "cursor", "x").Put("pipeline:b", "run", "2"));
        await store.CommitAsync(new StateChange().Put("pipeline:a", "run", "3").Delete("pipeline:a", "cursor"));

        Assert.Equal("3", await store.GetAsync("pipeline:a", "run"));
        Assert.Null(await store.GetAsync("pipeline:a", "cursor"));
        Assert.Equal([new("run", "3")], await store.GetScopeAsync("pipeline:a"));
        Assert.Equal(["pipeline:a", "pipeline:b"], await store.GetScopesAsync("pipeline:"));

        await store.CommitAsync(new StateChange().DeleteScope("pipeline:b"));
        Assert.Equal(["pipeline:a"], await store.GetScopesAsync());
    }

    [Fact]
    public async Task Sqlite_state_survives_reopening()
    {
        string path = Path.Combine(_dir.Path, "state.db");
        await using (var store = await SqliteStateStore.OpenAsync(path))
        {
            await store.CommitAsync(new StateChange().Put("watermark:p", "repo", "2026-01-01T00:00:00Z"));
        }

        await using var reopened = await SqliteStateStore.OpenAsync(path);
        Assert.Equal("2026-01-01T00:00:00Z", await reopened.GetAsync("watermark:p", "repo"));
    }

    [Fact]
    public async Task A_failed_commit_leaves_nothing_half_applied()
    {
        await using var store = await SqliteStateStore.OpenAsync(Path.Combine(_dir.Path, "atomic.db"));
        await store.CommitAsync(new StateChange().Put("s", "a", "1"));
        var bad = new StateChange().Put("s", "a", "2").Put("s", "b", null!);

        await Assert.ThrowsAnyAsync<Exception>(async () => await store.CommitAsync(bad));

        Assert.Equal("1", await store.GetAsync("s", "a"));
        Assert.Null(await store.GetAsync("s", "b"));
    }

    [Fact]
    public async Task A_corrupt_state_file_fails_loudly_with_its_path()
    {
        string path = Path.Combine(_dir.Path, "corrupt.db");
        await File.WriteAllTextAsync(path, "this is not a SQLite database, it is a text file that happens to sit where the state should be");

        var error = await Assert.ThrowsAsync<StateStoreException>(() => SqliteStateStore.OpenAsync(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("start over", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_given_as_the_state_file_is_refused_with_an_example_path()
    {
        var error = await Assert.ThrowsAsync<StateStoreException>(() => SqliteStateStore.OpenAsync(_dir.Path));

        Assert.Contains($"'{_dir.Path}' is a folder; give the path of the state file (e.g. '{Path.Combine(_dir.Path, "state.db")}')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Journal_round_trips_run_state_watermarks_and_seen_keys()
    {
        await using var store = new InMemoryStateStore();
        var journal = new PipelineJournal(store, "issues");
        Assert.Null(await journal.LoadRunAsync());

        var mark = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        var run = new PipelineRunState
        {
            RunId = 7,
            StartedAt = mark,
            Records = 200,
            Partitions = new Dictionary<string, PartitionState>
            {
                ["/repos/a/b/issues"] = new() { Next = new PageCheckpoint("http://h/repos/a/b/issues?page=3", 3, 200), Since = mark.AddDays(-1), MaxMark = mark },
            },
            LastCommit = new PreparedCommit([new PreparedFile("/o/.part-00001.jsonl.tmp", "/o/part-00001.jsonl")], 200, 9000),
        };
        await journal.SaveAsync(run, [new(PipelineJournal.SeenKey("/repos/a/b/issues", "42"), mark)]);

        var loaded = await journal.LoadRunAsync();
        Assert.NotNull(loaded);
        Assert.Equal(7, loaded.RunId);
        Assert.Equal(run.Partitions["/repos/a/b/issues"], loaded.Partitions["/repos/a/b/issues"]);
        Assert.Equal(run.LastCommit.Files, loaded.LastCommit!.Files);
        Assert.Equal(mark, (await journal.LoadSeenAsync())[PipelineJournal.SeenKey("/repos/a/b/issues", "42")]);

        await journal.CompleteRunAsync(loaded, new Dictionary<string, WatermarkValue> { ["/repos/a/b/issues"] = mark }, [PipelineJournal.SeenKey("/repos/a/b/issues", "42")]);
        Assert.True((await journal.LoadRunAsync())!.Completed);
        Assert.Equal(mark, (await journal.LoadWatermarksAsync())["/repos/a/b/issues"]);
        Assert.Empty(await journal.LoadSeenAsync());

        await journal.ResetAsync();
        Assert.Null(await journal.LoadRunAsync());
        Assert.Empty(await journal.LoadWatermarksAsync());
    }

    [Fact]
    public async Task Numeric_watermarks_are_stored_with_their_kind_and_read_back_as_numbers()
    {
        await using var store = new InMemoryStateStore();
        var journal = new PipelineJournal(store, "events");
        var run = new PipelineRunState
        {
            RunId = 1,
            Until = 5000L,
            Partitions = new Dictionary<string, PartitionState> { ["/events"] = new() { Since = 900L, MaxMark = 1042L } },
        };
        await journal.SaveAsync(run, [new(PipelineJournal.SeenKey("/events", "e-7"), 1040L)]);
        await journal.CompleteRunAsync(run, new Dictionary<string, WatermarkValue> { ["/events"] = 1042L }, []);

        Assert.Equal("n:1042", await store.GetAsync("watermark:events", "/events"));
        var mark = (await journal.LoadWatermarksAsync())["/events"];
        Assert.Equal(WatermarkKind.Number, mark.Kind);
        Assert.Equal(1042, mark.Number);
        Assert.Equal(WatermarkValue.FromNumber(1040), (await journal.LoadSeenAsync())[PipelineJournal.SeenKey("/events", "e-7")]);
        var loaded = (await journal.LoadRunAsync())!;
        Assert.Equal(WatermarkValue.FromNumber(5000), loaded.Until);
        Assert.Equal(run.Partitions["/events"], loaded.Partitions["/events"]);
    }

    [Fact]
    public async Task An_unreadable_run_state_names_the_pipeline_and_the_store()
    {
        await using var store = new InMemoryStateStore();
        await store.CommitAsync(new StateChange().Put("pipeline:issues", "run", "{not json"));

        var error = await Assert.ThrowsAsync<StateStoreException>(() => new PipelineJournal(store, "issues").LoadRunAsync());

        Assert.Contains("'issues'", error.Message, StringComparison.Ordinal);
        Assert.Contains("memory", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Another application's SQLite file (a typo in --state) is not a state file: opening it fails with a StateStoreException naming
    /// the file and the table found, and the file is left as it was (no tables added, journal mode unchanged).
    /// </summary>
    [Fact]
    public async Task Another_applications_SQLite_file_is_refused_and_left_untouched()
    {
        string path = Path.Combine(_dir.Path, "app.db");
        string connectionText = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionText))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('alice');";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<StateStoreException>(async () => await (await SqliteStateStore.OpenAsync(path)).DisposeAsync());

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("table 'customers'", error.Message, StringComparison.Ordinal);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionText))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'; ";
            Assert.Equal("customers", await command.ExecuteScalarAsync());
            command.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("delete", await command.ExecuteScalarAsync());
        }
    }
}
