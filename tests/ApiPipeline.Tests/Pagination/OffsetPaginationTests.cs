using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

public sealed class OffsetPaginationTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    /// <summary>Serves <paramref name="pages"/> keyed by ?offset=.</summary>
    private static RequestDelegate ByOffset(Dictionary<string, string> pages) => ctx =>
        pages.TryGetValue(ctx.Request.Query["offset"].ToString(), out var body) ? Reply.Json(ctx, body) : Reply.Json(ctx, """{"message":"bad offset"}""", 400);

    [Fact]
    public async Task Stops_on_a_short_page()
    {
        var input = Map("off-short", ByOffset(new()
        {
            ["0"] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}}}""",
            ["3"] = $$$"""{"data":{{{Body.Items(4, 5, 6)}}}}""",
            ["6"] = $$$"""{"data":{{{Body.Items(7)}}}}""",
        }));

        var pages = await new OffsetItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6, 7], pages.Ids());
        Assert.Equal(["/off-short/items?offset=0&limit=3", "/off-short/items?limit=3&offset=3", "/off-short/items?limit=3&offset=6"], Targets("off-short"));
        Assert.All(Requests("off-short"), r => Assert.Equal("3", r.Q("limit")));
    }

    [Fact]
    public async Task A_short_page_goes_on_while_the_total_says_more_remain_as_when_an_api_caps_the_limit()
    {
        // Asked for 3 per page, the API sends at most 2; its total (7) says where the records end.
        var input = Map("off-capped", ByOffset(new()
        {
            ["0"] = $$$"""{"meta":{"total":7},"data":{{{Body.Items(1, 2)}}}}""",
            ["2"] = $$$"""{"meta":{"total":7},"data":{{{Body.Items(3, 4)}}}}""",
            ["4"] = $$$"""{"meta":{"total":7},"data":{{{Body.Items(5, 6)}}}}""",
            ["6"] = $$$"""{"meta":{"total":7},"data":{{{Body.Items(7)}}}}""",
        }));

        var pages = await new OffsetItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6, 7], pages.Ids());
        Assert.Equal(["0", "2", "4", "6"], Requests("off-capped").Select(r => r.Q("offset")));
    }

    [Fact]
    public async Task Stops_on_an_empty_page()
    {
        var input = Map("off-empty", ByOffset(new()
        {
            ["0"] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}}}""",
            ["3"] = $$$"""{"data":{{{Body.Items(4, 5, 6)}}}}""",
            ["6"] = """{"data":[]}""",
        }));

        var pages = await new OffsetItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6], pages.Ids());
        Assert.Equal(["0", "3", "6"], Requests("off-empty").Select(r => r.Q("offset")));
        Assert.Equal(3, pages.Count);
        Assert.Null(pages[^1].Next);
    }

    [Fact]
    public async Task Stops_when_the_offset_reaches_the_total()
    {
        var input = Map("off-total", ByOffset(new()
        {
            ["0"] = $$$"""{"meta":{"total":6},"data":{{{Body.Items(1, 2, 3)}}}}""",
            ["3"] = $$$"""{"data":{{{Body.Items(4, 5, 6)}}},"meta":{"total":6}}""",
            ["6"] = $$$"""{"data":{{{Body.Items(99)}}}}""",
        }));

        var pages = await new OffsetItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6], pages.Ids());
        Assert.Equal(["0", "3"], Requests("off-total").Select(r => r.Q("offset")));
    }

    [Fact]
    public async Task Advances_by_the_records_received_when_no_page_size_is_sent()
    {
        var input = Map("off-received", ByOffset(new()
        {
            ["0"] = $$$"""{"data":{{{Body.Items(1, 2)}}}}""",
            ["2"] = $$$"""{"data":{{{Body.Items(3, 4, 5)}}}}""",
            ["5"] = $$$"""{"data":{{{Body.Items(6)}}}}""",
            ["6"] = """{"data":[]}""",
        }));

        var pages = await new OffsetItems(At with { PageSize = 0 }).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6], pages.Ids());
        Assert.Equal(["/off-received/items?offset=0", "/off-received/items?offset=2", "/off-received/items?offset=5", "/off-received/items?offset=6"], Targets("off-received"));
    }

    [Fact]
    public async Task Advances_offset_parameters_whose_names_need_escaping()
    {
        var input = Map("off-jsonapi", ctx => Reply.Json(ctx, ctx.Request.Query["page[offset]"].ToString() switch
        {
            "0" => $$$"""{"data":{{{Body.Items(1, 2)}}}}""",
            "2" => $$$"""{"data":{{{Body.Items(3, 4)}}}}""",
            _ => """{"data":[]}""",
        }));

        var pages = await new JsonApiOffsetItems(At).PagesAsync(input);

        Assert.Equal(["0", "2", "4"], Requests("off-jsonapi").Select(r => r.Q("page[offset]")));
        Assert.Equal([1, 2, 3, 4], pages.Ids());
    }
}
