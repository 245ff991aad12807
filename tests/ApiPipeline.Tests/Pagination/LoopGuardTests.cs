namespace ApiPipeline.Tests;

/// <summary>A server that keeps pointing back at pages already read must not make the extractor loop forever.</summary>
public sealed class LoopGuardTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task The_same_cursor_twice_in_a_row_is_a_pagination_loop()
    {
        var input = Map("loop-cursor", ctx => Reply.Json(ctx, $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":"stuck"}}"""));

        var (pages, ex) = await new CursorItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal(ExtractionErrorKind.PaginationLoop, ex.Kind);
        ex.AssertNames("CursorItems", 2, Url("/loop-cursor/items?limit=3&cursor=stuck"));
        Assert.Contains("the body at 'meta.next_cursor' returned the cursor 'stuck' a second time", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, Requests("loop-cursor").Count);
    }

    [Fact]
    public async Task A_cursor_that_comes_back_later_is_a_pagination_loop()
    {
        var input = Map("loop-cycle", ctx => Reply.Json(ctx, ctx.Request.Query["cursor"].ToString() switch
        {
            "" => $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":"a"}}""",
            "a" => $$$"""{"data":{{{Body.Items(4, 5, 6)}}},"meta":{"next_cursor":"b"}}""",
            _ => $$$"""{"data":{{{Body.Items(7, 8, 9)}}},"meta":{"next_cursor":"a"}}""",
        }));

        var (pages, ex) = await new CursorItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6], pages.Ids());
        Assert.Equal(ExtractionErrorKind.PaginationLoop, ex.Kind);
        Assert.Equal(3, ex.PageNumber);
        Assert.Equal(["", "a", "b"], Requests("loop-cycle").Select(r => r.Q("cursor") ?? ""));
    }

    [Fact]
    public async Task A_next_url_cycle_is_a_pagination_loop()
    {
        var input = Map("loop-urls", ctx => Reply.Json(ctx, ctx.Request.Query["page"].ToString() switch
        {
            "2" => $$$"""{"results":{{{Body.Items(2)}}},"links":{"next":"/loop-urls/items?page=3"}}""",
            "3" => $$$"""{"results":{{{Body.Items(3)}}},"links":{"next":"/loop-urls/items?page=2"}}""",
            _ => $$$"""{"results":{{{Body.Items(1)}}},"links":{"next":"/loop-urls/items?page=2"}}""",
        }));

        var (pages, ex) = await new NextUrlItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal(ExtractionErrorKind.PaginationLoop, ex.Kind);
        ex.AssertNames("NextUrlItems", 3, Url("/loop-urls/items?page=3"));
        Assert.Equal(3, Requests("loop-urls").Count);
    }
}
