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
    public async Task A_relative_next_link_after_a_redirect_is_resolved_against_the_redirect_target_and_keeps_its_secret_out()
    {
        var input = Map("lh-moved", ctx =>
        {
            if (ctx.Request.Path == "/lh-moved/items")
            {
                // A presigned location: its signature must not reach a checkpoint.
                return Reply.Redirect(ctx, "/lh-moved/v2/items?per_page=2&signature=s3cr3t-s1gnature");
            }

            if (ctx.Request.Query["page"].ToString() == "")
            {
                ctx.Response.Headers["Link"] = "<?page=2>; rel=\"next\"";
                return Reply.Json(ctx, Body.Items(1, 2));
            }

            return Reply.Json(ctx, Body.Items(3));
        });

        var pages = await new LinkHeaderItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal(["/lh-moved/items?per_page=2", "/lh-moved/v2/items?per_page=2&signature=s3cr3t-s1gnature", "/lh-moved/v2/items?page=2"], Targets("lh-moved"));
        Assert.Equal(Url("/lh-moved/v2/items?page=2"), pages[0].Next!.Url);
    }

    [Fact]
    public async Task A_next_link_back_to_where_a_redirect_led_is_a_pagination_loop()
    {
        var input = Map("lh-back", ctx =>
        {
            if (ctx.Request.Path == "/lh-back/items")
            {
                return Reply.Redirect(ctx, "/lh-back/v2/items?signature=s3cr3t-s1gnature");
            }

            // A fragment alone is the same document: following it would ask for the presigned URL again.
            ctx.Response.Headers["Link"] = "<#more>; rel=\"next\"";
            return Reply.Json(ctx, Body.Items(1, 2));
        });

        var (pages, ex) = await new LinkHeaderItems(At).PagesUntilErrorAsync(input);

        Assert.Empty(pages);
        Assert.Equal(ExtractionErrorKind.PaginationLoop, ex.Kind);
        Assert.DoesNotContain("s3cr3t", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, Requests("lh-back").Count);
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
