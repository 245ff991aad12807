using System.Text.Json;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// A chain step's dead-letter entries are exactly once across a crash and resume: an entry travels with the page (or the input's end)
/// that moves its input past the failure and becomes durable in the commit that records that progress: the step's own commit for a
/// step before the last, the output's commit for the last. A commit that breaks before it is recorded leaves no entry that the resumed
/// run would write again; one recorded before its entries were appended has them appended on the next start, once.
/// </summary>
public sealed class ChainDeadLetterOnceTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData("page")]
    [InlineData("input")]
    public async Task An_entry_whose_output_commit_broke_before_it_was_recorded_is_written_once_after_resume(string skipped)
    {
        // Parent 3's second page always fails: skipped (the extractor goes on after it) or ending the input (the extractor stops there).
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        string scenario = "chain-dl-before-" + skipped;
        var api = new ChainApi(parents: 5, childPages: 3)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target == $"/{scenario}/parents/3/children?page=2" ? (503, """{"message":"down"}""") : null,
        };
        var input = Map(scenario, api.Handle);
        // The last step's only commit (its output's) records every parent's progress: it fails, as a crash before it would.
        var breaking = new FailingStore(store, op => op.Key?.StartsWith("s2.item.", StringComparison.Ordinal) == true, afterCommit: false);

        var failed = await RunAsync<SequentialChildren, Child>(temp, breaking, input, skipped, o => new SequentialChildren(o));

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Contains("disk full", failed.Error!.ToString(), StringComparison.Ordinal);
        Assert.Empty(Entries(temp));
        Assert.Empty(ChainAssert.Jsonl(OutputDirectory(temp)));

        var resumed = await RunAsync<SequentialChildren, Child>(temp, store, input, skipped, o => new SequentialChildren(o));

        Assert.True(resumed.Resumed);
        Assert.True(resumed.Status == PipelineStatus.PartialSuccess, ChainAssert.Describe(resumed));
        var entry = Assert.Single(Entries(temp));
        Assert.Equal(skipped, entry.GetProperty("skipped").GetString());
        Assert.Equal(2, entry.GetProperty("page").GetInt32());
        Assert.Contains("/parents/3/children?page=2", entry.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Equal(DeadLetterPath(temp), resumed.DeadLetterFile);
        var expected = api.AllChildren().Where(c => c.ParentId != 3 || c.Page == 1 || (skipped == "page" && c.Page == 3));
        ChainAssert.ExactlyOnce(expected, ChainAssert.Jsonl(OutputDirectory(temp)));
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task An_entry_recorded_with_its_progress_but_not_appended_is_appended_once_on_the_next_start()
    {
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        const string scenario = "chain-dl-after";
        var api = new ChainApi(parents: 5, childPages: 3)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target == $"/{scenario}/parents/3/children?page=2" ? (503, """{"message":"down"}""") : null,
        };
        var input = Map(scenario, api.Handle);
        // The output's commit is recorded, then the process "dies" before the entries are appended (or the batch renamed).
        var breaking = new FailingStore(store, op => op.Key?.StartsWith("s2.item.", StringComparison.Ordinal) == true, afterCommit: true);
        using var appended = new DeadLetterMetric(scenario);

        var failed = await RunAsync<SequentialChildren, Child>(temp, breaking, input, "page", o => new SequentialChildren(o with { ChainId = scenario }));
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Empty(Entries(temp));
        Assert.Equal(0, appended.Count);

        var next = await RunAsync<SequentialChildren, Child>(temp, store, input, "page", o => new SequentialChildren(o with { ChainId = scenario }));

        // Counted when the next run's start appends it, once.
        Assert.Equal(1, appended.Count);

        Assert.True(next.Resumed);
        Assert.True(next.Status == PipelineStatus.Succeeded, ChainAssert.Describe(next));
        Assert.Equal(2, Assert.Single(Entries(temp)).GetProperty("page").GetInt32());
        Assert.Equal(DeadLetterPath(temp), next.DeadLetterFile); // appended at its start, from the failed run's record
        Assert.Equal(1, api.Calls($"/{scenario}/parents/3/children?page=2"));
        ChainAssert.ExactlyOnce(api.AllChildren().Where(c => c.ParentId != 3 || c.Page != 2), ChainAssert.Jsonl(OutputDirectory(temp)));
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("page")]
    [InlineData("input")]
    public async Task An_entry_of_a_middle_step_whose_commit_broke_before_it_was_recorded_is_written_once_after_resume(string skipped)
    {
        // Step 2 of 3 (children, 4 parents at once) fails on parent 3's second page; its own commit of the progress past that page (the
        // next page's checkpoint, or the input done) fails.
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        string scenario = "chain-dl-middle-" + skipped;
        var api = new ChainApi(parents: 6, childPages: 3)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target == $"/{scenario}/parents/3/children?page=2" ? (503, """{"message":"down"}""") : null,
        };
        var input = Map(scenario, api.Handle);
        string parent3 = ChainStateStore.ItemKey(2, 2);
        var breaking = new FailingStore(store, op => op.Key == parent3 && (op.Value == ChainStateStore.DoneMarker || op.Value?.Contains("page=3", StringComparison.Ordinal) == true), afterCommit: false);

        var failed = await RunAsync<ChildDetails, Detail>(temp, breaking, input, skipped, o => new ChildDetails(o));

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Contains("disk full", failed.Error!.ToString(), StringComparison.Ordinal);
        Assert.Empty(Entries(temp));

        var resumed = await RunAsync<ChildDetails, Detail>(temp, store, input, skipped, o => new ChildDetails(o));

        Assert.True(resumed.Resumed);
        Assert.True(resumed.Status == PipelineStatus.PartialSuccess, ChainAssert.Describe(resumed));
        var entry = Assert.Single(Entries(temp));
        Assert.Equal(skipped, entry.GetProperty("skipped").GetString());
        Assert.Equal($"{nameof(ChildDetails)}/Children", entry.GetProperty("pipeline").GetString());
        var details = Details(temp);
        var children = api.AllChildren().Where(c => c.ParentId != 3 || c.Page == 1 || (skipped == "page" && c.Page == 3)).ToList();
        Assert.Equal(children.Count, details.Count);
        Assert.Equal(children.Select(c => c.Id).Order(), details.Select(d => d.ChildId).Order());
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_misfit_record_of_a_middle_step_whose_commit_broke_before_it_was_recorded_is_written_once_after_resume()
    {
        // Step 2 of 3 reads parent 3's second page, whose first child has an id that is not a number: dead-lettered alone, it travels with
        // the page, and the step's commit of the progress past that page (the next page's checkpoint) fails.
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        const string scenario = "chain-dl-misfit";
        var api = new ChainApi(parents: 6, childPages: 3)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target == $"/{scenario}/parents/3/children?page=2"
                ? (200, """{"items":[{"id":"x3021","parent_id":3,"page":2},{"id":3022,"parent_id":3,"page":2}],"total_pages":3}""")
                : null,
        };
        var input = Map(scenario, api.Handle);
        string parent3 = ChainStateStore.ItemKey(2, 2);
        var breaking = new FailingStore(store, op => op.Key == parent3 && op.Value?.Contains("page=3", StringComparison.Ordinal) == true, afterCommit: false);

        var failed = await RunAsync<ChildDetails, Detail>(temp, breaking, input, "input", o => new ChildDetails(o));

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Contains("disk full", failed.Error!.ToString(), StringComparison.Ordinal);
        Assert.Empty(Entries(temp));

        var resumed = await RunAsync<ChildDetails, Detail>(temp, store, input, "input", o => new ChildDetails(o));

        Assert.True(resumed.Resumed);
        Assert.True(resumed.Status == PipelineStatus.PartialSuccess, ChainAssert.Describe(resumed));
        Assert.Equal(2, api.Calls($"/{scenario}/parents/3/children?page=2")); // read again: its progress was not recorded
        var entry = Assert.Single(Entries(temp));
        Assert.Equal(("record", 2), (entry.GetProperty("skipped").GetString(), entry.GetProperty("page").GetInt32()));
        Assert.Equal($"{nameof(ChildDetails)}/Children", entry.GetProperty("pipeline").GetString());
        Assert.Equal("""{"id":"x3021","parent_id":3,"page":2}""", entry.GetProperty("record").GetRawText());
        var children = api.AllChildren().Where(c => c.Id != 3021).ToList();
        var details = Details(temp);
        Assert.Equal(children.Count, details.Count);
        Assert.Equal(children.Select(c => c.Id).Order(), details.Select(d => d.ChildId).Order());
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_chain_that_ends_right_after_dead_lettered_inputs_writes_each_entry_once()
    {
        // Parents 2 and 5 (the last) fail: the output's last commit carries parent 5's entry.
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        const string scenario = "chain-dl-end";
        var api = new ChainApi(parents: 5, childPages: 2)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target.StartsWith($"/{scenario}/parents/2/", StringComparison.Ordinal) || target.StartsWith($"/{scenario}/parents/5/", StringComparison.Ordinal)
                ? (410, """{"message":"gone"}""")
                : null,
        };
        var input = Map(scenario, api.Handle);

        var result = await RunAsync<SequentialChildren, Child>(temp, store, input, "input", o => new SequentialChildren(o));

        Assert.True(result.Status == PipelineStatus.PartialSuccess, ChainAssert.Describe(result));
        Assert.Equal(DeadLetterPath(temp), result.DeadLetterFile);
        var entries = Entries(temp);
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal((410, "input"), (e.GetProperty("status").GetInt32(), e.GetProperty("skipped").GetString())));
        Assert.Contains("/parents/2/children", entries[0].GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.Contains("/parents/5/children", entries[1].GetProperty("url").GetString(), StringComparison.Ordinal);
        ChainAssert.ExactlyOnce(api.AllChildren().Where(c => c.ParentId is not 2 and not 5), ChainAssert.Jsonl(OutputDirectory(temp)));
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
        Assert.Equal("run", Assert.Single(await store.GetScopeAsync(ChainStateStore.ScopeOf(nameof(SequentialChildren)))).Key);
    }

    [Fact]
    public async Task The_run_summary_counts_every_failure_and_dead_lettered_entry_beyond_the_listed_hundred()
    {
        // Every one of 120 parents' children fails: ChainResult.Failures lists the first 100, the counts hold all 120.
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        const string scenario = "chain-dl-many";
        var api = new ChainApi(parents: 120, childPages: 1)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target.Contains("/children", StringComparison.Ordinal) ? (410, """{"message":"gone"}""") : null,
        };
        var input = Map(scenario, api.Handle);

        var result = await RunAsync<SequentialChildren, Child>(temp, store, input, "input", o => new SequentialChildren(o));

        Assert.True(result.Status == PipelineStatus.PartialSuccess, ChainAssert.Describe(result));
        Assert.Equal(ChainResult.MaxFailures, result.Failures.Count);
        Assert.Equal((120L, 120L), (result.Steps[1].Failures, result.Steps[1].DeadLettered));
        Assert.Equal(120, Entries(temp).Count);
        var summary = RunSummary.From(result);
        Assert.Equal((120L, 120L), (summary.Failures, summary.DeadLettered));
        Assert.Contains("120 dead-lettered", summary.ToText(), StringComparison.Ordinal);
    }

    /// <summary>
    /// One run of a chain into a JSONL output under the temporary folder, dead-lettering every step; with <paramref name="skipped"/>
    /// <c>page</c> the extractors skip a failed page and go on, with <c>input</c> a failed page ends its input.
    /// </summary>
    private async Task<ChainResult> RunAsync<TChain, TOut>(TempDirectory temp, IStateStore store, Scenario input, string skipped, Func<ChainOptions, TChain> create)
        where TChain : IChain<Scenario, TOut>
    {
        var resilience = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 }, OnError = skipped == "page" ? ErrorMode.DeadLetter : ErrorMode.FailFast };
        var options = new ChainOptions
        {
            Extractor = At with { Resilience = resilience },
            StateStore = store,
            OnError = ErrorMode.DeadLetter,
            DeadLetterPath = DeadLetterPath(temp),
        };
        var typeInfo = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<TOut>)ChainJson.Default.GetTypeInfo(typeof(TOut))!;
        await using var output = new JsonlOutput<TOut>(typeInfo, new JsonlOutputOptions<TOut> { Directory = OutputDirectory(temp), Name = "out", Batching = new() { BatchSize = 250 } });
        return await create(options).ExecuteAsync(input, output).WithDeadline(30);
    }

    private static string DeadLetterPath(TempDirectory temp) => Path.Combine(temp.Path, "chain.dead-letter.jsonl");

    private static string OutputDirectory(TempDirectory temp) => Path.Combine(temp.Path, "out");

    private static List<JsonElement> Entries(TempDirectory temp)
        => File.Exists(DeadLetterPath(temp)) ? [.. File.ReadAllLines(DeadLetterPath(temp)).Select(line => JsonDocument.Parse(line).RootElement)] : [];

    private static List<Detail> Details(TempDirectory temp)
        => [.. Directory.EnumerateFiles(OutputDirectory(temp), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadAllLines)
            .Select(line => JsonSerializer.Deserialize(line, ChainJson.Default.Detail)!)];
}
