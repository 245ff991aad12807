namespace ApiPipeline.Tests.Chaining;

/// <summary>The collection members a batched YAML step fills: arrays, <c>List&lt;T&gt;</c> and what an array implements, of four element types.</summary>
public sealed class BatchCollectionTests
{
    [Fact]
    public void Builds_the_member_type_from_the_converted_values()
    {
        var ids = BatchCollection.For(typeof(IReadOnlyList<long>))!.Value;
        Assert.Equal(typeof(long), ids.Element);
        Assert.Equal([3L, 1L], Assert.IsType<long[]>(ids.Create([3L, 1L])));

        var names = BatchCollection.For(typeof(List<string>))!.Value;
        Assert.Equal(["a", "b"], Assert.IsType<List<string>>(names.Create(["a", "b"])));

        var guid = Guid.NewGuid();
        Assert.Equal([guid], Assert.IsType<Guid[]>(BatchCollection.For(typeof(Guid[]))!.Value.Create([guid])));
        Assert.Equal([7], Assert.IsType<int[]>(BatchCollection.For(typeof(IEnumerable<int>))!.Value.Create([7])));
    }

    [Theory]
    [InlineData(typeof(object))]
    [InlineData(typeof(System.Collections.IEnumerable))]
    [InlineData(typeof(List<double>))]
    [InlineData(typeof(HashSet<long>))]
    [InlineData(typeof(long))]
    public void Other_member_types_are_not_batch_collections(Type type) => Assert.Null(BatchCollection.For(type));
}
