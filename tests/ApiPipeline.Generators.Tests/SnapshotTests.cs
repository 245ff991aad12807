using System.Runtime.CompilerServices;

namespace ApiPipeline.Generators.Tests;

/// <summary>
/// The generated file for each pagination style and each declaration shape, compared to <c>Snapshots/&lt;Test&gt;.verified.cs</c>;
/// each output compilation must also compile without errors against the real runtime.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void PaginationNone() => VerifyPaginated("Demo.Items.g.cs", """
        [Paginated(Pagination.None, RecordsPath = "data")]
        """);

    [Fact]
    public void PaginationCursor() => VerifyPaginated("Demo.Items.g.cs", """
        [Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "meta.next_cursor", CursorParam = "after", HasMorePath = "meta.has_more", PageSize = 50)]
        """);

    [Fact]
    public void PaginationHeaderCursor() => VerifyPaginated("Demo.Items.g.cs", """
        [Paginated(Pagination.HeaderCursor, CursorHeader = "X-Next-Cursor", CursorParam = "page_token", MaxPages = 10)]
        """);

    [Fact]
    public void PaginationNextUrl() => VerifyPaginated("Demo.Items.g.cs", """
        [Paginated(Pagination.NextUrl, RecordsPath = "results", NextUrlPath = "links.next", MaxRecords = 5000)]
        """);

    [Fact]
    public void PaginationLinkHeader() => VerifyPaginated("Demo.Items.g.cs", """
        [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page", StopOnEmptyPage = false)]
        """);

    [Fact]
    public void PaginationOffset() => VerifyPaginated("Demo.Items.g.cs", """
        [Paginated(Pagination.Offset, RecordsPath = "items", OffsetParam = "skip", LimitParam = "take", PageSize = 25, TotalPath = "total")]
        """);

    [Fact]
    public void PaginationPageNumber() => VerifyPaginated("Demo.Items.g.cs", """
        [Paginated(Pagination.PageNumber, PageParam = "p", PageSizeParam = "size", PageSize = 20, FirstPage = 0, TotalPagesPath = "meta.pages")]
        """);

    [Fact]
    public void ConditionalRequests() => VerifyPaginated("Demo.Items.g.cs", """
        [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
        [ConditionalRequests]
        """);

    [Fact]
    public void NestedInPartialTypes()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo.Apis;

            public static partial class Catalog
            {
                public partial record GitHub
                {
                    [Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues?state=all", Json = typeof(TestJson))]
                    [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
                    public partial class Issues : IExtractor<RepoRef, Item>;
                }
            }
            """);

        AssertSnapshot(result, "Demo.Apis.Catalog.GitHub.Issues.g.cs");
    }

    [Fact]
    public void GlobalNamespace()
    {
        var result = GeneratorHarness.Run(TestSources.Common, """
            using ApiPipeline;
            using Demo;

            [Extractor("https://api.example.com/v2", "/items/{owner}", Json = typeof(TestJson), Name = "global-items")]
            internal sealed partial class GlobalItems : IExtractor<RepoRef, Item>;
            """);

        AssertSnapshot(result, "GlobalItems.g.cs");
    }

    [Fact]
    public void QueryMembers()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public enum IssueState
            {
                Open,
                Closed,
                All,
            }

            public sealed record SearchInput(
                Guid TenantId,
                int Year,
                [property: Query] string? Label = null,
                [property: Query("since")] DateTimeOffset? UpdatedSince = null,
                [property: Query] bool? IncludeArchived = null,
                [property: Query] int PerPage = 30,
                [property: Query] IssueState State = IssueState.Open,
                [Query("q")] string? Text = null)
            {
                [Query]
                public bool Draft { get; init; }

                [Query("min_score")]
                public double? MinScore;

                public string? NotSent { get; init; }
            }

            [Extractor("https://api.example.com", "/tenants/{tenant_id}/years/{year}/search", Json = typeof(TestJson))]
            [Paginated(Pagination.PageNumber, RecordsPath = "hits")]
            public partial class Search : IExtractor<SearchInput, Item>;
            """);

        AssertSnapshot(result, "Demo.Search.g.cs");
    }

    private static void VerifyPaginated(string hintName, string paginated, [CallerMemberName] string name = "")
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            namespace Demo;

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}/items", Json = typeof(TestJson))]
            {{paginated}}
            public partial class Items : IExtractor<RepoRef, Item>;
            """);

        AssertSnapshot(result, hintName, name);
    }

    private static void AssertSnapshot(HarnessResult result, string hintName, [CallerMemberName] string name = "")
    {
        Assert.Empty(result.GeneratorDiagnostics);
        var source = Assert.Single(result.Sources);
        Assert.Equal(hintName, source.HintName);
        result.AssertCompiles();
        Snapshot.Verify(name, source.SourceText.ToString());
    }
}
