namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// Mappings from a step before the previous one (<c>[Map(…, FromStep = nameof(Parents))]</c>): step 3 of <see cref="ChildDetails"/> takes the
/// child from step 2 and the parent from step 1. With parallel steps, records of different parents interleave, so each detail proves its
/// input paired the child with its own parent; a chain that failed at step 3 resumes with the lineage restored from the state store.
/// </summary>
public sealed class ChainLineageTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Step_3_reads_the_step_1_record_each_step_2_record_descends_from()
    {
        var api = new ChainApi(parents: 150, childPages: 2) { ChildDelay = TimeSpan.FromMilliseconds(2) };
        var input = Map("lineage", api.Handle);
        var output = new MemoryOutput<Detail>();

        var result = await new ChildDetails(new ChainOptions { Extractor = At }).ExecuteAsync(input, output).WithDeadline(60);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        AssertDetails(api, output.Committed);
        Assert.Equal(api.AllChildren().Count(), api.DetailRequests);
        Assert.Equal([1, 150, 600], result.Steps.Select(s => s.Inputs));
        Assert.Equal([1], ChildDetails.Definition.Steps[2].Reads);
        Assert.Empty(ChildDetails.Definition.Steps[1].Reads);
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task A_chain_that_failed_at_step_3_resumes_with_the_lineage_of_stored_step_2_pages(string kind)
    {
        using var temp = new TempDirectory();
        await using IStateStore store = kind == "sqlite" ? await SqliteStateStore.OpenAsync(Path.Combine(temp.Path, ".state", "chains.db")) : new InMemoryStateStore();
        string scenario = "lineage-resume-" + kind;
        bool broken = true;
        var failing = ChainApi.PageOf(120, 1).First();
        var api = new ChainApi(parents: 200, childPages: 2)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => broken && target.StartsWith($"/{scenario}/details?child_id={failing.Id}&", StringComparison.Ordinal) ? (500, """{"message":"down for a moment"}""") : null,
        };
        var input = Map(scenario, api.Handle);
        var options = new ChainOptions { Extractor = At with { Resilience = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 } } }, StateStore = store, ChannelCapacity = 2 };
        string outDir = Path.Combine(temp.Path, "out");

        ChainResult first;
        await using (var output = Jsonl(outDir))
        {
            first = await new ChildDetails(options).ExecuteAsync(input, output).WithDeadline(60);
        }

        Assert.Equal(PipelineStatus.Failed, first.Status);
        Assert.Equal("Details", first.FailedStep);
        int parentRequests = api.ParentRequests;
        int childRequests = api.ChildRequests;

        broken = false;
        ChainResult second;
        await using (var output = Jsonl(outDir))
        {
            second = await new ChildDetails(options).ExecuteAsync(input, output).WithDeadline(60);
        }

        Assert.True(second.Status == PipelineStatus.Succeeded, ChainAssert.Describe(second));
        Assert.True(second.Resumed);
        Assert.Equal(parentRequests, api.ParentRequests);

        // Step 2's records of the first run came back from the store with their parents; its finished inputs were not requested again.
        Assert.True(second.Steps[1].InputsAlreadyDone > 0, $"step 2 finished {second.Steps[1].InputsAlreadyDone} inputs before");
        Assert.True(api.ChildRequests - childRequests <= (200 - second.Steps[1].InputsAlreadyDone) * 2);
        AssertDetails(api, Read(outDir));
        Assert.Equal(api.AllChildren().Count(), first.Records + second.Records);
    }

    /// <summary>Every child has exactly one detail, and it names the child's own parent.</summary>
    private static void AssertDetails(ChainApi api, IReadOnlyList<Detail> details)
    {
        var expected = api.AllChildren().ToList();
        Assert.Equal(expected.Count, details.Count);
        Assert.Equal(expected.Select(c => c.Id).Order(), details.Select(d => d.ChildId).Order());
        var byChild = expected.ToDictionary(c => c.Id);
        foreach (var detail in details)
        {
            long parent = byChild[detail.ChildId].ParentId;
            Assert.Equal((parent, $"parent-{parent}"), (detail.ParentId, detail.ParentName));
        }
    }

    private static JsonlOutput<Detail> Jsonl(string directory)
        => new(ChainJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = directory, Name = "details", Batching = new() { BatchSize = 50 } });

    private static List<Detail> Read(string directory)
        => [.. Directory.EnumerateFiles(directory, "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadAllLines)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, ChainJson.Default.Detail)!)];
}
