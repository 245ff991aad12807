using ApiPipeline.Generated;

namespace ApiPipeline.Tests.Chaining;

/// <summary>What a loaded chain says when it is given an input or output of the wrong type.</summary>
public sealed class YamlChainOutputTypeTests
{
    /// <summary>
    /// A chain file whose last step is passthrough (<c>RawRecord&lt;ParentKeys&gt;</c>), run with an output of the typed records a new user
    /// expects: the message names the record type as C# writes it, not the CLR's <c>RawRecord`1</c>.
    /// </summary>
    [Fact]
    public async Task An_output_of_the_wrong_record_type_is_refused_naming_the_passthrough_record_type()
    {
        var loaded = ChainConfig.Parse("chain_id: raw_parents\nextractors:\n  - extractor_class: RawParentItems\n", "raw.yaml", ApiPipelineRegistry.Instance);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => loaded.ExecuteAsync(new Scenario("x"), new MemoryOutput<Parent>()));

        Assert.DoesNotContain("`1", error.Message, StringComparison.Ordinal);
        Assert.Contains("RawRecord<ParentKeys>", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A type nested in a generic one (<c>Dictionary&lt;string, int&gt;.KeyCollection</c>) is generic without an arity of its own.</summary>
    [Fact]
    public async Task A_wrong_input_of_a_type_nested_in_a_generic_type_is_refused_naming_the_chains_input_type()
    {
        var loaded = ChainConfig.Parse("chain_id: raw_parents\nextractors:\n  - extractor_class: RawParentItems\n", "raw.yaml", ApiPipelineRegistry.Instance);

        var error = await Record.ExceptionAsync(() => loaded.ExecuteAsync(new Dictionary<string, int>().Keys, new MemoryOutput<RawRecord<ParentKeys>>()));

        Assert.IsType<ArgumentException>(error);
        Assert.Contains("takes Scenario", error.Message, StringComparison.Ordinal);
    }
}
