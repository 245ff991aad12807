using ApiPipeline.Generated;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// YAML <c>input_mapping</c> from a step before the previous one (<c>parent_id: parents.id</c>, the file form of
/// <c>[Map(…, FromStep = …)]</c>): step 3 pairs each child of step 2 with the parent of step 1 it descends from, also when parallel steps
/// interleave and when a failed run resumes from the state store; unknown steps and members, unsafe conversions and steps behind or on
/// a batched step are errors at their line and column.
/// </summary>
public sealed class YamlLineageTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private const string DetailsYaml = """
        chain_id: yaml_details
        extractors:
          - extractor_class: ParentItems
            step: parents
          - extractor_class: ChildItems
            step: children
            processing_mode: parallel
            max_concurrency: 4
            input_mapping: { name: chain_input.name, parent_id: parents.id }
          - extractor_class: DetailItems
            processing_mode: parallel
            max_concurrency: 4
            input_mapping:
              name: chain_input.name
              child_id: children.id
              parent_id: parents.id
              parent_name: parents.name
        """;

    [Fact]
    public async Task Step_3_reads_the_step_1_record_each_step_2_record_descends_from()
    {
        var api = new ChainApi(parents: 150, childPages: 2) { ChildDelay = TimeSpan.FromMilliseconds(2) };
        var input = Map("yaml-lineage", api.Handle);
        var loaded = ChainConfig.Parse(DetailsYaml, "details.yaml", ApiPipelineRegistry.Instance);

        Assert.Equal([[], [], [1]], loaded.Definition.Steps.Select(s => s.Reads.ToArray()));
        var output = new MemoryOutput<Detail>();
        var result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(60);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal([1, 150, 600], result.Steps.Select(s => s.Inputs));
        AssertDetails(api, output.Committed);
    }

    [Fact]
    public async Task A_yaml_chain_that_failed_at_step_3_resumes_with_the_lineage_from_the_state_store()
    {
        using var temp = new TempDirectory();
        await using IStateStore store = await SqliteStateStore.OpenAsync(Path.Combine(temp.Path, ".state", "chains.db"));
        bool broken = true;
        var failing = ChainApi.PageOf(120, 1).First();
        var api = new ChainApi(parents: 200, childPages: 2)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => broken && target.StartsWith($"/yaml-lineage-resume/details?child_id={failing.Id}&", StringComparison.Ordinal) ? (500, """{"message":"down for a moment"}""") : null,
        };
        var input = Map("yaml-lineage-resume", api.Handle);
        var loaded = ChainConfig.Parse(DetailsYaml, "details.yaml", ApiPipelineRegistry.Instance);
        var options = new ChainOptions { Extractor = At with { Resilience = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 } } }, StateStore = store, ChannelCapacity = 2 };

        var output = new MemoryOutput<Detail>();
        var first = await loaded.ExecuteAsync(input, output, options: options).WithDeadline(60);
        Assert.Equal(PipelineStatus.Failed, first.Status);
        Assert.Equal("DetailItems", first.FailedStep);
        int parentRequests = api.ParentRequests;

        broken = false;
        var second = await loaded.ExecuteAsync(input, output, options: options).WithDeadline(60);

        Assert.True(second.Status == PipelineStatus.Succeeded, ChainAssert.Describe(second));
        Assert.True(second.Resumed);
        Assert.Equal(parentRequests, api.ParentRequests);
        Assert.True(second.Steps[1].InputsAlreadyDone > 0, $"step 2 finished {second.Steps[1].InputsAlreadyDone} inputs before");
        AssertDetails(api, output.Committed);
    }

    /// <summary>Each mistake: the text replaced in <see cref="DetailsYaml"/>, the line and column the error must point at, and its message.</summary>
    public static TheoryData<string, string, int, int, string> Mistakes() => new()
    {
        { "parent_id: parents.id\n", "parent_id: parentz.id\n", 16, 18, "step 3 'DetailItems': 'parentz.id' is not a state variable of step 'children' (its output_mapping defines: none), nor chain_input, chain_input.<member> or <step>.<member> of an earlier step (parents, children)" },
        { "parent_name: parents.name", "parent_name: parents.title", 17, 20, "step 3 'DetailItems': 'title' is not a member of the record Parent of step 'parents'; its members are: Id (long), Name (string)" },
        { "parent_id: parents.id\n", "parent_id: parents.name\n", 16, 18, "step 3 'DetailItems': 'parents.name' (string) cannot be mapped to 'ParentId' (long) of DetailQuery without a conversion that can lose data" },
        { "child_id: children.id", "child_id: DetailItems.id", 15, 17, "step 3 'DetailItems': 'DetailItems.id' reads this step itself" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Mapping_mistakes_name_the_file_line_and_column(string replace, string with, int line, int column, string message)
    {
        string yaml = DetailsYaml.Replace(replace, with, StringComparison.Ordinal);
        Assert.NotEqual(DetailsYaml, yaml);

        var error = Assert.Throws<ConfigException>(() => ChainConfig.Parse(yaml, "details.yaml", ApiPipelineRegistry.Instance));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void Records_do_not_reach_through_or_into_a_batched_step()
    {
        var through = Assert.Throws<ConfigException>(() => ChainConfig.Parse(
            """
            chain_id: through
            extractors:
              - extractor_class: ParentItems
                step: parents
                output_mapping: { id: parent_id }
              - extractor_class: ChildrenByIds
                batch_size: 10
                input_mapping: { name: chain_input.name, ids: parent_id }
              - extractor_class: DetailItems
                input_mapping: { name: chain_input.name, child_id: ChildrenByIds.id, parent_id: parents.id, parent_name: parents.name }
            """,
            "through.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Equal((10L, 85L), (through.Line, through.Column));
        Assert.Contains("the records of step 'parents' do not reach it through the batched step 'ChildrenByIds'", through.Message, StringComparison.Ordinal);

        var into = Assert.Throws<ConfigException>(() => ChainConfig.Parse(
            """
            chain_id: into
            extractors:
              - extractor_class: ParentItems
                step: parents
              - extractor_class: ChildItems
                input_mapping: { name: chain_input.name, parent_id: parents.id }
              - extractor_class: ChildrenByIds
                batch_size: 10
                input_mapping: { name: chain_input.name, ids: parents.id }
            """,
            "into.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Equal((9L, 51L), (into.Line, into.Column));
        Assert.Contains("step 3 'ChildrenByIds' is batched", into.Message, StringComparison.Ordinal);

        // The previous step by name is the parent record, so a batched step may read it that way.
        var batched = ChainConfig.Parse(
            "chain_id: ok\nextractors:\n  - extractor_class: ParentItems\n    step: parents\n  - extractor_class: ChildrenByIds\n    batch_size: 10\n    input_mapping: { name: chain_input.name, ids: parents.id }\n",
            "ok.yaml",
            ApiPipelineRegistry.Instance);
        Assert.Empty(batched.Definition.Steps[1].Reads);
    }

    private static void AssertDetails(ChainApi api, IReadOnlyList<Detail> details)
    {
        var expected = api.AllChildren().ToList();
        Assert.Equal(expected.Select(c => c.Id).Order(), details.Select(d => d.ChildId).Order());
        var byChild = expected.ToDictionary(c => c.Id);
        foreach (var detail in details)
        {
            long parent = byChild[detail.ChildId].ParentId;
            Assert.Equal((parent, $"parent-{parent}"), (detail.ParentId, detail.ParentName));
        }
    }
}
