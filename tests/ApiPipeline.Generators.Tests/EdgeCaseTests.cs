using ApiPipeline.Generators.Tests.Chaining;
using Microsoft.CodeAnalysis;
using ApiPipeline.Generators.Chaining;

namespace ApiPipeline.Generators.Tests;

/// <summary>Valid but unusual declarations: the generated code must still compile.</summary>
public sealed class EdgeCaseTests
{
    [Fact]
    public void Obsolete_user_types_and_constructors_give_no_warnings_in_generated_code()
    {
        // A user deprecating an extractor, its record or a constructor gets the warnings in their own code, not in generated files
        // they cannot change (which would break a build that treats warnings as errors).
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            using System.Collections.Generic;
            using System.Net.Http;
            using System.Threading;

            namespace Demo;

            [Obsolete("use Items")]
            [Extractor("https://api.example.com", "/old", Json = typeof(TestJson))]
            public partial class OldItems : IExtractor<RepoRef, Item>;

            [RegisteredExtractor("custom", Json = typeof(TestJson))]
            public sealed class CustomItems : IExtractor<RepoRef, Item>
            {
                [Obsolete("pass options")]
                public CustomItems() { }

                public string Name => "custom";

                public IAsyncEnumerable<Page<Item>> ExtractPagesAsync(RepoRef input, PageCheckpoint? resumeFrom = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
            }
            """);

        result.AssertCompiles();
        var generated = result.AllSources.Select(s => s.HintName).ToHashSet();
        Assert.Empty(result.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Any(h => tree.FilePath.EndsWith(h, StringComparison.Ordinal))));
    }

    [Fact]
    public void KeywordIdentifiersAreEscaped()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo.@event;

            public sealed record Input(string @class, [property: Query] string? @default, [property: Query] int @int = 1);

            public static partial class @static
            {
                [Extractor("https://api.example.com", "/things/{class}", Json = typeof(TestJson))]
                public partial class @class : IExtractor<Input, Item>;
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        var source = Assert.Single(result.Sources);
        Assert.Equal("Demo.event.static.class.g.cs", source.HintName);
        string text = source.SourceText.ToString();
        Assert.Contains("url.PathValue(input.@class, \"class\");", text, StringComparison.Ordinal);
        Assert.Contains("url.Query(\"default\", input.@default);", text, StringComparison.Ordinal);
        Assert.Contains("url.Query<int>(\"int\", input.@int);", text, StringComparison.Ordinal);
        Assert.Contains("Name = \"class\",", text, StringComparison.Ordinal);
        result.AssertCompiles();
    }

    [Fact]
    public void OneUnusualExtractorDoesNotCostTheOthersTheirSource()
    {
        var result = GeneratorHarness.Run(
            TestSources.Common,
            TestSources.Extractor("Plain"),
            TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/x", Json = typeof(TestJson))]
            public partial class @checked : IExtractor<RepoRef, Item>;
            """);

        Assert.Null(result.RunResult.Exception);
        Assert.Equal(["Demo.Plain.g.cs", "Demo.checked.g.cs"], result.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        result.AssertCompiles();
    }

    [Theory]
    [InlineData("(Pagination)(-1)", "(global::ApiPipeline.Pagination)(-1)")]
    [InlineData("(Pagination)42", "(global::ApiPipeline.Pagination)(42)")]
    public void UndefinedPaginationValueIsCastSafely(string argument, string expected)
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            namespace Demo;

            [Extractor("https://api.example.com", "/x", Json = typeof(TestJson))]
            [Paginated({{argument}})]
            public partial class Items : IExtractor<RepoRef, Item>;
            """);

        Assert.Contains($"Style = {expected},", result.SingleSourceText, StringComparison.Ordinal);
        result.AssertCompiles();
    }

    [Fact]
    public void NestedInGenericPartialType_BlamesTheContainingType()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            public partial class Outer<T>
            {
                [Extractor("https://api.example.com", "/x", Json = typeof(TestJson))]
                public partial class Items : IExtractor<RepoRef, Item>;
            }
            """;

        var result = GeneratorHarness.Run(TestSources.Common, source);

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0005", diagnostic.Id);
        Assert.Contains("'Outer'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain("is generic", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(GeneratorHarness.LineOf(source, "public partial class Items"), diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void InheritedAndHiddenInputMembers()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public class BaseInput
            {
                public string Owner { get; set; } = "";

                [Query]
                public string? Sort { get; set; }
            }

            public sealed class Input : BaseInput
            {
                public new int Owner { get; set; }

                [Query("n")]
                public long? Number;
            }

            [Extractor("https://api.example.com", "/users/{owner}", Json = typeof(TestJson))]
            public partial class Users : IExtractor<Input, Item>;
            """);

        string text = result.SingleSourceText;
        Assert.Contains("url.PathValue<int>(input.Owner, \"owner\");", text, StringComparison.Ordinal);
        Assert.Contains("url.Query<long>(\"n\", input.Number);", text, StringComparison.Ordinal);
        Assert.Contains("url.Query(\"sort\", input.Sort);", text, StringComparison.Ordinal);
        result.AssertCompiles();
    }

    [Fact]
    public void An_interface_input_binds_members_inherited_from_its_base_interfaces()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public interface IOwned { string Owner { get; } }

            public interface IRepoQuery : IOwned { string Repo { get; } }

            public interface IPaged { string Page { get; } }

            public interface INumberedPages : IPaged { new int Page { get; } }

            public interface IPageQuery : INumberedPages, IOwned;

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}", Json = typeof(TestJson))]
            public partial class Repos : IExtractor<IRepoQuery, Item>;

            [Extractor("https://api.example.com", "/users/{owner}/pages/{page}", Json = typeof(TestJson))]
            public partial class Pages : IExtractor<IPageQuery, Item>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string repos = Assert.Single(result.Sources, s => s.HintName == "Demo.Repos.g.cs").SourceText.ToString();
        Assert.Contains("url.PathValue(input.Owner, \"owner\");", repos, StringComparison.Ordinal);
        Assert.Contains("url.PathValue(input.Repo, \"repo\");", repos, StringComparison.Ordinal);

        // A member an interface hides with 'new' wins over the one it hides, as in C#.
        string pages = Assert.Single(result.Sources, s => s.HintName == "Demo.Pages.g.cs").SourceText.ToString();
        Assert.Contains("url.PathValue<int>(input.Page, \"page\");", pages, StringComparison.Ordinal);

        // The registry's shape of the input reads the inherited member too.
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains("""new("Owner", typeof(string), "string", global::ApiPipeline.ShapeWrite.None, true, false)""", registry, StringComparison.Ordinal);
    }

    [Fact]
    public void A_member_two_unrelated_base_interfaces_declare_is_ambiguous_and_not_bound()
    {
        // C# cannot read input.Label (CS0229): a placeholder does not bind it, and the registry's shape of the input leaves it out.
        const string inputs = """
            namespace Demo;

            public interface IOwned
            {
                string Owner { get; }

                string Label { get; }
            }

            public interface ITagged { string Label { get; } }

            public interface ILabelledQuery : IOwned, ITagged;

            """;

        var unbound = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + inputs + """
            [Extractor("https://api.example.com", "/users/{owner}/labels/{label}", Json = typeof(TestJson))]
            public partial class Labels : IExtractor<ILabelledQuery, Item>;
            """);
        var diagnostic = Assert.Single(unbound.GeneratorDiagnostics);
        Assert.Equal("APP0003", diagnostic.Id);
        Assert.Contains("'{label}'", diagnostic.GetMessage(), StringComparison.Ordinal);

        var bound = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + inputs + """
            [Extractor("https://api.example.com", "/users/{owner}/labels", Json = typeof(TestJson))]
            public partial class Labels : IExtractor<ILabelledQuery, Item>;
            """);
        Assert.Empty(bound.GeneratorDiagnostics);
        bound.AssertCompiles();
        string registry = Assert.Single(bound.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains("""new("Owner", typeof(string), "string", global::ApiPipeline.ShapeWrite.None, true, false)""", registry, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Label\"", registry, StringComparison.Ordinal);
        Assert.DoesNotContain("value.Label", registry, StringComparison.Ordinal);
    }

    [Fact]
    public void DateOnly_path_and_query_values_are_sent_as_ISO_8601_dates()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public sealed record DayQuery(DateOnly Day, [property: Query] DateOnly? Since);

            [Extractor("https://api.example.com", "/days/{day}", Json = typeof(TestJson))]
            public partial class Days : IExtractor<DayQuery, Item>;
            """);
        result.AssertCompiles();

        Assert.Equal("/days/2026-01-15?since=2026-01-02", result.BuildRelativeUrl("Demo.Days", "Demo.DayQuery", new DateOnly(2026, 1, 15), (DateOnly?)new DateOnly(2026, 1, 2)));
    }

    [Fact]
    public void TimeOnly_query_values_keep_their_seconds()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public sealed record SlotQuery(string Owner, [property: Query] TimeOnly At);

            [Extractor("https://api.example.com", "/slots/{owner}", Json = typeof(TestJson))]
            public partial class Slots : IExtractor<SlotQuery, Item>;
            """);
        result.AssertCompiles();

        Assert.Equal("/slots/me?at=14%3A30%3A15", result.BuildRelativeUrl("Demo.Slots", "Demo.SlotQuery", "me", new TimeOnly(14, 30, 15)));
    }

    [Fact]
    public void Query_on_a_base_records_positional_parameter_is_sent_for_a_derived_input()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public record BaseQuery([Query("state")] string? State);

            public sealed record RepoQuery(string Owner, string? State) : BaseQuery(State);

            [Extractor("https://api.example.com", "/repos/{owner}", Json = typeof(TestJson))]
            public partial class Repos : IExtractor<RepoQuery, Item>;
            """);

        Assert.Contains("url.Query(\"state\", input.State);", result.SingleSourceText, StringComparison.Ordinal);
        result.AssertCompiles();
    }

    [Theory]
    [InlineData("public string Name { get; } = \"shop\";")] // hidden: the generated Name is declared 'new' (no CS0108)
    [InlineData("public virtual string PartitionKey(RepoRef input) => input.Owner;")] // hidden (no CS0114)
    [InlineData("public string PartitionKey<T>(RepoRef input) => typeof(T).Name;")] // another arity: not hidden, so not 'new' (no CS0109)
    public void A_base_class_member_named_like_a_generated_one_gives_no_warnings_in_generated_code(string member)
    {
        // A common base class of the user's API clients: the generated part, in a file the user cannot change, has no warning to break a
        // build that treats warnings as errors.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            namespace Demo;

            public abstract class ApiClientBase
            {
                {{member}}
            }

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}", Json = typeof(TestJson))]
            public partial class Repos : ApiClientBase, IExtractor<RepoRef, Item>;
            """);

        result.AssertNoWarningsInGeneratedCode();
    }

    [Fact]
    public void An_extractor_derived_from_another_generated_extractor_gets_no_warnings_in_generated_code()
    {
        // The base extractor's Definition, Name, PartitionKey, ... come from its own generated part, which the compilation the
        // generator sees does not hold: the derived extractor's generated members are declared 'new' over them all the same.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}", Json = typeof(TestJson))]
            public partial class Repos : IExtractor<RepoRef, Item>;

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}/archived", Json = typeof(TestJson))]
            public partial class ArchivedRepos : Repos, IExtractor<RepoRef, Item>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertNoWarningsInGeneratedCode();
    }

    [Fact]
    public void A_chain_with_a_base_class_that_has_a_Name_gets_no_warnings_in_generated_code()
    {
        // As for extractors: the chain's generated members that a base class has are declared 'new' (no CS0108 in a file the user
        // cannot change).
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, TestSources.Usings + """
            namespace Demo;

            public abstract class JobBase
            {
                public string Name { get; } = "nightly";
            }

            [Chain]
            public partial class OrgIssues : JobBase
            {
                [Step(1)] public partial OrgRepos Repos { get; }
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertNoWarningsInGeneratedCode();
    }

    [Fact]
    public void A_chain_derived_from_a_chain_of_other_types_gets_no_warnings_in_generated_code()
    {
        // The base chain's part implements IChain<Org, Repo>, the derived one's IChain<RepoRef, Issue>: their ExecuteAsync and
        // ExecuteParallelChainsAsync are overloads, not hidden, so they are not declared 'new' (CS0109).
        var result = GeneratorHarness.Run(TestSources.Common, Chaining.ChainSources.Model, TestSources.Usings + """
            namespace Demo;

            [Chain]
            public partial class AllRepos
            {
                [Step(1)] public partial OrgRepos Repos { get; }
            }

            [Chain]
            public partial class RepoIssues : AllRepos
            {
                [Step(1)] public partial GitHubIssues Issues { get; }
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertNoWarningsInGeneratedCode();
    }
}
