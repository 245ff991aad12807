namespace ApiPipeline.Tests;

public sealed class SingleRequestTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Makes_one_request_for_a_root_array()
    {
        var input = Map("none-root", ctx => Reply.Json(ctx, Body.Items(3, 1, 2)));

        var pages = await new SingleRequestItems(At).PagesAsync(input);

        var page = Assert.Single(pages);
        Assert.Equal([3, 1, 2], page.Ids());
        Assert.Equal(new Item(3, "item-3"), page[0]);
        Assert.Equal(1, page.Number);
        Assert.Null(page.Next);
        Assert.Equal(Url("/none-root/items"), page.Url);
        Assert.Equal(Body.Items(3, 1, 2).Length, page.BytesRead);
        Assert.Equal(["/none-root/items"], Targets("none-root"));
    }

    [Fact]
    public async Task Reads_a_single_object_at_the_records_path_as_one_record()
    {
        var input = Map("none-object", ctx => Reply.Json(ctx, """{"data":{"id":5,"name":"five","created_at":"2024-03-04T05:06:07Z"}}"""));

        var extractor = new DataItems(At);
        var pages = await extractor.PagesAsync(input);

        Assert.Equal("data-items", extractor.Name);
        var record = Assert.Single(Assert.Single(pages).Records.ToArray());
        Assert.Equal(new Item(5, "five", new DateTimeOffset(2024, 3, 4, 5, 6, 7, TimeSpan.Zero)), record);
        Assert.Single(Requests("none-object"));
    }

    [Fact]
    public async Task Ignores_pagination_hints_in_the_body()
    {
        var input = Map("none-hints", ctx =>
        {
            ctx.Response.Headers["Link"] = $"<{Reply.Root(ctx)}/none-hints/items?page=2>; rel=\"next\"";
            return Reply.Json(ctx, $$$"""{"data":{{{Body.Items(1, 2)}}},"next_cursor":"c2","has_more":true}""");
        });

        var pages = await new DataItems(At).PagesAsync(input);

        Assert.Equal([1, 2], pages.Ids());
        Assert.Single(Requests("none-hints"));
    }
}
