using System.Net;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>The test server itself: routing, recording, counting and shutdown.</summary>
public sealed class TestApiTests
{
    [Fact]
    public async Task Routes_by_longest_prefix_records_every_request_and_answers_404_otherwise()
    {
        await using var api = await TestApi.StartAsync(new Dictionary<string, RequestDelegate>
        {
            ["/a"] = ctx => Reply.Json(ctx, "\"a\""),
            ["/a/b"] = ctx => Reply.Json(ctx, "\"ab\""),
        });
        using var http = new HttpClient();

        Assert.Matches(@"^http://127\.0\.0\.1:\d+$", api.BaseUrl);
        Assert.Equal("\"a\"", await http.GetStringAsync(api.BaseUrl + "/a/x?q=1%202"));
        Assert.Equal("\"ab\"", await http.GetStringAsync(api.BaseUrl + "/a/b/c"));
        Assert.Equal("\"a\"", await http.GetStringAsync(api.BaseUrl + "/a"));
        var missing = await http.GetAsync(api.BaseUrl + "/ab");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(4, api.RequestCount);
        Assert.Equal(["/a/x?q=1%202", "/a/b/c", "/a", "/ab"], api.Requests.Select(r => r.RawTarget));
        Assert.Equal("1 2", api.Requests[0].Q("q"));
        Assert.Equal(["/a/x?q=1%202", "/a/b/c", "/a"], api.TargetsTo("/a"));
    }

    [Fact]
    public async Task Stops_listening_when_disposed()
    {
        var api = await TestApi.StartAsync(ctx => Reply.Json(ctx, "[]"));
        using var http = new HttpClient();
        Assert.Equal("[]", await http.GetStringAsync(api.BaseUrl + "/anything"));

        await api.DisposeAsync();

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(api.BaseUrl + "/anything"));
    }
}
