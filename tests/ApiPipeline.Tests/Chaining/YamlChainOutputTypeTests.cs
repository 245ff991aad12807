using ApiPipeline.Generated;

namespace ApiPipeline.Tests.Chaining;

/// <summary>What a loaded chain says when it is given an output of the wrong record type.</summary>
public sealed class YamlChainOutputTypeTests
{
    /// <summary>
    /// A chain file whose last step is passthrough (RawParentItems: RawRecord&lt;ParentKeys&gt;), run with an output of the typed records a
    /// new user expects (<see cref="Parent"/>). ChainDefinition.ExecuteUntypedAsync names the records with <c>typeof(TOut).Name</c>, so the
    /// message reads "writes RawRecord`1 records": the CLR's generic arity name, not the type the user must write
    /// (<c>RawRecord&lt;ParentKeys&gt;</c>, as ChainConfig's own messages and <c>list</c> name it), nor the output's type.
    /// </summary>
    [Fact]
    public async Task An_output_of_the_wrong_record_type_is_refused_naming_the_passthrough_record_type()
    {
        var loaded = ChainConfig.Parse("chain_id: raw_parents\nextractors:\n  - extractor_class: RawParentItems\n", "raw.yaml", ApiPipelineRegistry.Instance);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => loaded.ExecuteAsync(new Scenario("x"), new MemoryOutput<Parent>()));

        Assert.DoesNotContain("`1", error.Message, StringComparison.Ordinal);
        Assert.Contains("RawRecord<ParentKeys>", error.Message, StringComparison.Ordinal);
    }
}
