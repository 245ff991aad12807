namespace ApiPipeline.Tests;

/// <summary>MaxPages, MaxRecords and the <see cref="ExtractorOptions"/> that override the attributes.</summary>
public sealed class StopConditionTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    /// <summary>An endless cursor API: page n holds ids 3n-2 … 3n (or as many as ?limit= asks) and always points to page n+1.</summary>
    private Scenario Endless(string scenario) => Map(scenario, ctx =>
    {
        int page = int.TryParse(ctx.Request.Query["cursor"], out int n) ? n : 1;
        int size = int.TryParse(ctx.Request.Query["limit"], out int l) ? l : 3;
        return Reply.Json(ctx, $$$"""{"data":{{{Body.Items(Body.Ids((page - 1) * size + 1, size))}}},"meta":{"next_cursor":"{{{page + 1}}}"}}""");
    });

    [Fact]
    public async Task MaxPages_from_options_stops_after_that_many_pages()
    {
        var input = Endless("stop-maxpages");

        var pages = await new CursorItems(At with { MaxPages = 2 }).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6], pages.Ids());
        Assert.Equal(2, Requests("stop-maxpages").Count);
        Assert.Null(pages[^1].Next);
    }

    [Fact]
    public async Task MaxRecords_cuts_the_last_page()
    {
        var input = Endless("stop-maxrecords");

        var pages = await new CursorItems(At with { MaxRecords = 5 }).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5], pages.Ids());
        Assert.Equal([3, 2], pages.Select(p => p.Count));
        Assert.Equal(2, Requests("stop-maxrecords").Count);
        Assert.Null(pages[^1].Next);
    }

    [Fact]
    public async Task MaxRecords_on_a_page_boundary_stops_without_another_request()
    {
        var input = Endless("stop-maxrecords-boundary");

        var pages = await new CursorItems(At with { MaxRecords = 6 }).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6], pages.Ids());
        Assert.Equal(2, Requests("stop-maxrecords-boundary").Count);
    }

    [Fact]
    public async Task PageSize_from_options_replaces_the_attribute_page_size()
    {
        var input = Endless("stop-pagesize");

        var extractor = new CursorItems(At with { PageSize = 4, MaxPages = 2 });
        var pages = await extractor.PagesAsync(input);

        Assert.Equal(Body.Ids(1, 8), pages.Ids());
        Assert.Equal(["/stop-pagesize/items?limit=4", "/stop-pagesize/items?limit=4&cursor=2"], Targets("stop-pagesize"));
    }

    [Fact]
    public async Task MaxPages_from_the_attribute_applies_and_options_override_it()
    {
        var endless = Map("stop-attr", ctx =>
        {
            int page = int.Parse(ctx.Request.Query["page"]!);
            return Reply.Json(ctx, $$$"""{"items":{{{Body.Items(page)}}}}""");
        });

        var capped = await new CappedPageItems(At).PagesAsync(endless);
        Assert.Equal([1, 2], capped.Ids());
        Assert.Equal(["/stop-attr/items?page=1", "/stop-attr/items?page=2"], Targets("stop-attr"));

        var raised = await new CappedPageItems(At with { MaxPages = 3 }).PagesAsync(endless);
        Assert.Equal([1, 2, 3], raised.Ids());
        Assert.Equal(5, Requests("stop-attr").Count);
    }

    [Fact]
    public void Pagination_options_that_cannot_work_are_rejected_with_the_extractor_name()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CursorItems(At with { MaxPages = -1 }));

        Assert.Contains("Extractor 'CursorItems'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxPages", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_base_url_that_is_not_http_is_rejected_without_showing_its_secret()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CursorItems(new ExtractorOptions { BaseUrl = "ftp://example.com/?api_key=s3cr3t" }));

        Assert.Contains("not an absolute http(s) URL", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", ex.Message, StringComparison.Ordinal);
    }
}
