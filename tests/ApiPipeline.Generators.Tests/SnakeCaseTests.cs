namespace ApiPipeline.Generators.Tests;

/// <summary>Query parameter names default to the member name in snake_case.</summary>
public sealed class SnakeCaseTests
{
    [Theory]
    [InlineData("PerPage", "per_page")]
    [InlineData("HTMLUrl", "html_url")]
    [InlineData("Since", "since")]
    [InlineData("Id2", "id2")]
    [InlineData("ID", "id")]
    [InlineData("UpdatedAt", "updated_at")]
    [InlineData("includeArchived", "include_archived")]
    [InlineData("Page2Size", "page2_size")]
    [InlineData("already_snake", "already_snake")]
    [InlineData("X", "x")]
    [InlineData("", "")]
    public void SnakeCase(string name, string expected)
        => Assert.Equal(expected, ApiPipeline.Generators.Helpers.NameRules.SnakeCase(name));

    [Fact]
    public void QueryWithoutNameUsesSnakeCase()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public sealed record Input([property: Query] int PerPage, [property: Query] string? HTMLUrl, [property: Query("Custom-Name")] int Id2);

            [Extractor("https://api.example.com", "/items", Json = typeof(TestJson))]
            public partial class Items : IExtractor<Input, Item>;
            """);

        string text = result.SingleSourceText;
        Assert.Contains("url.Query<int>(\"per_page\", input.PerPage);", text, StringComparison.Ordinal);
        Assert.Contains("url.Query(\"html_url\", input.HTMLUrl);", text, StringComparison.Ordinal);
        Assert.Contains("url.Query<int>(\"Custom-Name\", input.Id2);", text, StringComparison.Ordinal);
        result.AssertCompiles();
    }

    [Fact]
    public void A_collection_is_sent_once_per_element_in_the_query_and_joined_with_commas_in_the_path()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            using System.Collections.Generic;

            namespace Demo;

            public enum Color { Red, Blue }

            public sealed record Input(
                string[] Owners,
                [property: Query] IReadOnlyList<long> Ids,
                [property: Query] string[]? Tags,
                [property: Query] List<Color> Colors,
                [property: Query] IEnumerable<Guid?> Maybe);

            [Extractor("https://api.example.com", "/items/{owners}", Json = typeof(TestJson))]
            public partial class Items : IExtractor<Input, Item>;
            """);

        string text = result.SingleSourceText;
        Assert.Contains("url.PathValues(input.Owners, \"owners\");", text, StringComparison.Ordinal);
        Assert.Contains("url.QueryEach<long>(\"ids\", input.Ids);", text, StringComparison.Ordinal);
        Assert.Contains("url.QueryEach(\"tags\", input.Tags);", text, StringComparison.Ordinal);
        Assert.Contains("url.QueryEach<global::Demo.Color>(\"colors\", input.Colors);", text, StringComparison.Ordinal);
        // Elements that are nullable structs are not formatted one by one: the member keeps its ToString().
        Assert.Contains("url.Query(\"maybe\", input.Maybe?.ToString());", text, StringComparison.Ordinal);
        result.AssertCompiles();
    }
}
