namespace ApiPipeline.Tests;

/// <summary>How an input becomes the request URL: escaped path values, [Query] members, a fixed query, pagination parameters.</summary>
public sealed class BindingTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Escapes_path_values_and_formats_query_members()
    {
        Api.Map("/repos/bind one", ctx => Reply.Json(ctx, Body.Items(1)));
        var since = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2));

        var pages = await new IssueSearch(At).PagesAsync(new IssueQuery("bind one", "a/b c", State: "open", Since: since, Draft: true, MaxResults: 50, Archived: true));

        Assert.Equal([1], pages.Ids());
        var request = Assert.Single(Api.RequestsTo("/repos/bind one"));
        Assert.StartsWith("/repos/bind%20one/a%2Fb%20c/issues?state=open&since=", request.RawTarget, StringComparison.Ordinal);
        Assert.Equal(["state", "since", "draft", "max_results", "archived"], request.Query.Keys);
        Assert.Equal("open", request.Q("state"));
        Assert.Equal("2024-05-06T07:08:09.0000000+02:00", request.Q("since"));
        Assert.Equal(since, DateTimeOffset.Parse(request.Q("since")!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("true", request.Q("draft"));
        Assert.Equal("50", request.Q("max_results"));
        Assert.Equal("true", request.Q("archived"));
    }

    [Fact]
    public async Task Skips_null_query_members_and_sends_false_in_lowercase()
    {
        Api.Map("/repos/bind-two", ctx => Reply.Json(ctx, Body.Items(2)));

        await new IssueSearch(At).PagesAsync(new IssueQuery("bind-two", "repo"));

        Assert.Equal(["/repos/bind-two/repo/issues?max_results=30&archived=false"], Api.TargetsTo("/repos/bind-two"));
    }

    [Fact]
    public async Task Combines_a_fixed_query_with_query_members_and_pagination_parameters()
    {
        Api.Map("/fixed-query", ctx => Reply.Json(ctx, ctx.Request.Query["page"].ToString() switch
        {
            "1" => $$$"""{"items":{{{Body.Items(1, 2)}}}}""",
            "2" => $$$"""{"items":{{{Body.Items(3)}}}}""",
            _ => """{"items":[]}""",
        }));

        var pages = await new FixedQueryItems(At).PagesAsync(new LabelQuery("fixed-query", "good first"));

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal(
            [
                "/fixed-query/items?state=all&label=good%20first&page=1&per_page=2",
                "/fixed-query/items?state=all&label=good%20first&per_page=2&page=2",
                "/fixed-query/items?state=all&label=good%20first&per_page=2&page=3",
            ],
            Api.TargetsTo("/fixed-query"));
        Assert.All(Api.RequestsTo("/fixed-query"), r =>
        {
            Assert.Single(r.Query["state"]);
            Assert.Single(r.Query["page"]);
            Assert.Equal("good first", r.Q("label"));
        });
    }

    [Fact]
    public async Task Sends_accept_json_its_user_agent_compression_and_the_extra_headers_of_the_options()
    {
        var input = Map("bind-headers", ctx => Reply.Json(ctx, Body.Items(1)));
        var options = At with { Headers = new Dictionary<string, string> { ["X-Api-Version"] = "2024-01-01", ["Authorization"] = "Bearer abc" } };

        await new SingleRequestItems(options).PagesAsync(input);

        var request = Assert.Single(Requests("bind-headers"));
        Assert.Contains("application/json", request.Headers["Accept"], StringComparison.Ordinal);
        Assert.Equal("ApiPipeline/0.1", request.Headers["User-Agent"]);
        Assert.Contains("gzip", request.Headers["Accept-Encoding"], StringComparison.Ordinal);
        Assert.Equal("2024-01-01", request.Headers["X-Api-Version"]);
        Assert.Equal("Bearer abc", request.Headers["Authorization"]);
    }

    [Fact]
    public async Task Uses_the_given_http_client()
    {
        var input = Map("bind-client", ctx => Reply.Json(ctx, Body.Items(1)));
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("X-Client", "mine");

        await new SingleRequestItems(http, At).PagesAsync(input);

        Assert.Equal("mine", Assert.Single(Requests("bind-client")).Headers["X-Client"]);
    }

    [Fact]
    public async Task A_dot_dot_path_value_cannot_climb_out_of_its_segment()
    {
        Api.Map("/bind-dots", ctx => Reply.Json(ctx, Body.Items(666)));

        // Escaping ".." as one path segment must not turn it into a dot-segment that removes "/repos": either the value is
        // rejected or it reaches the server inside /repos/.
        var error = await Record.ExceptionAsync(() => new IssueSearch(At).PagesAsync(new IssueQuery("..", "bind-dots")));

        Assert.DoesNotContain(Api.Requests, r => r.RawTarget.StartsWith("/bind-dots/", StringComparison.Ordinal));
        Assert.True(error is null or ArgumentException or ExtractionException, $"unexpected {error?.GetType().Name}: {error?.Message}");
    }
}
