using System.Net;
using ApiPipeline.Tests.Resilience;

namespace ApiPipeline.Tests;

/// <summary>
/// Credentials and configured headers go only to the base URL's origin (scheme, host, port): a next link or a redirect that leaves
/// it gets neither, and a redirect within it keeps them.
/// </summary>
public sealed class CredentialOriginTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private const string Token = "t0k3n-secret-value";
    private const string Key = "k3y-7a1b2c3d4e5f";

    private static readonly ICredentialSource Secrets = CredentialSource.Create(name => name switch
    {
        "APIPIPELINE_TEST_API_KEY" => Key,
        "APIPIPELINE_TEST_TOKEN" => Token,
        _ => null,
    });

    [Fact]
    public async Task A_next_link_to_another_origin_gets_no_bearer_token_nor_configured_headers()
    {
        await using var elsewhere = await FaultServer.StartAsync((ctx, _) => Reply.Json(ctx, $$$"""{"results":{{{Body.Items(2)}}}}"""));
        var input = Map("origin-next", ctx => Reply.Json(ctx, $$$"""{"results":{{{Body.Items(1)}}},"links":{"next":"{{{elsewhere.BaseUrl}}}/origin-next/items?page=2"}}"""));
        var options = At with
        {
            Auth = new AuthOptions { Kind = AuthKind.Bearer, Secret = "APIPIPELINE_TEST_TOKEN" },
            Credentials = Secrets,
            Headers = new Dictionary<string, string> { ["X-Api-Key"] = Key },
        };

        var pages = await new NextUrlItems(options).PagesAsync(input);

        Assert.Equal([1, 2], pages.Ids());
        var home = Assert.Single(Requests("origin-next"));
        Assert.Equal("Bearer " + Token, home.Headers["Authorization"]);
        Assert.Equal(Key, home.Headers["X-Api-Key"]);
        var away = Assert.Single(elsewhere.Requests);
        Assert.Null(away.H("Authorization"));
        Assert.Null(away.H("X-Api-Key"));
    }

    [Fact]
    public async Task A_redirect_to_another_origin_gets_no_api_key_and_a_401_there_says_why()
    {
        await using var elsewhere = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 401, """{"message":"who are you"}"""));
        await using var api = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = elsewhere.BaseUrl + ctx.Request.Path + ctx.Request.QueryString;
            return Task.CompletedTask;
        });

        var (_, error) = await new ApiKeyHeaderRows(api.Options with { Credentials = Secrets }).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(Key, Assert.Single(api.Requests).H("X-API-Key"));
        Assert.Null(Assert.Single(elsewhere.Requests).H("X-API-Key"));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains("outside the base URL's origin", error.Message, StringComparison.Ordinal);
        Assert.Contains(elsewhere.BaseUrl, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_to_another_origin_that_keeps_the_query_does_not_carry_the_query_api_key_there()
    {
        await using var elsewhere = await FaultServer.StartAsync(Faults.PageApi(2));
        await using var api = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = 301;
            ctx.Response.Headers.Location = elsewhere.BaseUrl + ctx.Request.Path + ctx.Request.QueryString;
            return Task.CompletedTask;
        });

        var pages = await new ApiKeyQueryRows(api.Options with { Credentials = Secrets }).PagesAsync(new Shard("a")).Within();

        Assert.Equal([1, 2], pages.Ids());
        Assert.All(api.Requests, r => Assert.Equal(Key, r.Q("api_key")));
        Assert.NotEmpty(elsewhere.Requests);
        Assert.All(elsewhere.Requests, r => Assert.Null(r.Q("api_key")));
    }

    [Fact]
    public async Task A_secret_in_a_redirects_query_echoed_by_its_target_is_not_shown()
    {
        const string Signature = "5ig-0123456789abcdef0123";
        await using var elsewhere = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 403, $$"""{"code":"SignatureDoesNotMatch","signature_provided":"{{Signature}}"}"""));
        await using var api = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = elsewhere.BaseUrl + "/bucket/page.json?X-Amz-Signature=" + Signature;
            return Task.CompletedTask;
        });

        var (_, error) = await new PlainRows(api.Options).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.DoesNotContain(Signature, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Signature, error.BodySnippet ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_within_the_origin_keeps_the_bearer_token()
    {
        await using var api = await FaultServer.StartAsync((ctx, i) =>
        {
            if (ctx.Request.Path.StartsWithSegments("/a"))
            {
                ctx.Response.StatusCode = 301;
                ctx.Response.Headers.Location = "/moved" + ctx.Request.Path + ctx.Request.QueryString;
                return Task.CompletedTask;
            }

            return Faults.PageApi(5)(ctx, i);
        });

        var pages = await new BearerRows(api.Options with { Credentials = Secrets }).PagesAsync(new Shard("a")).Within();

        Assert.Equal([1, 2, 3, 4, 5], pages.Ids());
        Assert.Equal(6, api.Requests.Count); // two pages plus an empty third, each redirected once
        Assert.All(api.Requests, r => Assert.Equal("Bearer " + Token, r.H("Authorization")));
    }

    [Fact]
    public async Task A_redirect_loop_ends_as_its_3xx_status_without_retries()
    {
        await using var api = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = 307;
            ctx.Response.Headers.Location = ctx.Request.Path + ctx.Request.QueryString;
            return Task.CompletedTask;
        });

        var (_, error) = await new RetryingRows(api.Options).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal((ExtractionErrorKind.HttpStatus, HttpStatusCode.TemporaryRedirect), (error.Kind, error.StatusCode));
        Assert.Contains("redirected more than 10 times", error.Message, StringComparison.Ordinal);
        Assert.Equal(11, api.Requests.Count); // not retried: asking again gives the same answer
    }
}
