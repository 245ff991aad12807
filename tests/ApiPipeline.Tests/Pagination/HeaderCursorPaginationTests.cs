namespace ApiPipeline.Tests;

public sealed class HeaderCursorPaginationTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Follows_the_header_cursor_and_stops_when_it_is_absent()
    {
        var input = Map("hc-basic", ctx =>
        {
            switch (ctx.Request.Query["after"].ToString())
            {
                case "":
                    ctx.Response.Headers["X-Next-Cursor"] = "h2";
                    return Reply.Json(ctx, Body.Items(1, 2));
                case "h2":
                    ctx.Response.Headers["X-Next-Cursor"] = "h3";
                    return Reply.Json(ctx, Body.Items(3, 4));
                case "h3":
                    return Reply.Json(ctx, Body.Items(5));
                default:
                    return Reply.Json(ctx, "{}", 400);
            }
        });

        var pages = await new HeaderCursorItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5], pages.Ids());
        Assert.Equal(["/hc-basic/items", "/hc-basic/items?after=h2", "/hc-basic/items?after=h3"], Targets("hc-basic"));
        Assert.Null(pages[^1].Next);
    }

    [Fact]
    public async Task A_header_cursor_seen_before_is_a_pagination_loop()
    {
        var input = Map("hc-loop", ctx =>
        {
            ctx.Response.Headers["X-Next-Cursor"] = "same";
            return Reply.Json(ctx, Body.Items(1));
        });

        var (pages, ex) = await new HeaderCursorItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1], pages.Ids());
        Assert.Equal(ExtractionErrorKind.PaginationLoop, ex.Kind);
        ex.AssertNames("HeaderCursorItems", 2, Url("/hc-loop/items?after=same"));
        Assert.Contains("'same' a second time", ex.Message, StringComparison.Ordinal);
        Assert.Contains("X-Next-Cursor", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, Requests("hc-loop").Count);
    }
}
