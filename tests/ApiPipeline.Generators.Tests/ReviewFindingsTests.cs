namespace ApiPipeline.Generators.Tests;

/// <summary>Shapes found in review on which the generator writes code that does not compile, or says nothing where it should.</summary>
public sealed class ReviewFindingsTests
{
    [Fact]
    public void A_file_local_extractor_is_reported_instead_of_left_unimplemented()
    {
        // The generated part is a declaration in another file, so it cannot complete a file-local class: the user gets only CS0535
        // ("does not implement interface member") on their own class. The generator should say why (APP0005), as it does for a
        // file-local [RegisteredExtractor] (APP0119) or [Output] (APP0116).
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}", Json = typeof(TestJson))]
            file sealed partial class Items : IExtractor<RepoRef, Item>;
            """);

        Assert.DoesNotContain(result.OutputErrors, e => e.Id == "CS0535");
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0005", diagnostic.Id);
    }

    [Fact]
    public void A_Key_on_a_base_records_positional_parameter_keys_the_derived_record()
    {
        // [Query] on a base record's positional parameter is read for a derived input (EdgeCaseTests); [Key] on one is not: the
        // watermark gets no Key, so a Lag above zero makes every pipeline run fail at its start ("records are read again and must
        // be de-duplicated"), although the record's Id is marked as its key. APP1601.md: "a [Key] constructor parameter counts
        // when a public property has its exact name" - Issue.Id is that property.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public record Entity([Key] long Id);

            public sealed record Issue(long Id, DateTimeOffset UpdatedAt) : Entity(Id);

            [Extractor("https://api.example.com", "/issues", Json = typeof(TestJson))]
            [Watermark(nameof(Issue.UpdatedAt), Param = "since", Lag = "5m")]
            public partial class Issues : IExtractor<NoInput, Issue>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        Assert.Contains("Key = static r => r.Id.ToString(null, global::System.Globalization.CultureInfo.InvariantCulture),", result.SingleSourceText, StringComparison.Ordinal);
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

        result.AssertCompiles();
        var generated = result.AllSources.Select(s => s.HintName).ToHashSet();
        var warnings = result.Output.GetDiagnostics()
            .Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Any(h => tree.FilePath.EndsWith(h, StringComparison.Ordinal)))
            .ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
    }

    [Fact]
    public void An_input_member_obsolete_as_an_error_does_not_break_the_registry()
    {
        // The registry reads and sets every public member of the input (and record) type: value.Legacy and result.Legacy = ...
        // are CS0619 errors in the generated registry, although neither the user's code nor the URL uses the member. The registry
        // already leaves out types that are [Obsolete] as an error (Creatable.Unnameable); their members are not checked.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public sealed class RepoQuery
            {
                public string Owner { get; set; } = "";

                [Obsolete("The API dropped it; use Owner", error: true)]
                public string Login { get; set; } = "";
            }

            [Extractor("https://api.example.com", "/repos/{owner}", Json = typeof(TestJson))]
            public partial class Repos : IExtractor<RepoQuery, Item>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
    }

    [Fact]
    public void An_input_with_a_span_property_does_not_break_the_registry()
    {
        // The registry's read lambda boxes every readable member: (object?)value.OwnerSpan is CS0030 for a ref struct.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public sealed record RepoQuery(string Owner)
            {
                public ReadOnlySpan<char> OwnerSpan => Owner.AsSpan();
            }

            [Extractor("https://api.example.com", "/repos/{owner}", Json = typeof(TestJson))]
            public partial class Repos : IExtractor<RepoQuery, Item>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
    }

    [Theory]
    [InlineData("[Obsolete(\"use the parameterless one\", error: true)] public RepoQuery(string owner, int legacy) { Owner = owner; }")] // CS0619
    [InlineData("public RepoQuery(string text, out bool parsed) { Owner = text; parsed = true; }")] // CS1620
    public void The_registry_creates_an_input_with_a_constructor_it_can_call(string constructor)
    {
        // Symbols.Creation takes the public constructor with the most parameters, without the checks Creatable.FirstCallable makes
        // for outputs and hand-written extractors (ref/out parameters, [Obsolete] as an error): the generated registry calls it and
        // does not compile, although the input has a public parameterless constructor it could use.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            namespace Demo;

            public sealed class RepoQuery
            {
                public RepoQuery() { }

                {{constructor}}

                public string Owner { get; set; } = "";
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
        // The registry sets an init-only member it was given through [UnsafeAccessor(Method, Name = "set_Label")] static extern void
        // Init1(global::Demo.Search<string> instance, string? value). For a generic type the runtime does not bind that accessor:
        // creating the input from member values (a YAML mapping, --input) throws MissingMethodException "Method not found:
        // 'Demo.Search`1.set_Label'". The same for an init-only member inherited from a generic base class.
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
    public void An_extractor_with_a_base_class_that_has_a_Name_gets_no_warnings_in_generated_code()
    {
        // The generated part declares Name, PartitionKey, OnError, ... without 'new': a base class of the user's with a member of
        // that name (a common base for several API clients) gets CS0108/CS0114 in a generated file the user cannot change, which
        // breaks a build that treats warnings as errors.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public abstract class ApiClientBase
            {
                public string Name { get; } = "shop";
            }

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}", Json = typeof(TestJson))]
            public partial class Repos : ApiClientBase, IExtractor<RepoRef, Item>;
            """);

        result.AssertCompiles();
        var generated = result.AllSources.Select(s => s.HintName).ToHashSet();
        var warnings = result.Output.GetDiagnostics()
            .Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Any(h => tree.FilePath.EndsWith(h, StringComparison.Ordinal)))
            .ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
    }

    [Fact]
    public void A_file_local_chain_is_reported_instead_of_left_unimplemented()
    {
        // As for a file-local extractor: the generated part in another file is another type, so the user gets CS9248 on each step
        // property ("must have an implementation part") and CS9249 in the generated file, and no word on why. Expected: APP0101.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public sealed record Org(string Login);

            public sealed record Repo(long Id, string Name);

            [Extractor("https://api.example.com", "/orgs/{login}", Json = typeof(TestJson))]
            public partial class OrgRepos : IExtractor<Org, Repo>;

            [Extractor("https://api.example.com", "/repos/{owner}", Json = typeof(TestJson))]
            public partial class RepoItems : IExtractor<RepoRef, Item>;

            [Chain]
            file sealed partial class OrgItems
            {
                [Step(1)]
                public partial OrgRepos Repos { get; }

                [Step(2)]
                [Map(nameof(Repo.Name), To = nameof(RepoRef.Owner))]
                [Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))]
                public partial RepoItems Items { get; }
            }
            """);

        Assert.DoesNotContain(result.OutputErrors, e => e.Id is "CS9248" or "CS9249");
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0101", diagnostic.Id);
    }
}
