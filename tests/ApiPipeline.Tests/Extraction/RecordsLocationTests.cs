namespace ApiPipeline.Tests;

public sealed class RecordsLocationTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Reads_records_at_data()
    {
        var input = Map("loc-data", ctx => Reply.Json(ctx, $$$"""{"count":2,"data":{{{Body.Items(10, 11)}}},"extra":{"data":[{"id":99}]}}"""));

        var pages = await new DataItems(At).PagesAsync(input);

        Assert.Equal([10, 11], pages.Ids());
    }

    [Fact]
    public async Task Reads_records_at_items()
    {
        var input = Map("loc-items", ctx => Reply.Json(ctx, $$$"""{"data":{"items":[]},"items":{{{Body.Items(20, 21, 22)}}}}"""));

        var pages = await new ItemsPathItems(At).PagesAsync(input);

        Assert.Equal([20, 21, 22], pages.Ids());
    }

    [Fact]
    public async Task Reads_records_at_a_nested_path()
    {
        var input = Map("loc-nested", ctx => Reply.Json(ctx, $$$"""{"list":[{"id":98,"name":"x"}],"results":{"count":2,"list":{{{Body.Items(30, 31)}}},"more":false}}"""));

        var pages = await new NestedPathItems(At).PagesAsync(input);

        Assert.Equal([30, 31], pages.Ids());
    }

    [Fact]
    public async Task Reads_records_from_a_root_array()
    {
        var input = Map("loc-root", ctx => Reply.Json(ctx, Body.Items(40, 41)));

        var pages = await new SingleRequestItems(At).PagesAsync(input);

        Assert.Equal([40, 41], pages.Ids());
    }

    [Fact]
    public async Task A_missing_records_path_is_an_unexpected_shape_naming_the_path()
    {
        var input = Map("loc-missing", ctx => Reply.Json(ctx, $$$"""{"results":{"items":{{{Body.Items(1)}}}}}"""));

        var (pages, ex) = await new NestedPathItems(At).PagesUntilErrorAsync(input);

        Assert.Empty(pages);
        Assert.Equal(ExtractionErrorKind.UnexpectedShape, ex.Kind);
        ex.AssertNames("NestedPathItems", 1, Url("/loc-missing/items"));
        Assert.Contains("'results.list'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("records path", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_object_body_where_a_root_array_is_expected_is_an_unexpected_shape()
    {
        var input = Map("loc-notarray", ctx => Reply.Json(ctx, $$$"""{"data":{{{Body.Items(1)}}}}"""));

        var (_, ex) = await new SingleRequestItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(ExtractionErrorKind.UnexpectedShape, ex.Kind);
        ex.AssertNames("SingleRequestItems", 1, Url("/loc-notarray/items"));
        Assert.Contains("RecordsPath", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scalar_at_the_records_path_is_an_unexpected_shape()
    {
        var input = Map("loc-scalar", ctx => Reply.Json(ctx, """{"data":42}"""));

        var (_, ex) = await new DataItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(ExtractionErrorKind.UnexpectedShape, ex.Kind);
        ex.AssertNames("data-items", 1, Url("/loc-scalar/items"));
        Assert.Contains("at 'data', found a number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Null_at_the_records_path_is_an_empty_page()
    {
        var input = Map("loc-null", ctx => Reply.Json(ctx, """{"data":null}"""));

        var page = Assert.Single(await new DataItems(At).PagesAsync(input));

        Assert.Equal(0, page.Count);
        Assert.Null(page.Next);
    }
}
