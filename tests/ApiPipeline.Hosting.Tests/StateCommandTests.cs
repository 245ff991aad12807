using Xunit;

namespace ApiPipeline.Hosting.Tests;

public sealed class StateCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string StateFile => Path.Combine(_dir.Path, "state", "pipeline.db");

    private async Task SeedAsync()
    {
        var store = await SqliteStateStore.OpenAsync(StateFile);
        await using (store)
        {
            var journal = new PipelineJournal(store, "issues");
            var run = new PipelineRunState
            {
                RunId = 3,
                StartedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
                Records = 1234,
                Pages = 13,
                Partitions = new Dictionary<string, PartitionState> { ["/repos/o/r/issues"] = new() { Completed = true } },
            };
            await journal.SaveAsync(run, []);
            await journal.CompleteRunAsync(run, new Dictionary<string, WatermarkValue> { ["/repos/o/r/issues"] = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) }, []);

            // Another pipeline's state must survive a reset of this one.
            await new PipelineJournal(store, "events").CompleteRunAsync(new PipelineRunState { RunId = 1 }, new Dictionary<string, WatermarkValue> { [""] = DateTimeOffset.UnixEpoch }, []);
        }
    }

    [Fact]
    public async Task Show_prints_the_last_run_and_the_watermarks()
    {
        await SeedAsync();
        var (code, output, error) = await CliTests.Cli(null, "state", "show", "issues", "--state", StateFile);
        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains("run #3: completed", output, StringComparison.Ordinal);
        Assert.Contains("1,234 records", output, StringComparison.Ordinal);
        Assert.Contains("watermark /repos/o/r/issues: 2026-01-01T00:00:00", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_says_how_many_pages_are_remembered_for_conditional_requests_only_when_there_are_some()
    {
        await SeedAsync();
        var (code, output, error) = await CliTests.Cli(null, "state", "show", "issues", "--state", StateFile);
        Assert.True(code == ExitCodes.Success, error);
        Assert.DoesNotContain("conditional requests", output, StringComparison.Ordinal);

        var store = await SqliteStateStore.OpenAsync(StateFile);
        await using (store)
        {
            var journal = new PipelineJournal(store, "issues");
            var run = (await journal.LoadRunAsync())!;
            var pages = Enumerable.Range(1, 10).Select(n => KeyValuePair.Create($"key{n}", new StoredPage { Validator = $"\"p{n}\"", Partition = "/repos/o/r/issues", Run = run.RunId }));
            await journal.SaveAsync(run, [], pages, []);
        }

        (code, output, error) = await CliTests.Cli(null, "state", "show", "issues", "--state", StateFile);
        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains("  conditional requests: 10 pages remembered", output, StringComparison.Ordinal);
        Assert.Contains("run #3: completed", output, StringComparison.Ordinal);

        // Another pipeline's pages are not these.
        (code, output, error) = await CliTests.Cli(null, "state", "show", "events", "--state", StateFile);
        Assert.True(code == ExitCodes.Success, error);
        Assert.DoesNotContain("conditional requests", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_says_how_an_unfinished_backfill_resumes_and_which_input_it_gave_up_on()
    {
        var store = await SqliteStateStore.OpenAsync(StateFile);
        await using (store)
        {
            await new PipelineJournal(store, "issues").SaveAsync(new PipelineRunState
            {
                RunId = 4,
                From = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
                Until = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero),
                Partitions = new Dictionary<string, PartitionState> { ["/repos/o/a/issues"] = new() { DeadLettered = true }, ["/repos/o/b/issues"] = new() { Completed = true } },
                Parked = new SetAsideInputs(null, new Dictionary<string, PartitionState> { ["/repos/o/c/issues"] = new() { Next = new PageCheckpoint("https://api.example.com/repos/o/c/issues?page=3", 3, 20) } }),
            }, []);
        }

        var (code, output, error) = await CliTests.Cli(null, "state", "show", "issues", "--state", StateFile);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains("run #4: unfinished (a run with the same --from and --to resumes it)", output, StringComparison.Ordinal);
        Assert.Contains("backfill from 2026-01-01T00:00:00", output, StringComparison.Ordinal);
        Assert.Contains(" until 2026-02-01T00:00:00", output, StringComparison.Ordinal);
        Assert.Contains("partition /repos/o/a/issues: given up on (the rest is in the dead-letter file for replay)", output, StringComparison.Ordinal);
        Assert.Contains("partition /repos/o/b/issues: done", output, StringComparison.Ordinal);
        Assert.Contains("set aside for the next ordinary run: partition /repos/o/c/issues: next page 3 (https://api.example.com/repos/o/c/issues?page=3)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reset_forgets_one_pipeline_and_keeps_the_others()
    {
        await SeedAsync();
        var (code, output, _) = await CliTests.Cli(null, "state", "reset", "issues", "--state", StateFile);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("Reset 'issues'", output, StringComparison.Ordinal);

        // 'issues' is no registered extractor: with its state gone, the name names nothing any more.
        (code, _, var error) = await CliTests.Cli(null, "state", "show", "issues", "--state", StateFile);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains($"with state in {Path.GetFullPath(StateFile)}: events.", error, StringComparison.Ordinal);

        var store = await SqliteStateStore.OpenAsync(StateFile);
        await using (store)
        {
            Assert.Null(await new PipelineJournal(store, "issues").LoadRunAsync());
            Assert.NotNull(await new PipelineJournal(store, "events").LoadRunAsync());
            Assert.Single(await new PipelineJournal(store, "events").LoadWatermarksAsync());
        }
    }

    [Fact]
    public async Task Show_and_reset_take_an_extractors_class_name_as_run_does_and_use_the_id_its_state_is_stored_under()
    {
        // MeteredItems is registered as 'metered': run stores its state under that id, whichever name it was run by.
        var store = await SqliteStateStore.OpenAsync(StateFile);
        await using (store)
        {
            await new PipelineJournal(store, "metered").CompleteRunAsync(new PipelineRunState { RunId = 2, Records = 25 }, new Dictionary<string, WatermarkValue> { [""] = DateTimeOffset.UnixEpoch }, []);
            await new PipelineJournal(store, "events").CompleteRunAsync(new PipelineRunState { RunId = 1 }, new Dictionary<string, WatermarkValue> { [""] = DateTimeOffset.UnixEpoch }, []);
        }

        var (code, output, error) = await CliTests.Cli(null, "state", "show", "ApiPipeline.Hosting.Tests.MeteredItems", "--state", StateFile);
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Contains("State of 'metered'", output, StringComparison.Ordinal);
        Assert.Contains("run #2: completed", output, StringComparison.Ordinal);

        (code, output, error) = await CliTests.Cli(null, "state", "reset", "MeteredItems", "--state", StateFile, "--output", Path.Combine(_dir.Path, "out"));
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Contains("Reset 'metered'", output, StringComparison.Ordinal);

        store = await SqliteStateStore.OpenAsync(StateFile);
        await using (store)
        {
            Assert.Null(await new PipelineJournal(store, "metered").LoadRunAsync());
            Assert.NotNull(await new PipelineJournal(store, "events").LoadRunAsync());
        }
    }

    [Theory]
    [InlineData("show")]
    [InlineData("reset")]
    public async Task A_name_that_names_nothing_is_a_usage_error_listing_the_known_names_and_changes_nothing(string command)
    {
        await SeedAsync();
        var (code, output, error) = await CliTests.Cli(null, "state", command, "isues", "--state", StateFile, "--output", Path.Combine(_dir.Path, "out"));

        Assert.True(code == ExitCodes.UsageError, output + error);
        Assert.Contains("Nothing is called 'isues'", error, StringComparison.Ordinal);
        Assert.Contains("registered: ", error, StringComparison.Ordinal);
        Assert.Contains("Items", error, StringComparison.Ordinal);
        Assert.Contains($"with state in {Path.GetFullPath(StateFile)}: events, issues.", error, StringComparison.Ordinal);
        (code, output, _) = await CliTests.Cli(null, "state", "show", "issues", "--state", StateFile);
        Assert.Contains("run #3: completed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_that_names_nothing_without_a_state_file_is_a_usage_error_and_creates_nothing()
    {
        var (code, _, error) = await CliTests.Cli(null, "state", "reset", "NoSuchPipeline", "--state", StateFile, "--output", Path.Combine(_dir.Path, "out"));
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("with state in " + Path.GetFullPath(StateFile) + ": none.", error, StringComparison.Ordinal);
        Assert.False(File.Exists(StateFile));
    }

    [Fact]
    public async Task Reset_waits_while_a_run_of_the_pipeline_holds_its_turn_then_resets()
    {
        // A run of 'issues' (here or in another process) is going: it commits its journal and watermarks when it ends, so a reset
        // made meanwhile would be undone. The reset waits for the run's turn, as replay does.
        string output = Path.Combine(_dir.Path, "out");
        var store = await SqliteStateStore.OpenAsync(Path.Combine(output, ".state", "apipipeline.db"));
        await using (store)
        {
            await new PipelineJournal(store, "issues").CompleteRunAsync(new PipelineRunState { RunId = 1 }, new Dictionary<string, WatermarkValue> { [""] = DateTimeOffset.UnixEpoch }, []);
        }

        string lockFile = Path.Combine(output, ".issues.run.lock");
        var held = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var reset = CliTests.Cli(null, "state", "reset", "issues", "--output", output);
        await Task.Delay(300);
        bool finishedDuringRun = reset.IsCompleted;
        await held.DisposeAsync();
        var (code, text, error) = await reset.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(finishedDuringRun, "state reset went ahead while a run of the pipeline held its turn");
        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Contains("Reset 'issues'", text, StringComparison.Ordinal);
        Assert.Equal($"Waiting for another run of 'issues' to finish (lock: {lockFile}).", error.Trim());
    }

    [Fact]
    public async Task Reset_cancelled_while_it_waits_for_the_pipelines_turn_says_so_exits_1_and_keeps_the_state()
    {
        await SeedAsync();
        string output = Path.Combine(_dir.Path, "out");
        Directory.CreateDirectory(output);
        string lockFile = Path.Combine(output, ".issues.run.lock");
        await using var held = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var (code, text, error) = await CliTests.Cli(null, cts.Token, "state", "reset", "issues", "--state", StateFile, "--output", output);

        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Equal([$"Waiting for another run of 'issues' to finish (lock: {lockFile}).", "Cancelled."], error.Trim().Split(Environment.NewLine));
        (code, text, _) = await CliTests.Cli(null, "state", "show", "issues", "--state", StateFile);
        Assert.Contains("run #3: completed", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_without_a_state_file_says_so_and_creates_nothing()
    {
        var (code, output, _) = await CliTests.Cli(null, "state", "show", "Items", "--state", StateFile);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("No state file", output, StringComparison.Ordinal);
        Assert.False(File.Exists(StateFile));
    }

    [Theory]
    [InlineData("show", "this is not sqlite, not even close; it is long enough to have a header though........")]
    [InlineData("show", "x")] // shorter than SQLite's header: SQLite itself would have made it a database
    [InlineData("reset", "notes")]
    public async Task A_file_that_is_not_a_state_database_is_refused_and_left_as_it_is(string command, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StateFile)!);
        await File.WriteAllTextAsync(StateFile, text);
        var (code, _, error) = await CliTests.Cli(null, "state", command, "issues", "--state", StateFile);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains(Path.GetFullPath(StateFile), error, StringComparison.Ordinal);
        Assert.Contains("is not a state database", error, StringComparison.Ordinal);
        Assert.Equal(text, await File.ReadAllTextAsync(StateFile));
        Assert.Equal([StateFile], Directory.GetFiles(Path.GetDirectoryName(StateFile)!));
    }

    [Fact]
    public async Task An_empty_file_is_no_state_and_stays_empty()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StateFile)!);
        await File.WriteAllTextAsync(StateFile, "");
        var (code, output, _) = await CliTests.Cli(null, "state", "reset", "Items", "--state", StateFile);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("No state file", output, StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(StateFile).Length);
    }

    [Fact]
    public async Task An_output_folder_that_is_a_file_is_an_error_message_not_a_stack_trace()
    {
        string file = Path.Combine(_dir.Path, "taken");
        await File.WriteAllTextAsync(file, "a file");
        var (code, _, error) = await CliTests.Cli(null, "run", "Items", "--output", file, "--base-url", "http://127.0.0.1:9");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.NotEmpty(error);
    }

    /// <summary>
    /// An input split into time windows is shown by its windows (its own entry only holds its range): done when all are, otherwise how
    /// many are; never "not started" after a run that finished every window.
    /// </summary>
    [Theory]
    [InlineData(true, "done (2 time windows), since 2026-04-01T00:00:00.0000000+00:00")]
    [InlineData(false, "1 of 2 time windows done, since 2026-04-01T00:00:00.0000000+00:00")]
    public async Task Show_describes_a_windowed_input_by_its_windows(bool secondDone, string expected)
    {
        var d0 = new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
        const string input = "/search";
        var w1 = new TimeWindow(d0, d0.AddDays(1));
        var w2 = new TimeWindow(d0.AddDays(1), d0.AddDays(2));
        var store = await SqliteStateStore.OpenAsync(StateFile);
        await using (store)
        {
            var run = new PipelineRunState
            {
                RunId = 1,
                StartedAt = d0.AddDays(2),
                Partitions = new Dictionary<string, PartitionState>
                {
                    [input] = new() { Since = d0, Until = d0.AddDays(2) },
                    [input + " @ " + w1] = new() { Since = w1.Start, Until = w1.End, WindowOf = input, Completed = true },
                    [input + " @ " + w2] = new() { Since = w2.Start, Until = w2.End, WindowOf = input, Completed = secondDone },
                },
            };
            await new PipelineJournal(store, "search").SaveAsync(run, []);
        }

        var (code, output, error) = await CliTests.Cli(null, "state", "show", "search", "--state", StateFile);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains($"partition {input}: {expected}", output, StringComparison.Ordinal);
    }
}
