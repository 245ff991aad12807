using ApiPipeline.Generators.Chaining;

namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>A record's shape in the registry offers the readable members of nested objects as dotted paths (for YAML mappings).</summary>
public sealed class RegistryPathTests
{
    private const string Places = TestSources.Usings + """
        namespace Demo;

        public sealed record Planet(string Name);

        public sealed record Country(string Code, Planet Planet);

        public sealed record City(string Name, Country Country);

        public readonly record struct Point(double X, double Y);

        public sealed record Address(string Street, Point Location);

        public sealed class Node
        {
            public long Id { get; init; }

            public Node? Parent { get; init; }
        }

        public sealed record Place(long Id, City? City, Point Location, Point? Maybe, Node Root, System.Collections.Generic.List<City> Cities, DateTimeOffset At, Address? Address);

        [Extractor("https://api.example.com", "/places", Json = typeof(TestJson))]
        public partial class Places : IExtractor<NoInput, Place>;
        """;

    [Fact]
    public void Nested_members_become_dotted_paths_of_at_most_three_segments_that_read_null_through_a_null_object()
    {
        var result = GeneratorHarness.Run(TestSources.Common, Places);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains("""new("City.Name", typeof(string), "string?", global::ApiPipeline.ShapeWrite.None, true, true)""", registry, StringComparison.Ordinal);
        Assert.Contains("""new("City.Country.Planet", typeof(global::Demo.Planet), "Planet?", global::ApiPipeline.ShapeWrite.None, true, true)""", registry, StringComparison.Ordinal);
        Assert.Contains("(object?)value.City?.Country?.Code,", registry, StringComparison.Ordinal);
        Assert.Contains("""new("Location.X", typeof(double), "double", global::ApiPipeline.ShapeWrite.None, true, false)""", registry, StringComparison.Ordinal);
        Assert.Contains("(object?)value.Location.X,", registry, StringComparison.Ordinal);
        Assert.Contains("""new("Maybe.Y", typeof(global::System.Nullable<double>), "double?", global::ApiPipeline.ShapeWrite.None, true, true)""", registry, StringComparison.Ordinal);
        Assert.Contains("(object?)value.Maybe?.Y,", registry, StringComparison.Ordinal);

        // A struct reached through a null object: the null-conditional read goes on with '.' into the struct ('?.' on it does not compile).
        Assert.Contains("""new("Address.Location.X", typeof(global::System.Nullable<double>), "double?", global::ApiPipeline.ShapeWrite.None, true, true)""", registry, StringComparison.Ordinal);
        Assert.Contains("(object?)value.Address?.Location.X,", registry, StringComparison.Ordinal);
        Assert.Contains("""new("Root.Parent", """, registry, StringComparison.Ordinal);
    }

    [Fact]
    public void A_map_path_into_a_struct_behind_a_null_object_compiles()
    {
        const string chain = TestSources.Usings + """
            namespace Demo;

            public sealed record Near(double? Lat);

            [Extractor("https://api.example.com", "/near", Json = typeof(TestJson))]
            public partial class NearBy : IExtractor<Near, Place>;

            [Chain]
            public partial class PlacesNearPlaces
            {
                [Step(1)] public partial Places All { get; }

                [Step(2)]
                [Map("Address.Location.X", To = nameof(Near.Lat))]
                public partial NearBy Neighbours { get; }
            }
            """;
        var result = GeneratorHarness.Run(TestSources.Common, Places, chain);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        Assert.Contains(result.AllSources, s => s.SourceText.ToString().Contains("parent.Address?.Location.X", StringComparison.Ordinal));
    }

    [Fact]
    public void A_type_that_is_one_extractors_input_and_anothers_output_keeps_its_dotted_paths()
    {
        // 'APlaceDetails' sorts before 'Places': its input, Place, is seen first, and input shapes have no paths.
        const string details = TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/places/{id}", Json = typeof(TestJson))]
            public partial class APlaceDetails : IExtractor<Place, City>;
            """;
        var result = GeneratorHarness.Run(TestSources.Common, Places, details);

        result.AssertCompiles();
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains("""new("City.Country.Code", """, registry, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("City.Country.Planet.Name")] // a fourth segment
    [InlineData("Root.Parent.Id")] // through a cycle: a Node inside a Node
    [InlineData("Cities.")] // a collection
    [InlineData("At.")] // a framework type
    public void No_path_goes_past_three_segments_through_a_cycle_a_collection_or_a_framework_type(string path)
    {
        var result = GeneratorHarness.Run(TestSources.Common, Places);

        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.DoesNotContain($"new(\"{path}", registry, StringComparison.Ordinal);
    }
}
