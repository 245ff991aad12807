namespace ApiPipeline.Generators.Tests;

/// <summary>Passthrough extractors (<c>IExtractor&lt;TIn, RawRecord&lt;TFields&gt;&gt;</c>): type info of TFields, watermark and key through <c>.Fields</c>.</summary>
public sealed class PassthroughTests
{
    private const string Records = """
        namespace Demo;

        public sealed record IssueKeys([property: Key] long Id, System.DateTimeOffset UpdatedAt);
        """;

    [Fact]
    public void PassthroughWithWatermarkAndKey()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}/issues", Json = typeof(TestJson))]
            [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
            [Watermark(nameof(IssueKeys.UpdatedAt), Param = "since", Lag = "5m")]
            public partial class IssuesRaw : IExtractor<RepoRef, RawRecord<IssueKeys>>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string source = Assert.Single(result.Sources).SourceText.ToString();
        Assert.Contains("RawRecord.TypeInfo(global::ApiPipeline.ExtractorJson.GetTypeInfo<global::Demo.IssueKeys>(", source, StringComparison.Ordinal);
        Assert.Contains("static r => r.Fields.UpdatedAt", source, StringComparison.Ordinal);
        Assert.Contains("static r => r.Fields.Id.ToString(", source, StringComparison.Ordinal);
        Snapshot.Verify(nameof(PassthroughWithWatermarkAndKey), source);
    }

    [Fact]
    public void PassthroughWatermarkOnAMissingFieldReportsApp0007()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/issues", Json = typeof(TestJson))]
            [Watermark("CreatedAt")]
            public partial class IssuesRaw : IExtractor<NoInput, RawRecord<IssueKeys>>;
            """);

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0007", diagnostic.Id);
        Assert.Contains("IssueKeys", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}
