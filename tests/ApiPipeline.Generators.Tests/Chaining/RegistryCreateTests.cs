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
    public void Public_fields_are_set_like_properties_required_ones_in_the_initializer()
    {
        // {owner} binds the field Owner, so an input of fields is a valid input; a readonly or const field is only read, and so is a
        // base type's field that a get-only property hides. An override without a setter keeps the setter it overrides.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public class BaseQuery
            {
                public string? Label;

                public int Limit;

                public virtual string Sort { get; set; } = "created";
            }

            public sealed class UserQuery : BaseQuery
            {
                public const int Version = 2;

                public required string Owner;

                public int PerPage = 50;

                public readonly string Source = "api";

                public new int Limit => 10;

                public override string Sort => base.Sort;
            }

            [Extractor("https://api.example.com", "/users/{owner}", Json = typeof(TestJson))]
            public partial class Users : IExtractor<UserQuery, Item>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains("""new("Owner", typeof(string), "string", global::ApiPipeline.ShapeWrite.Required, true, false)""", registry, StringComparison.Ordinal);
        Assert.Contains("""new("PerPage", typeof(int), "int", global::ApiPipeline.ShapeWrite.Optional, true, false)""", registry, StringComparison.Ordinal);
        Assert.Contains("""new("Source", typeof(string), "string", global::ApiPipeline.ShapeWrite.None, true, false)""", registry, StringComparison.Ordinal);
        Assert.Contains("var result = new global::Demo.UserQuery() { Owner = (string)values[0]! };", registry, StringComparison.Ordinal);
        Assert.Contains("if (values[1] is not global::ApiPipeline.ShapeValue) result.PerPage = (int)values[1]!;", registry, StringComparison.Ordinal);
        Assert.Contains("""new("Limit", typeof(int), "int", global::ApiPipeline.ShapeWrite.None, true, false)""", registry, StringComparison.Ordinal);
        Assert.Contains("if (values[4] is not global::ApiPipeline.ShapeValue) result.Sort = (string)values[4]!;", registry, StringComparison.Ordinal);
        Assert.Contains("if (values[5] is not global::ApiPipeline.ShapeValue) result.Label = (string?)values[5];", registry, StringComparison.Ordinal);
        Assert.DoesNotContain("Version", registry, StringComparison.Ordinal);
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
