namespace ApiPipeline.Tests;

public sealed class LinkHeaderPaginationTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Follows_rel_next_among_several_links_and_stops_without_one()
    {
        var input = Map("lh-basic", ctx =>
        {
            string u = Reply.Root(ctx) + "/lh-basic/items?per_page=2&page=";
            switch (ctx.Request.Query["page"].ToString())
            {
                case "":
                    ctx.Response.Headers["Link"] = $"<{u}2>; rel=\"next\", <{u}3>; rel=\"last\"";
                    return Reply.Json(ctx, Body.Items(1, 2));
                case "2":
                    ctx.Response.Headers["Link"] = $"<{u}1>; rel=\"prev\", <{u}3>; rel=\"next\", <{u}3>; rel=\"last\", <{u}1>; rel=\"first\"";
                    return Reply.Json(ctx, Body.Items(3, 4));
                default:
                    ctx.Response.Headers["Link"] = $"<{u}2>; rel=\"prev\", <{u}1>; rel=\"first\"";
                    return Reply.Json(ctx, Body.Items(5));
            }
        });

        var pages = await new LinkHeaderItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5], pages.Ids());
        Assert.Equal(["/lh-basic/items?per_page=2", "/lh-basic/items?per_page=2&page=2", "/lh-basic/items?per_page=2&page=3"], Targets("lh-basic"));
        Assert.Null(pages[^1].Next);
    }

    [Fact]
    public async Task Finds_next_across_two_header_values_with_odd_spacing_and_several_rel_values()
    {
        var input = Map("lh-odd", ctx =>
        {
            string u = Reply.Root(ctx) + "/lh-odd/items?page=";
            switch (ctx.Request.Query["page"].ToString())
            {
                case "":
                    // Two Link header lines; the next link is in the second.
                    ctx.Response.Headers["Link"] = new Microsoft.Extensions.Primitives.StringValues([$"<{u}1>; rel=\"first\"", $"<{u}2>; rel=\"next\""]);
                    return Reply.Json(ctx, Body.Items(1, 2));
                case "2":
                    ctx.Response.Headers["Link"] = $"<{u}1>;rel=\"prev\", <{u}3> ; rel = \"next\"";
                    return Reply.Json(ctx, Body.Items(3, 4));
                case "3":
                    ctx.Response.Headers["Link"] = $"<{u}2>; rel=\"prev\", <{u}4>; rel=\"next last\"";
                    return Reply.Json(ctx, Body.Items(5, 6));
                case "4":
                    // A relative target with an unquoted rel.
                    ctx.Response.Headers["Link"] = "</lh-odd/items?page=5>; rel=next";
                    return Reply.Json(ctx, Body.Items(7, 8));
                default:
                    ctx.Response.Headers["Link"] = $"<{u}4>; rel=\"prev\"";
                    return Reply.Json(ctx, Body.Items(9));
            }
        });

        var pages = await new LinkHeaderItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9], pages.Ids());
        Assert.Equal(
            ["/lh-odd/items?per_page=2", "/lh-odd/items?page=2", "/lh-odd/items?page=3", "/lh-odd/items?page=4", "/lh-odd/items?page=5"],
            Targets("lh-odd"));
    }

    [Fact]
    public async Task A_next_link_to_the_current_page_is_a_pagination_loop()
    {
        var input = Map("lh-self", ctx =>
        {
            ctx.Response.Headers["Link"] = $"<{Reply.Root(ctx)}/lh-self/items?per_page=2>; rel=\"next\"";
            return Reply.Json(ctx, Body.Items(1, 2));
        });

        var (pages, ex) = await new LinkHeaderItems(At).PagesUntilErrorAsync(input);

        Assert.Empty(pages);
        Assert.Equal(ExtractionErrorKind.PaginationLoop, ex.Kind);
        ex.AssertNames("LinkHeaderItems", 1, Url("/lh-self/items?per_page=2"));
        Assert.Contains("Link header", ex.Message, StringComparison.Ordinal);
        Assert.Contains("loop forever", ex.Message, StringComparison.Ordinal);
        Assert.Single(Requests("lh-self"));
    }
}
