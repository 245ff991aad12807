using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

public sealed class CursorPaginationTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    /// <summary>Serves pages keyed by the ?cursor= value ("" for the first request).</summary>
    private static RequestDelegate ByCursor(Dictionary<string, string> pages) => ctx =>
        pages.TryGetValue(ctx.Request.Query["cursor"].ToString(), out var body)
            ? Reply.Json(ctx, body)
            : Reply.Json(ctx, """{"message":"unknown cursor"}""", 400);

    [Fact]
    public async Task Follows_the_body_cursor_and_stops_when_it_is_missing()
    {
        var input = Map("cursor-missing", ByCursor(new()
        {
            [""] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":"c2"}}""",
            ["c2"] = $$$"""{"meta":{"next_cursor":"c3"},"data":{{{Body.Items(4, 5, 6)}}}}""",
            ["c3"] = $$$"""{"data":{{{Body.Items(7)}}},"meta":{}}""",
        }));

        var pages = await new CursorItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6, 7], pages.Ids());
        Assert.Equal([1, 2, 3], pages.Select(p => p.Number));
        Assert.Equal(
            ["/cursor-missing/items?limit=3", "/cursor-missing/items?limit=3&cursor=c2", "/cursor-missing/items?limit=3&cursor=c3"],
            Targets("cursor-missing"));
        Assert.Null(pages[^1].Next);
        Assert.Equal(Url("/cursor-missing/items?limit=3&cursor=c2"), pages[0].Next!.Url);
    }

    [Fact]
    public async Task Stops_when_the_cursor_is_null()
    {
        var input = Map("cursor-null", ByCursor(new()
        {
            [""] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":"c2"}}""",
            ["c2"] = $$$"""{"data":{{{Body.Items(4)}}},"meta":{"next_cursor":null}}""",
        }));

        var pages = await new CursorItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4], pages.Ids());
        Assert.Equal(2, Requests("cursor-null").Count);
    }

    [Fact]
    public async Task Stops_when_the_cursor_is_an_empty_string()
    {
        var input = Map("cursor-empty", ByCursor(new()
        {
            [""] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":"c2"}}""",
            ["c2"] = $$$"""{"data":{{{Body.Items(4, 5, 6)}}},"meta":{"next_cursor":""}}""",
        }));

        var pages = await new CursorItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6], pages.Ids());
        Assert.Equal(2, Requests("cursor-empty").Count);
    }

    [Fact]
    public async Task Sends_a_numeric_cursor_as_its_digits()
    {
        var input = Map("cursor-number", ByCursor(new()
        {
            [""] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":1700000000123}}""",
            ["1700000000123"] = $$$"""{"data":{{{Body.Items(4)}}},"meta":{"next_cursor":null}}""",
        }));

        var pages = await new CursorItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4], pages.Ids());
        Assert.Equal("1700000000123", Requests("cursor-number")[1].Q("cursor"));
    }

    [Fact]
    public async Task Escapes_a_cursor_with_reserved_characters()
    {
        const string cursor = "a+b/c==&d";
        var input = Map("cursor-escape", ByCursor(new()
        {
            [""] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":{{{Body.Str(cursor)}}}}}""",
            [cursor] = $$$"""{"data":{{{Body.Items(4)}}},"meta":{}}""",
        }));

        var pages = await new CursorItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4], pages.Ids());
        var second = Requests("cursor-escape")[1];
        Assert.Equal(cursor, second.Q("cursor"));
        Assert.Equal("3", second.Q("limit"));
        Assert.Equal("/cursor-escape/items?limit=3&cursor=a%2Bb%2Fc%3D%3D%26d", second.RawTarget);
    }

    [Fact]
    public async Task Stops_when_has_more_is_false_even_with_a_cursor()
    {
        var input = Map("cursor-hasmore-false", ByCursor(new()
        {
            [""] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"has_more":true,"next_cursor":"c2"}}""",
            ["c2"] = $$$"""{"data":{{{Body.Items(4, 5, 6)}}},"meta":{"next_cursor":"c3","has_more":false}}""",
            ["c3"] = $$$"""{"data":{{{Body.Items(99)}}},"meta":{}}""",
        }));

        var pages = await new CursorItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3, 4, 5, 6], pages.Ids());
        Assert.Equal(2, Requests("cursor-hasmore-false").Count);
        Assert.Null(pages[^1].Next);
    }

    [Fact]
    public async Task Has_more_true_without_a_cursor_is_an_error()
    {
        var input = Map("cursor-hasmore-nocursor", ByCursor(new()
        {
            [""] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"has_more":true,"next_cursor":null}}""",
        }));

        var (pages, ex) = await new CursorItems(At).PagesUntilErrorAsync(input);

        Assert.Empty(pages);
        Assert.Equal(ExtractionErrorKind.UnexpectedShape, ex.Kind);
        ex.AssertNames("CursorItems", 1, Url("/cursor-hasmore-nocursor/items?limit=3"));
        Assert.Contains("meta.has_more", ex.Message, StringComparison.Ordinal);
        Assert.Contains("meta.next_cursor", ex.Message, StringComparison.Ordinal);
        Assert.Single(Requests("cursor-hasmore-nocursor"));
    }

    [Fact]
    public async Task Stops_on_an_empty_page_even_with_a_cursor()
    {
        var input = Map("cursor-emptypage", ByCursor(new()
        {
            [""] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":"c2"}}""",
            ["c2"] = """{"data":[],"meta":{"next_cursor":"c3"}}""",
            ["c3"] = $$$"""{"data":{{{Body.Items(99)}}}}""",
        }));

        var pages = await new CursorItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal(2, pages.Count);
        Assert.Equal(0, pages[1].Count);
        Assert.Equal(2, Requests("cursor-emptypage").Count);
    }

    [Fact]
    public async Task Null_records_mean_an_empty_page_and_end_the_run()
    {
        var input = Map("cursor-nullrecords", ByCursor(new()
        {
            [""] = $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":"c2"}}""",
            ["c2"] = """{"data":null,"meta":{"next_cursor":"c3"}}""",
        }));

        var pages = await new CursorItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal(0, pages[1].Count);
        Assert.Equal(2, Requests("cursor-nullrecords").Count);
    }

    [Fact]
    public async Task Sends_a_secret_input_member_but_never_shows_it()
    {
        Api.Map("/cursor-token", ctx => Reply.Json(ctx, ctx.Request.Query["cursor"].ToString() switch
        {
            "" => $$$"""{"data":{{{Body.Items(1)}}},"next":"c2"}""",
            _ => """{"data":[{"id":"abc","name":"bad"}]}""",
        }));

        var extractor = new TokenItems(At);
        var (pages, ex) = await extractor.PagesUntilErrorAsync(new TokenScenario("cursor-token", "t0k3n"));

        Assert.All(Requests("cursor-token"), r => Assert.Equal("t0k3n", r.Q("access_token")));
        Assert.Equal(Url("/cursor-token/items?access_token=***"), pages[0].Url);
        Assert.Equal(ExtractionErrorKind.RecordMismatch, ex.Kind);
        ex.AssertNames("TokenItems", 2, Url("/cursor-token/items?access_token=***&cursor=c2"));
        Assert.DoesNotContain("t0k3n", ex.Message, StringComparison.Ordinal);
    }
}
