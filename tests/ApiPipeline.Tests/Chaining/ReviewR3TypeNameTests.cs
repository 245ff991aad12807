using ApiPipeline.Generated;

namespace ApiPipeline.Tests.Chaining;

/// <summary>What a loaded chain says when it is given an input of the wrong type whose type is nested in a generic type.</summary>
public sealed class ReviewR3TypeNameTests
{
    /// <summary>
    /// ChainDefinition.NameOf (efc6185) cuts a generic type's name at its '`', but a type nested in a generic type
    /// (<c>Dictionary&lt;string, int&gt;.KeyCollection</c>) is generic with no '`' in its Name: IndexOf gives -1 and the range
    /// <c>[..-1]</c> throws ArgumentOutOfRangeException instead of the ArgumentException naming the chain's input type.
    /// </summary>
    [Fact]
    public async Task A_wrong_input_of_a_type_nested_in_a_generic_type_is_refused_naming_the_chains_input_type()
    {
        var loaded = ChainConfig.Parse("chain_id: raw_parents\nextractors:\n  - extractor_class: RawParentItems\n", "raw.yaml", ApiPipelineRegistry.Instance);

        var error = await Record.ExceptionAsync(() => loaded.ExecuteAsync(new Dictionary<string, int>().Keys, new MemoryOutput<RawRecord<ParentKeys>>()));

        Assert.IsType<ArgumentException>(error);
        Assert.Contains("takes Scenario", error.Message, StringComparison.Ordinal);
    }
}
