namespace ApiPipeline.Tests;

public sealed class PageNumberPaginationTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Stops_on_an_empty_page()
    {
        var input = Map("pn-empty", ctx => Reply.Json(ctx, ctx.Request.Query["page"].ToString() switch
        {
            "1" => $$$"""{"items":{{{Body.Items(1, 2)}}}}""",
            "2" => $$$"""{"items":{{{Body.Items(3, 4)}}}}""",
            "3" => """{"items":[]}""",
            _ => $$$"""{"items":{{{Body.Items(99)}}}}""",
        }));

        var pages = await new PageNumberItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4], pages.Ids());
        Assert.Equal(["/pn-empty/items?page=1&per_page=2", "/pn-empty/items?per_page=2&page=2", "/pn-empty/items?per_page=2&page=3"], Targets("pn-empty"));
    }

    [Fact]
    public async Task Stops_after_the_total_page_count()
    {
        var input = Map("pn-total", ctx => Reply.Json(ctx, ctx.Request.Query["page"].ToString() switch
        {
            "1" => $$$"""{"meta":{"total_pages":2},"items":{{{Body.Items(1, 2)}}}}""",
            "2" => $$$"""{"items":{{{Body.Items(3, 4)}}},"meta":{"total_pages":"2"}}""",
            _ => $$$"""{"items":{{{Body.Items(99)}}}}""",
        }));

        var pages = await new PageNumberItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4], pages.Ids());
        Assert.Equal(["1", "2"], Requests("pn-total").Select(r => r.Q("page")));
    }

    [Fact]
    public async Task Counts_from_a_zero_based_first_page_and_stops_on_an_empty_page()
    {
        var input = Map("pn-zero", ctx => Reply.Json(ctx, ctx.Request.Query["p"].ToString() switch
        {
            "0" => $$$"""{"items":{{{Body.Items(1, 2)}}}}""",
            "1" => $$$"""{"items":{{{Body.Items(3)}}}}""",
            "2" => """{"items":[]}""",
            _ => $$$"""{"items":{{{Body.Items(99)}}}}""",
        }));

        var pages = await new ZeroBasedPageItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal(["/pn-zero/items?p=0", "/pn-zero/items?p=1", "/pn-zero/items?p=2"], Targets("pn-zero"));
    }

    [Fact]
    public async Task Zero_based_pages_stop_after_the_total_page_count()
    {
        var input = Map("pn-zero-total", ctx => Reply.Json(ctx, ctx.Request.Query["p"].ToString() switch
        {
            "0" => $$$"""{"items":{{{Body.Items(1)}}},"total_pages":3}""",
            "1" => $$$"""{"items":{{{Body.Items(2)}}},"total_pages":3}""",
            "2" => $$$"""{"items":{{{Body.Items(3)}}},"total_pages":3}""",
            _ => $$$"""{"items":{{{Body.Items(99)}}},"total_pages":3}""",
        }));

        var pages = await new ZeroBasedPageItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal(["0", "1", "2"], Requests("pn-zero-total").Select(r => r.Q("p")));
    }

    [Fact]
    public async Task Advances_page_parameters_whose_names_need_escaping()
    {
        var input = Map("pn-jsonapi", ctx => Reply.Json(ctx, ctx.Request.Query["page[number]"].ToString() switch
        {
            "1" => $$$"""{"data":{{{Body.Items(1, 2)}}}}""",
            "2" => $$$"""{"data":{{{Body.Items(3, 4)}}}}""",
            _ => """{"data":[]}""",
        }));

        var pages = await new JsonApiPageItems(At).PagesAsync(input);

        Assert.Equal(["1", "2", "3"], Requests("pn-jsonapi").Select(r => r.Q("page[number]")));
        Assert.Equal([1, 2, 3, 4], pages.Ids());
        Assert.All(Requests("pn-jsonapi"), r => Assert.Equal("2", r.Q("page[size]")));
    }
}
