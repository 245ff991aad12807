namespace ApiPipeline.Tests;

public sealed class NextUrlPaginationTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Follows_absolute_next_urls_until_null()
    {
        var input = Map("nu-abs", ctx =>
        {
            string root = Reply.Root(ctx);
            return Reply.Json(ctx, ctx.Request.Query["page"].ToString() switch
            {
                "" => $$$"""{"results":{{{Body.Items(1, 2)}}},"links":{"next":"{{{root}}}/nu-abs/items?page=2"}}""",
                "2" => $$$"""{"links":{"next":"{{{root}}}/nu-abs/items?page=3"},"results":{{{Body.Items(3, 4)}}}}""",
                "3" => $$$"""{"results":{{{Body.Items(5)}}},"links":{"next":null}}""",
                _ => "{}",
            });
        });

        var pages = await new NextUrlItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5], pages.Ids());
        Assert.Equal(["/nu-abs/items", "/nu-abs/items?page=2", "/nu-abs/items?page=3"], Targets("nu-abs"));
        Assert.Equal(Url("/nu-abs/items?page=3"), pages[1].Next!.Url);
        Assert.Null(pages[^1].Next);
    }

    [Fact]
    public async Task Resolves_relative_next_urls_against_the_current_request()
    {
        var input = Map("nu-rel", ctx => Reply.Json(ctx, ctx.Request.Query["page"].ToString() switch
        {
            // Root-relative, then relative to the current path, then missing.
            "" => $$$"""{"results":{{{Body.Items(1)}}},"links":{"next":"/nu-rel/items?page=2"}}""",
            "2" => $$$"""{"results":{{{Body.Items(2)}}},"links":{"next":"items?page=3"}}""",
            "3" => $$$"""{"results":{{{Body.Items(3)}}},"links":{}}""",
            _ => "{}",
        }));

        var pages = await new NextUrlItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal(["/nu-rel/items", "/nu-rel/items?page=2", "/nu-rel/items?page=3"], Targets("nu-rel"));
    }

    [Fact]
    public async Task A_relative_next_url_after_a_redirect_is_resolved_against_where_the_page_came_from_and_stored_absolute()
    {
        var input = Map("nu-moved", ctx =>
        {
            if (ctx.Request.Path == "/nu-moved/items" && !ctx.Request.QueryString.HasValue)
            {
                return Reply.Redirect(ctx, "/nu-moved/v2/items");
            }

            // By RFC 3986 §5.1.3 "items?page=2" is relative to /nu-moved/v2/items, the URL the first page was retrieved from.
            return ctx.Request.Path == "/nu-moved/v2/items"
                ? Reply.Json(ctx, ctx.Request.Query["page"].ToString() switch
                {
                    "" => $$$"""{"results":{{{Body.Items(1)}}},"links":{"next":"items?page=2"}}""",
                    _ => $$$"""{"results":{{{Body.Items(2)}}},"links":{}}""",
                })
                : Reply.Json(ctx, """{"error":"not here"}""", 404);
        });

        var pages = await new NextUrlItems(At).PagesAsync(input);

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal(["/nu-moved/items", "/nu-moved/v2/items", "/nu-moved/v2/items?page=2"], Targets("nu-moved"));
        Assert.Equal(Url("/nu-moved/v2/items?page=2"), pages[0].Next!.Url);

        var resumed = await new NextUrlItems(At).PagesAsync(input, pages[0].Next);

        Assert.Equal([2], resumed.Ids());
        Assert.Equal("/nu-moved/v2/items?page=2", Targets("nu-moved")[^1]);
    }

    [Fact]
    public async Task The_same_next_url_twice_is_a_pagination_loop()
    {
        var input = Map("nu-loop", ctx => Reply.Json(ctx, $$$"""{"results":{{{Body.Items(1)}}},"links":{"next":"/nu-loop/items?page=2"}}"""));

        var (pages, ex) = await new NextUrlItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1], pages.Ids());
        Assert.Equal(ExtractionErrorKind.PaginationLoop, ex.Kind);
        ex.AssertNames("NextUrlItems", 2, Url("/nu-loop/items?page=2"));
        Assert.Contains("links.next", ex.Message, StringComparison.Ordinal);
        Assert.Contains("loop forever", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, Requests("nu-loop").Count);
    }

    [Fact]
    public async Task A_next_url_that_is_not_http_is_an_unexpected_shape()
    {
        var input = Map("nu-ftp", ctx => Reply.Json(ctx, $$$"""{"results":{{{Body.Items(1)}}},"links":{"next":"ftp://example.com/x?api_key=s3cr3t"}}"""));

        var (pages, ex) = await new NextUrlItems(At).PagesUntilErrorAsync(input);

        Assert.Empty(pages);
        Assert.Equal(ExtractionErrorKind.UnexpectedShape, ex.Kind);
        Assert.Contains("not an http(s) URL", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", ex.Message, StringComparison.Ordinal);
    }
}
