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

    [Fact]
    public async Task An_api_that_ignores_the_offset_fails_at_the_second_page_naming_the_parameter()
    {
        // The API reads ?skip=, not ?offset=: every request gets the first page, and its total says there are more.
        var input = Map("loop-offset", ctx => Reply.Json(ctx, $$$"""{"meta":{"total":100},"data":{{{Body.Items(1, 2, 3)}}}}"""));

        var (pages, ex) = await new OffsetItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal(ExtractionErrorKind.PaginationLoop, ex.Kind);
        ex.AssertNames("OffsetItems", 2, Url("/loop-offset/items?limit=3&offset=3"));
        Assert.Contains("the second page holds exactly the records of the first; the API seems to ignore the 'offset' parameter", ex.Message, StringComparison.Ordinal);
        Assert.Contains("set OffsetParam (and LimitParam) of [Paginated]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, Requests("loop-offset").Count);
    }

    [Fact]
    public async Task An_api_that_ignores_the_page_number_fails_at_the_second_page_even_with_a_byte_order_mark()
    {
        // Full pages and no total: without the check this would run until MaxPages. The second page's envelope differs.
        var input = Map("loop-page", ctx => Reply.Json(ctx, $$$"""{{{"\uFEFF"}}}{"items":{{{Body.Items(1, 2)}}},"served_at":"{{{ctx.Request.Query["page"]}}}"}"""));

        var (pages, ex) = await new PageNumberItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal(ExtractionErrorKind.PaginationLoop, ex.Kind);
        Assert.Equal(2, ex.PageNumber);
        Assert.Contains("ignore the 'page' parameter", ex.Message, StringComparison.Ordinal);
        Assert.Contains("set PageParam of [Paginated]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_that_differ_only_in_their_last_record_go_on()
    {
        var input = Map("loop-almost", ctx => Reply.Json(ctx, ctx.Request.Query["page"].ToString() switch
        {
            "1" => $$$"""{"items":{{{Body.Items(1, 2)}}}}""",
            "2" => $$$"""{"items":{{{Body.Items(1, 3)}}}}""",
            _ => """{"items":[]}""",
        }));

        var pages = await new PageNumberItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 1, 3], pages.Ids());
    }
}
