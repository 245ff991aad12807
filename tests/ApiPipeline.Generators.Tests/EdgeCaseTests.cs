namespace ApiPipeline.Generators.Tests;

/// <summary>Valid but unusual declarations: the generated code must still compile.</summary>
public sealed class EdgeCaseTests
{
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
}
