using ApiPipeline.Generators.Chaining;

namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>
/// An input's shape in the registry creates it from the members a YAML mapping gives. Init-only properties that were not given keep
/// their initializers, so they are set through a local <c>[UnsafeAccessor]</c> to their setter, not in an initializer; only a generic
/// type's, which the runtime does not bind an accessor to, is set in a record's <c>with</c> copy. Members the generated code cannot
/// use (a ref struct, <c>[Obsolete]</c> as an error) are left out, and so are constructors it cannot call.
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

    [Fact]
    public void A_project_with_nullable_disabled_gets_no_nullable_warnings_from_the_registry()
    {
        // <Nullable>disable</Nullable>: the user's string members are oblivious, so the registry's shapes cast them without '!'
        // ("(string)values[0]"), but the registry file is '#nullable enable', where that cast warns CS8600/CS8604. Every such
        // project gets warnings in a file it cannot change, which break a build that treats warnings as errors.
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, TestSources.Extractor());
        compilation = compilation.WithOptions(compilation.Options.WithNullableContextOptions(Microsoft.CodeAnalysis.NullableContextOptions.Disable));

        var result = GeneratorHarness.Run(compilation);

        result.AssertNoWarningsInGeneratedCode();
    }

    [Theory]
    [InlineData("[Obsolete(\"The API dropped it\", error: true)] public string Login { get; set; } = \"\";")] // read or set: CS0619
    [InlineData("public string Login { [Obsolete(\"The API dropped it\", error: true)] get; set; } = \"\";")] // its getter: CS0619
    [InlineData("public ReadOnlySpan<char> OwnerSpan => Owner.AsSpan();")] // boxed to object: CS0030
    [InlineData("[Obsolete(\"use the parameterless one\", error: true)] public RepoQuery(string owner, int legacy) { Owner = owner; }")] // CS0619
    [InlineData("public RepoQuery(string text, out bool parsed) { Owner = text; parsed = true; }")] // CS1620
    public void An_input_member_or_constructor_the_registry_cannot_use_is_left_out(string declaration)
    {
        // The registry reads and sets an input's public members and calls its public constructor with the most parameters: a member or
        // constructor generated code cannot use is passed over (here for the parameterless constructor), so the build does not break.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            namespace Demo;

            public sealed class RepoQuery
            {
                public RepoQuery() { }

                public string Owner { get; set; } = "";

                {{declaration}}
            }

            [Extractor("https://api.example.com", "/repos/{owner}", Json = typeof(TestJson))]
            public partial class Repos : IExtractor<RepoQuery, Item>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
    }

    [Fact]
    public void The_registry_sets_an_init_only_member_of_a_generic_input()
    {
        // The runtime does not bind an [UnsafeAccessor] to an init-only setter of a closed generic type (MissingMethodException): a
        // record's is set in a 'with' copy instead, when the input is built from member values (a YAML mapping, --input).
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public sealed record Search<T>(string Owner)
            {
                public T? Label { get; init; }
            }

            [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(TestJson))]
            public partial class Issues : IExtractor<Search<string>, Item>;
            """);
        result.AssertCompiles();

        using var stream = new System.IO.MemoryStream();
        Assert.True(result.Output.Emit(stream).Success);
        var context = new System.Runtime.Loader.AssemblyLoadContext(nameof(The_registry_sets_an_init_only_member_of_a_generic_input), isCollectible: true);
        try
        {
            stream.Position = 0;
            var assembly = context.LoadFromStream(stream);
            var input = assembly.GetType("Demo.Search`1", throwOnError: true)!.MakeGenericType(typeof(string));
            var registry = assembly.GetType("ApiPipeline.Generated.ApiPipelineRegistry", throwOnError: true)!;
            var shape = (TypeShape)registry.GetFields(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
                .Select(f => f.GetValue(null))
                .OfType<TypeShape>()
                .Single(s => s.Type == input);
            object?[] values = [.. shape.Members.Select(m => (object?)(m.Name == "Owner" ? "dotnet" : m.Name == "Label" ? "bug" : ShapeValue.Unset))];

            var created = shape.GetType().GetMethod("Create", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.Invoke(shape, [values]);

            Assert.Equal("bug", input.GetProperty("Label")!.GetValue(created));
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void A_project_with_nullable_disabled_gets_no_nullable_warnings_for_a_generic_input()
    {
        // The registry ('#nullable enable') spells the input global::Demo.Search<string>, where Label is a non-nullable string: an
        // oblivious value is cast as not null, so the assignment gives no CS8601, and a parameter's defaults give no CS8625/CS8604.
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public sealed class Search<T>
            {
                public string Owner { get; set; }

                public T Label { get; set; }
            }

            public sealed record Query<T>(string Owner, T Label = default, string Sort = "updated");

            [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(TestJson))]
            public partial class Issues : IExtractor<Search<string>, Item>;

            [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(TestJson))]
            public partial class Queried : IExtractor<Query<string>, Item>;
            """);
        compilation = compilation.WithOptions(compilation.Options.WithNullableContextOptions(Microsoft.CodeAnalysis.NullableContextOptions.Disable));

        var result = GeneratorHarness.Run(compilation);

        result.AssertNoWarningsInGeneratedCode();
    }
}
