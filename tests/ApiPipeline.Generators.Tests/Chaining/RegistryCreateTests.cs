using ApiPipeline.Generators.Chaining;

namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>
/// An input's shape in the registry creates it from the members a YAML mapping gives. Init-only properties that were not given keep
/// their initializers, so they are set through a local <c>[UnsafeAccessor]</c> to their setter, never in an initializer or a <c>with</c>.
/// </summary>
public sealed class RegistryCreateTests
{
    private const string Inputs = TestSources.Usings + """
        namespace Demo;

        public class Paged
        {
            public int PerPage { get; init; } = 50;
        }

        public sealed class RepoQuery : Paged
        {
            public string Owner { get; init; } = "dotnet";

            public string? Label { get; set; }
        }

        public sealed record RecordQuery(string Owner)
        {
            public int Limit { get; init; } = 10;
        }

        public struct StructQuery
        {
            public string Owner { get; init; }
        }

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(TestJson))]
        public partial class RepoIssues : IExtractor<RepoQuery, Item>;

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(TestJson))]
        public partial class RecordIssues : IExtractor<RecordQuery, Item>;

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(TestJson))]
        public partial class StructIssues : IExtractor<StructQuery, Item>;
        """;

    [Fact]
    public void Init_only_members_are_set_through_their_setters_only_when_given()
    {
        var result = GeneratorHarness.Run(TestSources.Common, Inputs);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains("""new("PerPage", typeof(int), "int", global::ApiPipeline.ShapeWrite.Optional, true, false)""", registry, StringComparison.Ordinal);
        Assert.Contains("var result = new global::Demo.RepoQuery();", registry, StringComparison.Ordinal);
        Assert.Contains("if (values[0] is not global::ApiPipeline.ShapeValue) Init0(result, (string)values[0]!);", registry, StringComparison.Ordinal);
        Assert.Contains("if (values[1] is not global::ApiPipeline.ShapeValue) result.Label = (string?)values[1];", registry, StringComparison.Ordinal);

        // An inherited member's setter is found on the type that declares it; a struct's is called on the local by reference.
        Assert.Contains("""Name = "set_PerPage")] static extern void Init2(global::Demo.Paged instance, int value);""", registry, StringComparison.Ordinal);
        Assert.Contains("""Name = "set_Limit")] static extern void Init1(global::Demo.RecordQuery instance, int value);""", registry, StringComparison.Ordinal);
        Assert.Contains("Init0(ref result, (string)values[0]!);", registry, StringComparison.Ordinal);
        Assert.Contains("""static extern void Init0(ref global::Demo.StructQuery instance, string value);""", registry, StringComparison.Ordinal);
        Assert.DoesNotContain("result with", registry, StringComparison.Ordinal);
    }

    [Fact]
    public void The_registry_compiles_for_unusual_but_valid_inputs_and_extractors()
    {
        // Defaults without a plain literal, a dynamic member, a tuple input and an abstract extractor each broke the one registry file.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public sealed record Range(string Owner, double Min = double.NaN, double Max = double.PositiveInfinity, float Step = 0.5f, decimal Cap = 79228162514264337593543950335m, long Big = 5000000000, ulong Huge = 18446744073709551615);

            public sealed record Loose(long Id, dynamic? Extra);

            [Extractor("https://api.example.com", "/{owner}/ranges", Json = typeof(TestJson))]
            public partial class Ranges : IExtractor<Range, Item>;

            [Extractor("https://api.example.com", "/loose", Json = typeof(TestJson))]
            public partial class LooseItems : IExtractor<Loose, Item>;

            [Extractor("https://api.example.com", "/pairs", Json = typeof(TestJson))]
            public partial class Pairs : IExtractor<(string Owner, string Repo), Item>;

            [Extractor("https://api.example.com", "/base", Json = typeof(TestJson))]
            public abstract partial class BaseItems : IExtractor<NoInput, Item>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains("Min: values[1] is global::ApiPipeline.ShapeValue ? (double)(global::System.Double.NaN) : (double)values[1]!", registry, StringComparison.Ordinal);
        Assert.Contains("(decimal)(79228162514264337593543950335M)", registry, StringComparison.Ordinal);
        Assert.DoesNotContain("BaseItems", registry, StringComparison.Ordinal);
    }
}
