using ApiPipeline.Generated;

namespace ApiPipeline.Tests.Chaining;

public sealed class ReviewProbe3Tests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData("ChildrenByIds", "step: parents", "parents.fields.id")]
    [InlineData("ChildrenByIds", "output_mapping: { fields.id: parent_key }", "parent_key")]
    [InlineData("ChildrenByIdList", "step: parents", "parents.fields.id")]
    [InlineData("ChildrenByIdList", "output_mapping: { fields.id: parent_key }", "parent_key")]
    public async Task R1_batched_from_passthrough(string cls, string parentStep, string ids)
    {
        var api = new ChainApi(parents: 70);
        var input = Map("rv-r1-" + cls + ids.Replace('.', '-'), api.Handle);
        var loaded = ChainConfig.Parse(
            $$"""
            chain_id: rv_r1
            extractors:
              - extractor_class: RawParentItems
                {{parentStep}}
              - extractor_class: {{cls}}
                batch_size: 50
                input_mapping: { name: chain_input.name, ids: {{ids}} }
            """, "b.yaml", ApiPipelineRegistry.Instance);
        var output = new MemoryOutput<Child>();
        var result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(30);
        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal(Enumerable.Range(1, 70).Select(i => i * 1000L + 11), output.Committed.Select(c => c.Id).Order());
    }

    [Fact]
    public async Task R2_single_yaml_later_step_two_records()
    {
        var api = new ChainApi(parents: 2);
        var input = Map("rv-r2", api.Handle);
        var loaded = ChainConfig.Parse(
            """
            chain_id: rv_r2
            extractors:
              - extractor_class: ParentItems
                step: parents
              - extractor_class: ChildItems
                processing_mode: single
                input_mapping: { name: chain_input.name, parent_id: parents.id }
            """, "s.yaml", ApiPipelineRegistry.Instance);
        var output = new MemoryOutput<Child>();
        var result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(30);
        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Contains("step 'parents' produced more than one record", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task R3_skip_mode_yaml()
    {
        var api = new ChainApi(parents: 3, childPages: 1) { Fail = (t, _) => t.Contains("/parents/2/children", StringComparison.Ordinal) ? (404, """{"message":"gone"}""") : null };
        var input = Map("rv-r3", api.Handle);
        var loaded = ChainConfig.Parse(
            """
            chain_id: rv_r3
            extractors:
              - extractor_class: ParentItems
                output_mapping: { id: pid }
              - extractor_class: ChildItems
                on_error: skip
                input_mapping: { name: chain_input.name, parent_id: pid }
            """, "k.yaml", ApiPipelineRegistry.Instance);
        var output = new MemoryOutput<Child>();
        var result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(30);
        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal(1, result.Steps[1].Skipped);
        Assert.Empty(result.Failures);
        Assert.Equal(4, output.Committed.Count);
    }

    [Fact]
    public async Task R4_parallel_chains_yaml()
    {
        var api = new ChainApi(parents: 3, childPages: 1);
        var a = Map("rv-r4a", api.Handle);
        var b = Map("rv-r4b", api.Handle);
        var loaded = ChainConfig.Parse(
            """
            chain_id: rv_r4
            max_parallel_chains: 2
            extractors:
              - extractor_class: ParentItems
                output_mapping: { id: pid }
              - extractor_class: ChildItems
                processing_mode: parallel
                max_concurrency: 2
                input_mapping: { name: chain_input.name, parent_id: pid }
            """, "p.yaml", ApiPipelineRegistry.Instance);
        var outs = new Dictionary<int, MemoryOutput<Child>>();
        var results = await loaded.ExecuteParallelChainsAsync(new[] { a, b }, (s, i) => { var o = new MemoryOutput<Child>(); lock (outs) { outs[i] = o; } return (object)o; }, (s, _) => ((Scenario)s).Name, options: new ChainOptions { Extractor = At }).WithDeadline(30);
        Assert.All(results, r => Assert.True(r.Status == PipelineStatus.Succeeded, ChainAssert.Describe(r)));
        Assert.Equal(6, outs[0].Committed.Count);
        Assert.Equal(6, outs[1].Committed.Count);
        Assert.Equal("rv_r4/rv-r4a", results[0].ChainId);
    }
}
