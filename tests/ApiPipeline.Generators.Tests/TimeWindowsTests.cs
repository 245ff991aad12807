using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests;

/// <summary>[TimeWindows]: the generated TimeWindowOptions, and APP0008 when the windows could not be sent or split.</summary>
public sealed class TimeWindowsTests
{
    private const string Records = """
        namespace Demo;

        public sealed record Change([property: Key] long Id, System.DateTimeOffset UpdatedAt, long Sequence);
        """;

    [Fact]
    public void TimeWindowsWithAllSettings()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/search/changes", Json = typeof(TestJson))]
            [Paginated(Pagination.PageNumber, PageSize = 100, TotalPath = "total_count")]
            [Watermark(nameof(Change.UpdatedAt), Param = "since", UntilParam = "until")]
            [TimeWindows(Size = "6h", Offset = "2h", MaxConcurrent = 8, MaxResults = 1000)]
            public partial class Changes : IExtractor<NoInput, Change>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        Snapshot.Verify(nameof(TimeWindowsWithAllSettings), Assert.Single(result.Sources).SourceText.ToString());
    }

    [Theory]
    [InlineData("[Paginated(Pagination.PageNumber)]", "[TimeWindows]", "it needs a [Watermark] on a DateTimeOffset or DateTime member")]
    [InlineData("[Watermark(nameof(Change.Sequence), Param = \"since\", UntilParam = \"until\")]", "[TimeWindows]", "its [Watermark] is on a number")]
    [InlineData("[Watermark(nameof(Change.UpdatedAt), Param = \"since\")]", "[TimeWindows]", "its [Watermark] must set both Param and UntilParam")]
    [InlineData("[Watermark(nameof(Change.UpdatedAt), Param = \"since\", UntilParam = \"until\")]", "[TimeWindows(MaxResults = 1000)]", "MaxResults = 1000 needs the number of results in the response")]
    [InlineData("[Watermark(nameof(Change.UpdatedAt), Param = \"since\", UntilParam = \"until\")]", "[TimeWindows(MaxConcurrent = 0)]", "MaxConcurrent must be 1 or more, not 0")]
    [InlineData("[Watermark(nameof(Change.UpdatedAt), Param = \"since\", UntilParam = \"until\")]", "[TimeWindows(MaxResults = -1)]", "MaxResults must be 0 (no cap) or more, not -1")]
    public void APP0008_TimeWindowsThatCannotWork(string watermark, string windows, string problem)
    {
        string source = TestSources.Usings + Records + $$"""

            [Extractor("https://api.example.com", "/search/changes", Json = typeof(TestJson))]
            {{watermark}}
            {{windows}}
            public partial class Changes : IExtractor<NoInput, Change>;
            """;
        var result = GeneratorHarness.Run(TestSources.Common, source);

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0008", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains("The [TimeWindows] of extractor 'Changes' cannot be used: " + problem, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(windows[1..^1], source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Empty(result.Sources);
    }
}
