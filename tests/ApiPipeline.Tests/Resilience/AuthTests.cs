using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ApiPipeline.Tests.Resilience;

/// <summary>HTTP Basic with next links in the body (<c>next</c>).</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.NextUrl, RecordsPath = "data", NextUrlPath = "next")]
[Auth(AuthKind.Basic, Id = "APIPIPELINE_TEST_USER", Secret = "APIPIPELINE_TEST_PASSWORD")]
public partial class BasicNextRows : IExtractor<Shard, Row>;

/// <summary>
/// API key (header or query), bearer, Basic and OAuth 2.0 client credentials against the fault server; secrets come from a credential
/// source by name and never appear in page URLs, checkpoints, exception messages, dead-letter files or output.
/// </summary>
public sealed class AuthTests
{
    private const string Key = "k3y-7a1b2c3d4e5f";
    private const string Token = "b34r3r-0f9e8d7c6b5a";
    private const string User = "robot";
    private const string Password = "pa55-w0rd-99887766";
    private const string ClientId = "client-42";
    private const string ClientSecret = "cl13nt-s3cr3t-5566";

    private static readonly ICredentialSource Secrets = CredentialSource.Create(name => name switch
    {
        "APIPIPELINE_TEST_API_KEY" => Key,
        "APIPIPELINE_TEST_TOKEN" => Token,
        "APIPIPELINE_TEST_USER" => User,
        "APIPIPELINE_TEST_PASSWORD" => Password,
        "APIPIPELINE_TEST_CLIENT_ID" => ClientId,
        "APIPIPELINE_TEST_CLIENT_SECRET" => ClientSecret,
        _ => null,
    });

    [Fact]
    public async Task An_api_key_goes_in_the_x_api_key_header()
    {
        await using var server = await FaultServer.StartAsync(Faults.PageApi(5));

        var pages = await new ApiKeyHeaderRows(server.Options with { Credentials = Secrets }).PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 5), pages.Ids());
        Assert.All(server.Requests, r => Assert.Equal(Key, r.H("X-API-Key")));
    }

    [Fact]
    public async Task A_query_api_key_is_added_at_send_time_only_and_never_shows_in_urls_or_checkpoints()
    {
        await using var server = await FaultServer.StartAsync(Faults.PageApi(5));

        var pages = await new ApiKeyQueryRows(server.Options with { Credentials = Secrets }).PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 5), pages.Ids());
        Assert.All(server.Requests, r => Assert.Equal(Key, r.Q("api_key")));
        Assert.All(pages, p => Assert.DoesNotContain("api_key", p.Url, StringComparison.Ordinal));
        Assert.DoesNotContain(Key, pages[0].Next!.Url, StringComparison.Ordinal);
        Assert.Equal(server.BaseUrl + "/a/items?per_page=3&page=2", pages[0].Next!.Url);
    }

    [Fact]
    public async Task A_query_api_key_that_the_api_echoes_into_its_next_link_is_dropped_from_it()
    {
        // The API builds its next link from the request URL, key included, as many do.
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            int page = int.TryParse(ctx.Request.Query["page"], System.Globalization.CultureInfo.InvariantCulture, out int p) ? p : 1;
            var headers = new Dictionary<string, string>();
            if (page < 3)
            {
                headers["Link"] = $"<http://{ctx.Request.Host}{ctx.Request.Path}?access={Uri.EscapeDataString(ctx.Request.Query["access"].ToString())}&page={page + 1}>; rel=\"next\"";
            }

            return Faults.Json(ctx, Faults.Page(((page - 1) * 3) + 1, 3), 200, headers);
        });
        var extractor = new ApiKeyQueryLinkRows(server.Options with { Credentials = Secrets });

        var pages = await extractor.PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 9), pages.Ids());
        Assert.All(server.Requests, r => Assert.Equal(Key, r.Q("access")));
        Assert.All(pages, p => Assert.DoesNotContain(Key, p.Url + p.Next?.Url, StringComparison.Ordinal));
        Assert.Equal(server.BaseUrl + "/a/items?page=2", pages[0].Next!.Url);

        // A run resumed from that checkpoint still sends the key.
        var resumed = await extractor.PagesAsync(new Shard("a"), pages[0].Next).Within();
        Assert.Equal(Extract.Range(4, 9), resumed.Ids());
        Assert.Equal(Key, server.Requests[^1].Q("access"));
    }

    [Fact]
    public async Task A_secret_across_the_cut_of_a_body_excerpt_is_removed_whole()
    {
        // The token starts 10 characters before the 300-character excerpt of the message ends.
        await using var server = await FaultServer.StartAsync(Faults.PageApi(3, (ctx, _, _) => Faults.Status(ctx, 400, new string('x', 290) + Token + " was refused")));

        var (_, error) = await new BearerRows(server.Options with { Credentials = Secrets, Resilience = ResilienceOptions.None }).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains(new string('x', 290) + "***", error.Message, StringComparison.Ordinal);
        foreach (var text in new[] { error.Message, error.Detail, error.BodySnippet! })
        {
            Assert.DoesNotContain(Token[..6], text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_secret_is_also_removed_in_the_forms_a_json_body_may_carry_it()
    {
        const string Secret = "ab/c+d=";
        var secrets = new SecretScrubber();
        secrets.Add(Secret);
        string json = System.Text.Json.JsonSerializer.Serialize(Secret)[1..^1]; // ab/c\u002Bd=
        Assert.NotEqual(Secret, json);

        Assert.Equal("*** *** *** ***", secrets.Scrub($"{Secret} {Uri.EscapeDataString(Secret)} ab\\/c+d= {json}"));
    }

    [Fact]
    public async Task OAuth2_a_token_that_lives_no_longer_than_RefreshBefore_is_still_reused()
    {
        // 60 s, the default RefreshBefore: it is fetched again halfway through its life, not before every request.
        await using var server = await FaultServer.StartAsync(OAuthApi(total: 8, tokenLifetime: 60));

        var pages = await new OAuthRows(OAuthOptions(server)).PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 8), pages.Ids());
        Assert.Single(server.Requests, r => r.Path == "/token");
    }

    [Fact]
    public async Task OAuth2_a_very_long_expires_in_is_a_token_cached_for_long_not_a_crash()
    {
        // 1e12 s (~31,700 years): RFC 6749 puts no upper bound on expires_in; some servers send huge values for "never expires".
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync((ctx, i) => ctx.Request.Path == "/token"
            ? Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":1000000000000}""")
            : api(ctx, i));
        var clock = new TestClock();
        var extractor = new OAuthRows(OAuthOptions(server) with { TimeProvider = clock });

        var pages = await extractor.PagesAsync(new Shard("a")).Within();
        clock.Advance(TimeSpan.FromDays(365 * 99));
        await extractor.PagesAsync(new Shard("a")).Within();

        Assert.Equal([1, 2], pages.Ids());
        Assert.Single(server.Requests, r => r.Path == "/token");
    }

    [Fact]
    public async Task A_bearer_token_goes_in_the_authorization_header()
    {
        await using var server = await FaultServer.StartAsync(Faults.PageApi(2));

        await new BearerRows(server.Options with { Credentials = Secrets }).PagesAsync(new Shard("a")).Within();

        Assert.Equal("Bearer " + Token, server.Requests[0].H("Authorization"));
    }

    [Fact]
    public async Task Basic_sends_the_user_name_and_password_base64_encoded()
    {
        await using var server = await FaultServer.StartAsync(Faults.PageApi(2));

        await new BasicRows(server.Options with { Credentials = Secrets }).PagesAsync(new Shard("a")).Within();

        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password)), server.Requests[0].H("Authorization"));
    }

    [Fact]
    public async Task The_default_credential_source_reads_the_environment_variable_named_by_the_attribute()
    {
        string name = "APIPIPELINE_TEST_ENV_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, Token);
        try
        {
            await using var server = await FaultServer.StartAsync(Faults.PageApi(2));
            var options = server.Options with { Auth = BearerRows.Definition.Auth! with { Secret = name } };

            await new BearerRows(options).PagesAsync(new Shard("a")).Within();

            Assert.Equal("Bearer " + Token, server.Requests[0].H("Authorization"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task A_missing_secret_fails_before_any_request_naming_the_variable_and_ends_a_continuing_run()
    {
        await using var server = await FaultServer.StartAsync(Faults.PageApi(2));
        using var temp = new TempFolder();
        await using var output = new JsonlOutput<Row>(ResilienceJson.Default.Row, new() { Directory = temp.Path, Name = "rows" });
        var extractor = new ApiKeyQueryRows(server.Options with { Credentials = CredentialSource.Create(_ => null) });

        var result = await new Pipeline<Shard, Row>("rows", extractor, output).ExecuteAsync(new Shard("a")).Within();

        Assert.Equal(PipelineStatus.Failed, result.Status);
        var error = Assert.IsType<ExtractionException>(result.Error);
        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains("'APIPIPELINE_TEST_API_KEY' is not set", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.RequestCount);
    }

    [Fact]
    public async Task OAuth2_fetches_one_token_with_a_post_and_reuses_it_for_every_page()
    {
        await using var server = await FaultServer.StartAsync(OAuthApi(total: 8, tokenLifetime: 3600));
        var extractor = new OAuthRows(OAuthOptions(server));

        var pages = await extractor.PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 8), pages.Ids());
        var token = Assert.Single(server.Requests, r => r.Path == "/token");
        Assert.Equal("POST", token.Method);
        Assert.Equal(
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = ClientId, ["client_secret"] = ClientSecret, ["scope"] = "rows:read" },
            token.Form);
        Assert.All(server.Requests.Where(r => r.Path != "/token"), r => Assert.Equal("Bearer token-1", r.H("Authorization")));
    }

    [Fact]
    public async Task OAuth2_refreshes_the_token_before_it_expires()
    {
        var clock = new TestClock();
        await using var server = await FaultServer.StartAsync(OAuthApi(total: 2, tokenLifetime: 600));
        var extractor = new OAuthRows(OAuthOptions(server) with { TimeProvider = clock });

        await extractor.PagesAsync(new Shard("a")).Within();
        clock.Advance(TimeSpan.FromSeconds(539));
        await extractor.PagesAsync(new Shard("a")).Within();
        clock.Advance(TimeSpan.FromSeconds(2));
        await extractor.PagesAsync(new Shard("a")).Within();

        // Valid for 600 s, replaced 60 s (RefreshBefore) before expiry: at 541 s the second token is fetched.
        Assert.Equal(2, server.Requests.Count(r => r.Path == "/token"));
        Assert.Equal(
            ["Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-2", "Bearer token-2"],
            server.Requests.Where(r => r.Path != "/token").Select(r => r.H("Authorization")));
    }

    [Fact]
    public async Task OAuth2_an_early_refresh_that_fails_keeps_using_the_token_that_has_not_expired_yet()
    {
        // Valid 600 s, replaced from 540 s (RefreshBefore 60 s). At 541 s the token endpoint is down: token-1 is still good for 59 s.
        var clock = new TestClock();
        int tokenCalls = 0;
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync((ctx, i) =>
        {
            if (ctx.Request.Path == "/token")
            {
                return Interlocked.Increment(ref tokenCalls) == 1
                    ? Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":600}""")
                    : Faults.Status(ctx, 503);
            }

            return api(ctx, i);
        });
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(lines)));
        var extractor = new OAuthRows(OAuthOptions(server) with { TimeProvider = clock, Resilience = ResilienceOptions.None, LoggerFactory = logging });

        await extractor.PagesAsync(new Shard("a")).Within();
        clock.Advance(TimeSpan.FromSeconds(541));
        var pages = await extractor.PagesAsync(new Shard("a")).Within();

        Assert.Equal([1, 2], pages.Ids());
        Assert.All(server.Requests.Where(r => r.Path != "/token"), r => Assert.Equal("Bearer token-1", r.H("Authorization")));
        Assert.Equal(2, tokenCalls); // the first token, then one refresh attempt: the next is due 5 s later, not at the next page
        var warnings = lines.Where(l => l.StartsWith("Warning 2007 ", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.Contains("Extractor 'OAuthRows': refreshing the OAuth 2.0 token failed", warnings[0], StringComparison.Ordinal);
        Assert.Contains("503", warnings[0], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.DoesNotContain(ClientSecret, l, StringComparison.Ordinal));

        // Once expired, the failing refresh fails the page.
        clock.Advance(TimeSpan.FromSeconds(59));
        var (_, error) = await extractor.PagesUntilErrorAsync(new Shard("a")).Within();
        Assert.Equal((ExtractionErrorKind.HttpStatus, HttpStatusCode.ServiceUnavailable), (error.Kind, error.StatusCode));
        Assert.Contains("token endpoint", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, server.Requests.Count(r => r.Path != "/token"));
    }

    [Fact]
    public async Task OAuth2_a_token_rejected_with_401_is_not_reused_when_the_refresh_fails()
    {
        var clock = new TestClock();
        int tokenCalls = 0;
        bool revoked = false;
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync((ctx, i) =>
        {
            if (ctx.Request.Path == "/token")
            {
                return Interlocked.Increment(ref tokenCalls) == 1
                    ? Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":600}""")
                    : Faults.Status(ctx, 503);
            }

            return Volatile.Read(ref revoked) ? Faults.Status(ctx, 401, """{"error":"invalid_token"}""") : api(ctx, i);
        });
        var extractor = new OAuthRows(OAuthOptions(server) with { TimeProvider = clock, Resilience = ResilienceOptions.None });

        await extractor.PagesAsync(new Shard("a")).Within();
        clock.Advance(TimeSpan.FromSeconds(541));
        Volatile.Write(ref revoked, true);
        var (_, error) = await extractor.PagesUntilErrorAsync(new Shard("a")).Within();

        // The early refresh fails and token-1 is tried once; its 401 drops it, and the forced refresh failing fails the page.
        Assert.Equal((ExtractionErrorKind.HttpStatus, HttpStatusCode.ServiceUnavailable), (error.Kind, error.StatusCode));
        Assert.Equal(3, server.Requests.Count(r => r.Path != "/token"));
        Assert.Equal(3, tokenCalls);
    }

    [Fact]
    public async Task A_token_the_api_echoes_into_its_next_link_stays_out_of_checkpoints_and_errors()
    {
        // A Graph-API-style next link repeats the token the client authenticated with, plainly or escaped; the third page fails.
        await using var server = await FaultServer.StartAsync((ctx, i) => i switch
        {
            1 => Faults.Json(ctx, Faults.Page(1, 1, $"\"next\":\"{ctx.Request.Path}?after=1&access_token={Token}\"")),
            2 => Faults.Json(ctx, Faults.Page(2, 1, $"\"next\":\"{ctx.Request.Path}?access_token={Uri.EscapeDataString(Token).Replace("-", "%2D", StringComparison.Ordinal)}&after=2\"")),
            _ => Faults.Status(ctx, 404),
        });

        var (pages, ex) = await new BearerNextRows(server.Options with { Credentials = Secrets }).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 2), pages.Ids());
        Assert.Equal([server.BaseUrl + "/a/items?after=1", server.BaseUrl + "/a/items?after=2"], pages.Select(p => p.Next!.Url));
        Assert.Equal(server.BaseUrl + "/a/items?after=2", ex.Resume!.Url);
        Assert.DoesNotContain(Token, ex.ToString(), StringComparison.Ordinal);
        Assert.All(server.Requests.Skip(1), r => Assert.Null(r.Q("access_token")));
        Assert.All(server.Requests, r => Assert.Equal("Bearer " + Token, r.H("Authorization")));
    }

    [Fact]
    public async Task A_short_password_does_not_take_a_next_links_own_value_of_the_same_text()
    {
        var secrets = CredentialSource.Create(name => name switch { "APIPIPELINE_TEST_TOKEN" => "2", _ => null });
        await using var server = await FaultServer.StartAsync((ctx, i) =>
            Faults.Json(ctx, Faults.Page(i, 1, i < 3 ? $"\"next\":\"{ctx.Request.Path}?page={i + 1}\"" : "\"next\":null")));

        var pages = await new BearerNextRows(server.Options with { Credentials = secrets }).PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 3), pages.Ids());
        Assert.Equal(["2", "3"], server.Requests.Skip(1).Select(r => r.Q("page")));
    }

    [Fact]
    public async Task OAuth2_a_request_sent_again_with_a_refreshed_token_counts_against_the_hosts_rate_limit()
    {
        // Each token serves one request, so every page is sent twice: a 401, then again with a new token. The API allows 10 requests
        // a second (a bucket of 10) and answers 429 beyond, as does the extractor's limiter.
        var bucket = new ServerBucket(10);
        var used = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var api = OAuthApi(total: 30, tokenLifetime: 3600, rejects: auth => used.AddOrUpdate(auth!, 1, (_, n) => n + 1) > 1);
        await using var server = await FaultServer.StartAsync((ctx, i) => ctx.Request.Path == "/token" || bucket.TryTake() ? api(ctx, i) : Faults.TooManySeconds(ctx, 1));
        var options = OAuthOptions(server) with
        {
            Resilience = OAuthRows.Definition.Resilience with { RateLimit = new RateLimitOptions { RequestsPerSecond = 10 } },
        };

        var pages = await new OAuthRows(options).PagesAsync(new Shard("a")).Within(30);

        Assert.Equal(0, bucket.Rejected);
        Assert.Equal(Extract.Range(1, 30), pages.Ids());
        Assert.Equal(1 + (10 * 2), server.Requests.Count(r => r.Path != "/token")); // 11 pages (the last one empty), each after the first sent twice
    }

    [Fact]
    public async Task OAuth2_fetches_a_new_token_once_on_a_401_and_a_second_401_fails()
    {
        string? revoked = null;
        await using var server = await FaultServer.StartAsync(OAuthApi(total: 5, tokenLifetime: 3600, rejects: auth => auth == revoked));
        var extractor = new OAuthRows(OAuthOptions(server));

        var first = await extractor.PagesAsync(new Shard("a")).Within();
        revoked = "Bearer token-1";
        var second = await extractor.PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 5), first.Ids());
        Assert.Equal(Extract.Range(1, 5), second.Ids());
        Assert.Equal(2, server.Requests.Count(r => r.Path == "/token"));
        Assert.All(second, p => Assert.Equal(1, p.Attempts));

        await using var always = await FaultServer.StartAsync(OAuthApi(total: 5, tokenLifetime: 3600, rejects: _ => true));
        var (_, error) = await new OAuthRows(OAuthOptions(always)).PagesUntilErrorAsync(new Shard("a")).Within();
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal(ExtractionErrorKind.HttpStatus, error.Kind);
        Assert.Equal(2, always.Requests.Count(r => r.Path == "/token"));
        Assert.Equal(2, always.Requests.Count(r => r.Path != "/token"));
    }

    [Fact]
    public async Task OAuth2_a_refused_client_is_an_authentication_error_and_a_failing_token_endpoint_is_retried()
    {
        await using var refused = await FaultServer.StartAsync((ctx, _) => ctx.Request.Path == "/token"
            ? Faults.Json(ctx, $$"""{"error":"invalid_client","client_secret":"{{ClientSecret}}"}""", 401)
            : Faults.Json(ctx, Faults.Page(1, 1)));

        var (_, error) = await new OAuthRows(OAuthOptions(refused)).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains("token endpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid_client", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientSecret, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, refused.RequestCount);

        int tokenCalls = 0;
        await using var flaky = await FaultServer.StartAsync((ctx, i) => ctx.Request.Path == "/token" && Interlocked.Increment(ref tokenCalls) == 1
            ? Faults.Status(ctx, 503)
            : OAuthApi(total: 2, tokenLifetime: 3600)(ctx, i));
        var pages = await new OAuthRows(OAuthOptions(flaky)).PagesAsync(new Shard("a")).Within();
        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal(2, pages[0].Attempts);
    }

    [Fact]
    public async Task OAuth2_a_200_error_answer_of_the_token_endpoint_says_what_the_error_is()
    {
        // GitHub, among others, answers token errors with 200 and {"error":..., "error_description":...}.
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Request.Path == "/token"
            ? Faults.Json(ctx, $$"""{"error":"invalid_scope","error_description":"rows:read is not allowed for this client ({{ClientSecret}})"}""")
            : Faults.Json(ctx, Faults.Page(1, 1)));

        var (_, error) = await new OAuthRows(OAuthOptions(server)).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains("answered without an access_token (error: invalid_scope: rows:read is not allowed for this client (***))", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientSecret, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OAuth2_a_huge_token_answer_without_a_length_is_read_only_up_to_the_limit()
    {
        // A chunked body (no Content-Length) of 2 MB: the limit must hold while reading, not only against a declared length.
        await using var server = await FaultServer.StartAsync(async (ctx, _) =>
        {
            if (ctx.Request.Path != "/token")
            {
                await Faults.Json(ctx, Faults.Page(1, 1));
                return;
            }

            ctx.Response.ContentType = "application/json";
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            for (int i = 0; i < 32 && !ctx.RequestAborted.IsCancellationRequested; i++)
            {
                await ctx.Response.Body.WriteAsync(chunk);
                await ctx.Response.Body.FlushAsync();
            }
        });

        var (_, error) = await new OAuthRows(OAuthOptions(server)).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains("answered with a body of more than 1,048,576 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OAuth2_a_4xx_error_answer_of_the_token_endpoint_shows_the_error_and_its_description()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Request.Path == "/token"
            ? Faults.Json(ctx, $$"""{"error":"invalid_scope","error_description":"rows:read is not allowed for this client ({{ClientSecret}})"}""", 400)
            : Faults.Json(ctx, Faults.Page(1, 1)));

        var (_, error) = await new OAuthRows(OAuthOptions(server)).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains("answered 400 Bad Request (error: invalid_scope: rows:read is not allowed for this client (***))", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientSecret, error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OAuth2_a_posted_client_secret_that_the_token_endpoint_echoes_form_encoded_stays_out_of_the_error(bool inJson)
    {
        // client_secret_post: FormUrlEncodedContent sends ' ' as '+' and '+', '/', '=', '&' percent-encoded (s3cr+t%2Bw%2Frd%3D%2699).
        // An ASP.NET Core endpoint echoing the body through System.Text.Json writes that '+' as \u002B: "s3cr\u002Bt%2Bw%2Frd%3D%2699",
        // neither the raw secret's JSON form nor the form encoding itself.
        const string secret = "s3cr t+w/rd=&99";
        var credentials = CredentialSource.Create(name => name switch
        {
            "APIPIPELINE_TEST_CLIENT_ID" => ClientId,
            "APIPIPELINE_TEST_CLIENT_SECRET" => secret,
            _ => null,
        });
        await using var server = await FaultServer.StartAsync(async (ctx, _) =>
        {
            string echo = "malformed token request: " + await new StreamReader(ctx.Request.Body).ReadToEndAsync();
            // Not an OAuth error object (no "error" member), so the error shows the start of the body.
            await Faults.Status(ctx, 400, inJson ? "{\"message\":\"" + System.Text.Json.JsonEncodedText.Encode(echo) + "\"}" : echo);
        });

        var (_, error) = await new OAuthRows(OAuthOptions(server) with { Credentials = credentials }).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Equal(secret, Assert.Single(server.Requests).Form["client_secret"]);
        Assert.Contains("client_secret=***", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("t%2Bw%2Frd%3D%2699", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task OAuth2_a_token_endpoint_that_redirects_is_not_followed_and_the_error_says_where_to_point_TokenUrl(int status)
    {
        await using var elsewhere = await FaultServer.StartAsync(OAuthApi(total: 1, tokenLifetime: 3600));
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            ctx.Response.StatusCode = status;
            ctx.Response.Headers.Location = elsewhere.BaseUrl + "/oauth/token?api_key=k3y-0a1b2c3d";
            return Task.CompletedTask;
        });

        var (_, error) = await new OAuthRows(OAuthOptions(server)).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains($"the token endpoint {server.BaseUrl}/token redirected ({status}) to '{elsewhere.BaseUrl}/oauth/token' (query not shown)", error.Message, StringComparison.Ordinal);
        Assert.Contains("set the token URL (TokenUrl) to the final address", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("k3y-0a1b2c3d", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, server.RequestCount);
        Assert.Equal(0, elsewhere.RequestCount);
    }

    [Fact]
    public async Task OAuth2_a_token_endpoint_redirect_to_a_login_page_does_not_show_the_token_urls_key_from_its_return_url()
    {
        // ASP.NET Core's cookie authentication sends /Account/Login?ReturnUrl=%2Ftoken%3Fapi_key%3D…: no query name tells the key apart.
        await using var server = await FaultServer.StartAsync((HttpContext ctx, int _) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = "/Account/Login?ReturnUrl=" + Uri.EscapeDataString(ctx.Request.Path + ctx.Request.QueryString);
            return Task.CompletedTask;
        });
        var options = OAuthOptions(server) with { Auth = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token?api_key=t0k3n-url-s3cr3t" } };

        var (_, error) = await new OAuthRows(options).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains($"redirected (302) to '{server.BaseUrl}/Account/Login' (query not shown)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("t0k3n-url-s3cr3t", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OAuth2_a_4xx_answer_whose_error_is_not_utf8_shows_the_start_of_the_body()
    {
        byte[] body = [.. """{"error":"bad"""u8, 0xFF, .. "\"}"u8];
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            if (ctx.Request.Path != "/token")
            {
                return Faults.Json(ctx, Faults.Page(1, 1));
            }

            ctx.Response.StatusCode = 400;
            ctx.Response.ContentType = "application/json";
            return ctx.Response.Body.WriteAsync(body).AsTask();
        });

        var (_, error) = await new OAuthRows(OAuthOptions(server)).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains("answered 400 Bad Request. Body starts: '{\"error\":\"bad", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_secret_appears_in_any_exception_message_or_any_file_of_a_run()
    {
        // Every page after the first fails in ways that echo what the server received: the key, the query string, the header.
        await using var server = await FaultServer.StartAsync(Faults.PageApi(30, (ctx, _, page) => page switch
        {
            1 => null,
            2 => Faults.Status(ctx, 403, $"invalid key {ctx.Request.Query["api_key"]} for {ctx.Request.QueryString}"),
            3 => Faults.Status(ctx, 500, $"<html>{ctx.Request.QueryString} {Uri.EscapeDataString(Key)}</html>"),
            4 => Faults.Html200(ctx),
            _ => Faults.Json(ctx, Faults.Page(0, 0)),
        }));
        using var temp = new TempFolder();
        var logLines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b
            .SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace)
            .AddProvider(new CollectingLoggerProvider(logLines)));
        await using var output = new JsonlOutput<Row>(ResilienceJson.Default.Row, new() { Directory = temp.Path, Name = "rows" });
        var pipeline = new Pipeline<Shard, Row>(
            "rows",
            new ApiKeyQueryRows(server.Options with { Credentials = Secrets, LoggerFactory = logging }),
            output,
            new PipelineOptions { LoggerFactory = logging });
        var extractor = new ApiKeyQueryRows(server.Options with { Credentials = Secrets });

        var result = await pipeline.ExecuteAsync(new Shard("a")).Within();
        var (_, direct) = await new ApiKeyQueryRows(server.Options with { Credentials = Secrets, Resilience = ResilienceOptions.None }).PagesUntilErrorAsync(new Shard("a")).Within();
        var pages = await extractor.PagesAsync(new Shard("a")).Within();

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal(3, result.DeadLettered);
        Assert.All(server.Requests, r => Assert.Equal(Key, r.Q("api_key")));
        var texts = new List<string>
        {
            direct.ToString(),
            direct.Message,
            direct.Url,
            direct.Detail,
            direct.BodySnippet ?? "",
            direct.Resume!.Url,
            pipeline.GetStatus().ToString(),
            result.ToString(),
        };
        texts.AddRange(result.Errors.Select(e => e.ToString() + e.BodySnippet + e.Input + e.Resume));
        texts.AddRange(pages.Select(p => p.Url + p.Next + p.Error?.ToString() + p.Error?.BodySnippet));
        texts.AddRange(temp.AllFiles().Select(File.ReadAllText));
        Assert.NotEmpty(logLines);
        texts.AddRange(logLines);

        Assert.Contains(texts, t => t.Contains("invalid key ***", StringComparison.Ordinal));
        foreach (var text in texts)
        {
            Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(Key), text, StringComparison.Ordinal);
        }

        // The output's part file and its folder's (empty) writer lock, the dead-letter file and its (empty) lock file.
        Assert.Equal(4, temp.AllFiles().Count());
        Assert.Single(temp.AllFiles(), f => f.EndsWith(".dead-letter.jsonl" + FileLock.Suffix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_secret_query_member_of_the_input_stays_out_of_logs_and_state()
    {
        // TokenScenario sends its Token as ?access_token=: the input's partition (its relative URL) must not carry it anywhere.
        const string Secret = "t0k3n-in-the-input";
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, ctx.Request.Query["cursor"].ToString() == "c2"
            ? Faults.Page(3, 1)
            : Faults.Page(1, 2, "\"next\":\"c2\"")));
        using var temp = new TempFolder();
        var logLines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new CollectingLoggerProvider(logLines)));
        await using var store = new InMemoryStateStore();
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new() { Directory = temp.Path, Name = "items" });
        var pipeline = new Pipeline<TokenScenario, Item>("items", new TokenItems(server.Options with { LoggerFactory = logging }), output, new PipelineOptions { LoggerFactory = logging, StateStore = store });

        var result = await pipeline.ExecuteAsync(new TokenScenario("a", Secret)).Within();

        Assert.Equal((PipelineStatus.Succeeded, 3L), (result.Status, result.Records));
        Assert.All(server.Requests, r => Assert.Equal(Secret, r.Q("access_token")));
        var texts = logLines.ToList();
        Assert.Contains(texts, t => t.Contains("access_token=***", StringComparison.Ordinal));
        foreach (var scope in await store.GetScopesAsync())
        {
            texts.Add(scope);
            texts.AddRange((await store.GetScopeAsync(scope)).Select(e => e.Key + " " + e.Value));
        }

        texts.AddRange(temp.AllFiles().Select(File.ReadAllText));
        Assert.All(texts, t => Assert.DoesNotContain(Secret, t, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_checkpoint_keeps_an_input_secret_out_of_the_state_and_a_resumed_run_puts_it_back()
    {
        // Page 1 is committed (batches of one record), page 2 fails once: the stored checkpoint (cursor c2) must not hold
        // the input's token, and the resumed run must send it again.
        const string Secret = "t0k3n-in-the-input";
        int c2 = 0;
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Request.Query["cursor"].ToString() == "c2"
            ? Interlocked.Increment(ref c2) == 1 ? Faults.Status(ctx, 404) : Faults.Json(ctx, Faults.Page(3, 1))
            : Faults.Json(ctx, Faults.Page(1, 2, "\"next\":\"c2\"")));
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();
        async Task<PipelineResult> Run()
        {
            await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new() { Directory = temp.Path, Name = "items", Batching = new OutputBatchOptions { BatchSize = 1 } });
            return await new Pipeline<TokenScenario, Item>("items", new TokenItems(server.Options), output, new PipelineOptions { StateStore = store }).ExecuteAsync(new TokenScenario("a", Secret)).Within();
        }

        var failed = await Run();
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Contains("access_token=***", failed.Error!.ToString(), StringComparison.Ordinal);
        var state = new List<string>();
        foreach (var scope in await store.GetScopesAsync())
        {
            state.AddRange((await store.GetScopeAsync(scope)).Select(e => e.Key + " " + e.Value));
        }

        Assert.Contains(state, t => t.Contains("cursor=c2", StringComparison.Ordinal));
        Assert.All(state, t => Assert.DoesNotContain(Secret, t, StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, ((ExtractionException)failed.Error!).Resume!.Url, StringComparison.Ordinal);

        var resumed = await Run();

        Assert.Equal((PipelineStatus.Succeeded, true, 1L), (resumed.Status, resumed.Resumed, resumed.Records));
        Assert.All(server.Requests, r => Assert.Equal(Secret, r.Q("access_token")));
        Assert.Equal([1, 2, 3], Extract.IdsIn(Path.Combine(temp.Path, "items")));

        // Resumed with an input that has no token to put back, the checkpoint cannot be used: said, without a request.
        int requests = server.Requests.Count;
        var checkpoint = ((ExtractionException)failed.Error!).Resume!;
        var error = await Assert.ThrowsAsync<CheckpointSecretMissingException>(async () =>
        {
            await foreach (var _ in new TokenItems(server.Options).ExtractPagesAsync(new TokenScenario("a"), checkpoint))
            {
            }
        });
        Assert.Contains("query parameter 'access_token' kept out", error.Message, StringComparison.Ordinal);
        Assert.Equal(requests, server.Requests.Count);
    }

    [Fact]
    public async Task Each_value_of_a_secret_parameter_sent_several_times_comes_back_in_order_on_resume()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, ctx.Request.Query["cursor"].ToString() == "c2"
            ? Faults.Page(3, 1)
            : Faults.Page(1, 2, "\"next\":\"c2\"")));
        var input = new CodesScenario("a", ["US", "FR"]);
        var next = await NextAfterFirstPageAsync(new CodesItems(server.Options), input);

        Assert.DoesNotContain("US", next.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("FR", next.Url, StringComparison.Ordinal);
        await ResumeAsync(new CodesItems(server.Options), input, next);

        Assert.Equal(["US,FR", "US,FR"], server.Requests.Select(r => r.Q("code")!));
        Assert.Equal("c2", server.Requests[^1].Q("cursor"));
    }

    [Theory]
    [InlineData("code=FR&page=2", "FR")] // one of the input's values, not the first
    [InlineData("code=US&page=2&code=US", "US,US")] // one repeated
    [InlineData("code=FR&code=US&page=2", "FR,US")] // reordered
    public async Task A_next_link_that_repeats_reorders_or_drops_the_inputs_secret_values_resumes_with_exactly_them(string nextQuery, string resumedCodes)
    {
        FaultServer? started = null;
        await using var server = started = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, ctx.Request.Query["page"].ToString() == "2"
            ? Faults.Page(3, 1)
            : Faults.Page(1, 2, $"\"next\":\"{started!.BaseUrl}/a/items?{nextQuery}\"")));
        var input = new CodesScenario("a", ["US", "FR"]);
        var next = await NextAfterFirstPageAsync(new CodesNextItems(server.Options), input);

        Assert.DoesNotContain("US", next.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("FR", next.Url, StringComparison.Ordinal);
        await ResumeAsync(new CodesNextItems(server.Options), input, next);

        Assert.Equal(("2", resumedCodes), (server.Requests[^1].Q("page"), server.Requests[^1].Q("code")));
    }

    [Theory]
    [InlineData("a b", "access_token=a+b")] // a space written as '+'
    [InlineData("ab+c/d=", "access_token=ab%2bc%2fd%3d")] // lowercase escapes
    [InlineData("ab+c/d=", "access_token=ab%2Bc/d%3D")] // escaped differently
    [InlineData("tok-123456", "Access_Token=tok-123456")] // the name in another case
    [InlineData("tok-123456", "state=tok-123456")] // under a name that does not look secret
    public async Task The_inputs_secret_echoed_in_a_next_link_in_any_form_is_kept_out_and_put_back(string token, string echoed)
    {
        FaultServer? started = null;
        await using var server = started = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, ctx.Request.Query["page"].ToString() == "2"
            ? Faults.Page(3, 1)
            : Faults.Page(1, 2, $"\"next\":\"{started!.BaseUrl}/a/items?page=2&{echoed}\"")));
        var input = new TokenScenario("a", token);
        var next = await NextAfterFirstPageAsync(new TokenNextItems(server.Options), input);

        Assert.DoesNotContain(echoed[(echoed.IndexOf('=') + 1)..], next.Url, StringComparison.Ordinal);
        await ResumeAsync(new TokenNextItems(server.Options), input, next);

        var resumed = server.Requests[^1];
        Assert.Equal("2", resumed.Q("page"));
        Assert.Equal(token, resumed.Q(echoed[..echoed.IndexOf('=')]));
    }

    [Theory]
    [InlineData("t0k3n-s3cr3t", "filter=***", "***")] // the API's own value that looks like a kept-out one
    [InlineData("t0k3n-s3cr3t", "filter=***1", "***1")]
    [InlineData("1+1", "expr=1+1", "1 1")] // not the token: a server reads '+' as a space
    [InlineData(null, "filter=***", "***")] // no secret at all
    public async Task A_next_link_value_that_only_resembles_a_kept_out_secret_is_sent_again_as_it_was(string? token, string echoed, string expected)
    {
        FaultServer? started = null;
        await using var server = started = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, ctx.Request.Query["page"].ToString() == "2"
            ? Faults.Page(3, 1)
            : Faults.Page(1, 2, $"\"next\":\"{started!.BaseUrl}/a/items?page=2&{echoed}#access_token=t0k3n-s3cr3t\"")));
        var input = new TokenScenario("a", token);
        var next = await NextAfterFirstPageAsync(new TokenNextItems(server.Options), input);

        Assert.DoesNotContain("t0k3n-s3cr3t", next.Url, StringComparison.Ordinal); // nor in the fragment, which is never sent
        await ResumeAsync(new TokenNextItems(server.Options), input, next);

        Assert.Equal(("2", expected), (server.Requests[^1].Q("page"), server.Requests[^1].Q(echoed[..echoed.IndexOf('=')])));
    }

    [Fact]
    public async Task A_secret_echoed_without_escaping_is_kept_out_and_sent_again_exactly_as_the_link_had_it()
    {
        FaultServer? started = null;
        await using var server = started = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, ctx.Request.Query["page"].ToString() == "2"
            ? Faults.Page(3, 1)
            : Faults.Page(1, 2, $"\"next\":\"{started!.BaseUrl}/a/items?page=2&access_token=ab+c/d=\"")));
        var input = new TokenScenario("a", "ab+c/d=");
        var next = await NextAfterFirstPageAsync(new TokenNextItems(server.Options), input);

        Assert.DoesNotContain("ab+c/d=", next.Url, StringComparison.Ordinal);
        await ResumeAsync(new TokenNextItems(server.Options), input, next);

        Assert.EndsWith("?page=2&access_token=ab+c/d=", server.Requests[^1].Target, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_template_key_is_kept_out_for_a_value_type_input_that_is_its_default()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, ctx.Request.Query["cursor"].ToString() == "c2"
            ? Faults.Page(3, 1)
            : Faults.Page(1, 2, "\"next\":\"c2\"")));
        var next = await NextAfterFirstPageAsync(new LabelItems(server.Options), default);

        Assert.DoesNotContain("t3mpl4te-k3y", next.Url, StringComparison.Ordinal);
        await ResumeAsync(new LabelItems(server.Options), default, next);

        Assert.Equal(("t3mpl4te-k3y", "c2"), (server.Requests[^1].Q("api_key"), server.Requests[^1].Q("cursor")));
    }

    [Fact]
    public async Task A_kept_out_secret_comes_back_even_when_a_key_was_added_to_the_base_url_since()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, ctx.Request.Query["cursor"].ToString() == "c2"
            ? Faults.Page(3, 1)
            : Faults.Page(1, 2, "\"next\":\"c2\"")));
        var input = new TokenScenario("a", "t0k3n-s3cr3t");
        var next = await NextAfterFirstPageAsync(new TokenItems(server.Options), input);

        var withKey = server.Options with { BaseUrl = server.BaseUrl + "?api_key=base-k3y-added" };
        await ResumeAsync(new TokenItems(withKey), input, next);

        Assert.Equal(("t0k3n-s3cr3t", "c2"), (server.Requests[^1].Q("access_token"), server.Requests[^1].Q("cursor")));
    }

    [Fact]
    public async Task A_base_url_key_is_kept_out_of_the_checkpoints_of_an_extractor_without_input_and_put_back()
    {
        const string Key = "base-url-k3y-secret";
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, ctx.Request.Query["cursor"].ToString() == "c2"
            ? Faults.Page(3, 1)
            : Faults.Page(1, 2, "\"next\":\"c2\"")));
        var options = server.Options with { BaseUrl = server.BaseUrl + "?api_key=" + Key };
        var next = await NextAfterFirstPageAsync(new FixedCursorItems(options), NoInput.Value);

        Assert.DoesNotContain(Key, next.Url, StringComparison.Ordinal);
        await ResumeAsync(new FixedCursorItems(options), NoInput.Value, next);

        Assert.Equal((Key, "c2"), (server.Requests[^1].Q("api_key"), server.Requests[^1].Q("cursor")));
    }

    [Fact]
    public async Task A_checkpoint_whose_kept_out_value_says_not_which_one_it_was_is_refused()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, Faults.Page(3, 1)));
        var error = await Assert.ThrowsAsync<CheckpointSecretMissingException>(async () =>
        {
            await foreach (var _ in new TokenItems(server.Options).ExtractPagesAsync(new TokenScenario("a", "t0k3n"), new PageCheckpoint(server.BaseUrl + "/a/items?access_token=***&cursor=c2", 2, 2)))
            {
            }
        });
        Assert.Contains("'access_token' kept out", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_checkpoint_of_a_value_type_input_resumes_without_the_input_as_replay_does()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, Faults.Page(3, 1)));
        var pages = new List<Page<Item>>();
        await foreach (var page in new StructItems(server.Options).ExtractPagesAsync(default, new PageCheckpoint(server.BaseUrl + "/a/items?cursor=c2", 2, 2)))
        {
            pages.Add(page);
        }

        Assert.Equal(3, Assert.Single(Assert.Single(pages).Records.ToArray()).Id);
    }

    [Fact]
    public async Task A_checkpoint_without_an_input_as_replay_uses_it_still_reads_a_cursor_with_a_secret_looking_name()
    {
        // Replay resumes from an entry's checkpoint with no input: a cursor sent as page_token is the API's, kept as it is.
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Request.Query["page_token"].ToString() switch
        {
            "c2" => Faults.Json(ctx, Faults.Page(3, 2, "\"next\":\"c3\"")),
            "c3" => Faults.Status(ctx, 404),
            _ => Faults.Json(ctx, Faults.Page(1, 2, "\"next\":\"c2\"")),
        });
        var pages = new List<Page<Item>>();
        var error = await Assert.ThrowsAsync<ExtractionException>(async () =>
        {
            await foreach (var page in new PageTokenItems(server.Options).ExtractPagesAsync(default!, new PageCheckpoint(server.BaseUrl + "/a/items?page_token=c2", 2, 2)))
            {
                pages.Add(page);
            }
        });

        Assert.Equal(server.BaseUrl + "/a/items?page_token=c3", Assert.Single(pages).Next!.Url);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal(server.BaseUrl + "/a/items?page_token=c3", error.Resume!.Url);
    }

    [Fact]
    public async Task Inputs_that_differ_only_in_a_secret_keep_partitions_of_their_own()
    {
        // One token per tenant: the partition keys hide the tokens but must not merge the tenants.
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, Faults.Page(ctx.Request.Query["access_token"] == "tenant-b-token" ? 11 : 1, 2)));
        using var temp = new TempFolder();
        await using var store = new InMemoryStateStore();
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new() { Directory = temp.Path, Name = "items" });
        var pipeline = new Pipeline<TokenScenario, Item>("tenants", new TokenItems(server.Options), output, new PipelineOptions { StateStore = store });

        var result = await pipeline.ExecuteManyAsync(new[] { new TokenScenario("a", "tenant-a-token"), new TokenScenario("a", "tenant-b-token") }.ToAsyncEnumerable()).Within();

        Assert.Equal((PipelineStatus.Succeeded, 4L), (result.Status, result.Records));
        var run = Assert.Single(await store.GetScopeAsync("pipeline:tenants")).Value;
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(run, "access_token=\\*\\*\\*[0-9a-f]{8}").Select(m => m.Value).Distinct().Count());
        Assert.DoesNotContain("tenant-", run, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-30)]
    public async Task OAuth2_a_token_that_expires_now_serves_its_own_request_and_is_not_cached(int expiresIn)
    {
        await using var server = await FaultServer.StartAsync(OAuthApi(total: 5, tokenLifetime: expiresIn));
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(lines)));
        var extractor = new OAuthRows(OAuthOptions(server) with { LoggerFactory = logging });

        var pages = await extractor.PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 5), pages.Ids());
        string?[] sent = [.. server.Requests.Where(r => r.Path != "/token").Select(r => r.H("Authorization"))];
        Assert.Equal(sent.Length, server.Requests.Count(r => r.Path == "/token"));
        Assert.Equal(sent.Length, sent.Distinct().Count());
        Assert.All(pages, p => Assert.Equal(1, p.Attempts));

        // Said once per extractor, however many tokens it fetches (a second extraction's included), with no secret in it.
        await extractor.PagesAsync(new Shard("a")).Within();
        Assert.Equal(2 * sent.Length, server.Requests.Count(r => r.Path == "/token"));
        string warning = Assert.Single(lines, l => l.StartsWith("Warning 2008 ", StringComparison.Ordinal));
        Assert.Contains("Extractor 'OAuthRows': the token endpoint returned a non-positive lifetime (expires_in <= 0), so a token is requested for every request", warning, StringComparison.Ordinal);
        Assert.All(lines, l => Assert.DoesNotContain(ClientSecret, l, StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain("token-", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task OAuth2_a_token_that_expires_now_is_fetched_again_for_each_redirect_hop_to_the_same_origin()
    {
        // Every page first answers 307 to itself with ?moved=1 (same origin, so the hop carries a token): with expires_in 0 the token
        // fetched for the first hop has expired by the second, which fetches another.
        var api = OAuthApi(total: 5, tokenLifetime: 0);
        await using var server = await FaultServer.StartAsync((ctx, i) =>
        {
            if (ctx.Request.Path != "/token" && ctx.Request.Query["moved"].Count == 0)
            {
                ctx.Response.StatusCode = 307;
                ctx.Response.Headers.Location = $"{ctx.Request.Path}{ctx.Request.QueryString}&moved=1";
                return Task.CompletedTask;
            }

            return api(ctx, i);
        });

        var pages = await new OAuthRows(OAuthOptions(server)).PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 5), pages.Ids());
        var hops = server.Requests.Where(r => r.Path != "/token").ToList();
        Assert.Equal(2 * pages.Count, hops.Count);
        Assert.Equal(hops.Count, server.Requests.Count(r => r.Path == "/token"));
        Assert.Equal(hops.Count, hops.Select(r => r.H("Authorization")).Distinct().Count());
    }

    [Theory]
    [InlineData("\"soon\"", "\"soon\"")]
    [InlineData("\"NaN\"", "\"NaN\"")]
    [InlineData("true", "true")]
    public async Task OAuth2_an_expires_in_that_is_not_a_number_is_an_authentication_error_that_shows_it(string expiresIn, string shown)
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Request.Path == "/token"
            ? Faults.Json(ctx, $$"""{"access_token":"token-1","token_type":"Bearer","expires_in":{{expiresIn}}}""")
            : Faults.Json(ctx, Faults.Page(1, 1)));

        var (_, error) = await new OAuthRows(OAuthOptions(server)).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains($"answered with an expires_in that is not a number of seconds ({shown})", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task OAuth2_a_token_type_other_than_bearer_is_refused_saying_only_bearer_is_supported()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => ctx.Request.Path == "/token"
            ? Faults.Json(ctx, """{"access_token":"token-1","token_type":"mac","expires_in":3600}""")
            : Faults.Json(ctx, Faults.Page(1, 1)));
        var options = OAuthOptions(server) with { Auth = OAuthOptions(server).Auth! with { TokenUrl = server.BaseUrl + "/token?api_key=t0k3n-url-s3cr3t" } };

        var (_, error) = await new OAuthRows(options).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Equal("OAuthRows", error.Extractor);
        Assert.Contains("answered with token_type 'mac'; only Bearer tokens are supported", error.Message, StringComparison.Ordinal);
        Assert.Contains(server.BaseUrl + "/token?api_key=", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("t0k3n-url-s3cr3t", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, server.RequestCount);
    }

    [Theory]
    [InlineData("""{"access_token":"token-1","token_type":"bearer","expires_in":3600}""")]
    [InlineData("""{"access_token":"token-1","expires_in":3600}""")]
    public async Task OAuth2_a_token_type_of_bearer_in_any_case_or_none_at_all_is_accepted(string answer)
    {
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync((ctx, i) => ctx.Request.Path == "/token" ? Faults.Json(ctx, answer) : api(ctx, i));

        var pages = await new OAuthRows(OAuthOptions(server)).PagesAsync(new Shard("a")).Within();

        Assert.Equal([1, 2], pages.Ids());
        Assert.All(server.Requests.Where(r => r.Path != "/token"), r => Assert.Equal("Bearer token-1", r.H("Authorization")));
    }

    [Fact]
    public async Task OAuth2_sends_the_audience_when_one_is_set()
    {
        await using var server = await FaultServer.StartAsync(OAuthApi(total: 2, tokenLifetime: 3600));
        var options = OAuthOptions(server) with { Auth = OAuthOptions(server).Auth! with { Audience = "https://api.example.com/" } };

        await new OAuthRows(options).PagesAsync(new Shard("a")).Within();

        var token = Assert.Single(server.Requests, r => r.Path == "/token");
        Assert.Equal("https://api.example.com/", token.Form["audience"]);
        Assert.Equal(ClientSecret, token.Form["client_secret"]);
    }

    [Fact]
    public async Task OAuth2_client_secret_basic_sends_the_form_encoded_client_in_an_authorization_header_and_keeps_it_out_of_errors()
    {
        // RFC 6749 §2.3.1: id and secret are form-urlencoded (':' -> %3A, ' ' -> '+', '+' -> %2B, '/' -> %2F) before base64.
        const string header = "Basic Y2xpZW50JTNBNDI6czNjcit0JTJCdyUyRnJkLTk5";
        var credentials = CredentialSource.Create(name => name switch
        {
            "APIPIPELINE_TEST_CLIENT_ID" => "client:42",
            "APIPIPELINE_TEST_CLIENT_SECRET" => "s3cr t+w/rd-99",
            _ => null,
        });
        await using var server = await FaultServer.StartAsync(OAuthApi(total: 2, tokenLifetime: 3600));
        var basic = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token", ClientAuthentication = OAuthClientAuthentication.Basic };

        var pages = await new OAuthRows(server.Options with { Credentials = credentials, Auth = basic }).PagesAsync(new Shard("a")).Within();

        Assert.Equal([1, 2], pages.Ids());
        var token = Assert.Single(server.Requests, r => r.Path == "/token");
        Assert.Equal(header, token.H("Authorization"));
        Assert.Equal(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "rows:read" }, token.Form);

        await using var echoing = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, $$"""{"error":"invalid_client","error_description":"{{ctx.Request.Headers.Authorization}} is not known"}""", 401));
        var (_, error) = await new OAuthRows(echoing.Options with { Credentials = credentials, Auth = basic with { TokenUrl = echoing.BaseUrl + "/token" } })
            .PagesUntilErrorAsync(new Shard("a")).Within();
        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains("(error: invalid_client: Basic *** is not known)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(header[6..], error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_without_a_secret_sends_the_user_name_and_an_empty_password_and_keeps_the_user_name_out_of_errors()
    {
        // Stripe style: the API key is the user name, the password is empty.
        const string apiKey = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";
        await using var server = await FaultServer.StartAsync(Faults.PageApi(6, (ctx, _, page) => page == 2
            ? Faults.Json(ctx, $$"""{"error":"key {{apiKey}} may not read page 2"}""", 403)
            : null));
        var options = server.Options with
        {
            Credentials = CredentialSource.Create(name => name == "APIPIPELINE_TEST_USER" ? apiKey : null),
            Auth = BasicRows.Definition.Auth! with { Secret = null },
        };

        var (pages, error) = await new BasicRows(options).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(apiKey + ":")), server.Requests[0].H("Authorization"));
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Contains("key *** may not read page 2", error.ToString() + error.BodySnippet, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey, error.ToString() + error.BodySnippet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_credential_source_that_throws_is_an_authentication_error_of_the_extractor_and_not_retried()
    {
        int lookups = 0;
        await using var server = await FaultServer.StartAsync(OAuthApi(total: 2, tokenLifetime: 3600));
        var options = OAuthOptions(server) with
        {
            Credentials = CredentialSource.Create(name =>
            {
                Interlocked.Increment(ref lookups);
                throw new HttpRequestException($"vault unreachable while reading {name}");
            }),
        };

        var (_, error) = await new OAuthRows(options).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Equal("OAuthRows", error.Extractor);
        Assert.Contains("reading the secret 'APIPIPELINE_TEST_CLIENT_SECRET' from the credential source failed: HttpRequestException: vault unreachable while reading APIPIPELINE_TEST_CLIENT_SECRET", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, lookups);
        Assert.Equal(0, server.RequestCount);
    }

    [Fact]
    public async Task OAuth2_pages_in_flight_that_wait_on_one_failing_token_request_share_its_failure()
    {
        // After the first page, the API rejects token-1 with 401 on the next three pages, which are in flight together (held until all
        // three arrived), and the token endpoint is down (503 after 1 s): one token request, not one per page.
        int tokens = 0, held = 0;
        var together = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await FaultServer.StartAsync(async (ctx, _) =>
        {
            if (ctx.Request.Path == "/token")
            {
                if (Interlocked.Increment(ref tokens) == 1)
                {
                    await Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":3600}""");
                    return;
                }

                await Task.Delay(1000);
                await Faults.Status(ctx, 503);
                return;
            }

            long offset = long.Parse(ctx.Request.Query["offset"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            if (offset > 0)
            {
                if (Interlocked.Increment(ref held) == 3)
                {
                    together.TrySetResult();
                }

                await together.Task.WaitAsync(TimeSpan.FromSeconds(5));
                await Faults.Status(ctx, 401, """{"error":"invalid_token"}""");
                return;
            }

            await Faults.Json(ctx, Faults.Page(1, 10, "\"total\":40"));
        });
        var options = server.Options with { Credentials = Secrets, Auth = OAuthParallelRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token" } };

        var (_, error) = await new OAuthParallelRows(options).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(3, held);
        Assert.Equal((ExtractionErrorKind.HttpStatus, HttpStatusCode.ServiceUnavailable), (error.Kind, error.StatusCode));
        Assert.Contains("token endpoint", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count(r => r.Path == "/token"));
    }

    private static ExtractorOptions OAuthOptions(FaultServer server) => server.Options with
    {
        Credentials = Secrets,
        Auth = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token" },
    };

    /// <summary>A token endpoint (<c>POST /token</c> → <c>token-1</c>, <c>token-2</c>, …) in front of a page-number API that checks the bearer token.</summary>
    private static Func<HttpContext, int, Task> OAuthApi(int total, int tokenLifetime, Func<string?, bool>? rejects = null)
    {
        int issued = 0;
        var api = Faults.PageApi(total);
        return (ctx, i) =>
        {
            if (ctx.Request.Path == "/token")
            {
                int n = Interlocked.Increment(ref issued);
                return Faults.Json(ctx, $$"""{"access_token":"token-{{n}}","token_type":"Bearer","expires_in":{{tokenLifetime}}}""");
            }

            string? auth = ctx.Request.Headers.Authorization;
            return auth is null || !auth.StartsWith("Bearer token-", StringComparison.Ordinal) || (rejects?.Invoke(auth) ?? false)
                ? Faults.Status(ctx, 401, """{"error":"invalid_token"}""")
                : api(ctx, i);
        };
    }

    /// <summary>The checkpoint after the first page of <paramref name="input"/>.</summary>
    private static async Task<PageCheckpoint> NextAfterFirstPageAsync<TIn>(IExtractor<TIn, Item> extractor, TIn input)
    {
        await foreach (var page in extractor.ExtractPagesAsync(input))
        {
            return page.Next ?? throw new InvalidOperationException("the first page has no next page");
        }

        throw new InvalidOperationException("no page");
    }

    /// <summary>Reads every page of <paramref name="input"/> from <paramref name="checkpoint"/> on.</summary>
    private static async Task ResumeAsync<TIn>(IExtractor<TIn, Item> extractor, TIn input, PageCheckpoint checkpoint)
    {
        await foreach (var _ in extractor.ExtractPagesAsync(input, checkpoint))
        {
        }
    }

    /// <summary>
    /// A token endpoint on the rate-limited host is one more request to it: the page takes another token from the host's bucket after
    /// the token request, so the two do not go out together on one. The host's bucket is new (2/s, burst 1: its one token serves the
    /// token request, the next comes with the first refill, 500 ms after the bucket was made).
    /// </summary>
    [Fact]
    public async Task A_token_request_to_the_rate_limited_host_waits_for_its_own_token()
    {
        var arrivals = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync((ctx, i) =>
        {
            arrivals.TryAdd(ctx.Request.Path, System.Diagnostics.Stopwatch.GetTimestamp());
            return ctx.Request.Path == "/token"
                ? Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":3600}""")
                : api(ctx, i);
        });
        var limit = new RateLimitOptions { RequestsPerSecond = 2 };
        var options = server.Options with
        {
            Credentials = Secrets,
            Auth = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token" },
            Resilience = OAuthRows.Definition.Resilience with { RateLimit = limit },
        };

        var pages = await new OAuthRows(options).PagesAsync(new Shard("a")).Within(10);

        Assert.Equal(Extract.Range(1, 2), pages.Ids());
        var gap = System.Diagnostics.Stopwatch.GetElapsedTime(arrivals["/token"], arrivals["/a/items"]);
        Assert.True(gap >= TimeSpan.FromMilliseconds(250), $"the token request and the first page went out {gap.TotalMilliseconds:0} ms apart on one token of a 2/s bucket");
    }

    // With a password, a Basic user name is an ordinary name: a next link's filter holding it is kept.
    [Fact]
    public async Task Basic_a_next_link_filter_whose_value_is_the_user_name_is_followed_as_the_api_gave_it()
    {
        const string user = "etl-robot-01";
        await using var server = await FaultServer.StartAsync((ctx, i) => Faults.Json(ctx, i == 1
            ? Faults.Page(1, 2, $"\"next\":\"{ctx.Request.Path}?owner={user}&page=2\"")
            : Faults.Page(3, 1, "\"next\":null")));
        var credentials = CredentialSource.Create(name => name switch
        {
            "APIPIPELINE_TEST_USER" => user,
            "APIPIPELINE_TEST_PASSWORD" => Password,
            _ => null,
        });

        var pages = await new BasicNextRows(server.Options with { Credentials = credentials }).PagesAsync(new Shard("a")).Within();

        Assert.Equal(Extract.Range(1, 3), pages.Ids());
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal("2", server.Requests[1].Q("page"));
        Assert.Equal(user, server.Requests[1].Q("owner")); // fails: the owner filter was dropped from the next link
    }

    // client_secret_basic sends the secret form-urlencoded: an endpoint echoing that form must not show it.
    [Fact]
    public async Task OAuth2_client_secret_basic_keeps_the_form_encoded_secret_out_of_errors_when_the_endpoint_echoes_it()
    {
        const string secret = "s3cr t+w/rd-99";
        string formEncoded = WebUtility.UrlEncode(secret); // s3cr+t%2Bw%2Frd-99, exactly what the server receives in the header
        var credentials = CredentialSource.Create(name => name switch
        {
            "APIPIPELINE_TEST_CLIENT_ID" => ClientId,
            "APIPIPELINE_TEST_CLIENT_SECRET" => secret,
            _ => null,
        });
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            string header = ctx.Request.Headers.Authorization.ToString();
            string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
            return Faults.Json(ctx, $$"""{"error":"invalid_client","error_description":"client credentials {{decoded}} are not known"}""", 401);
        });
        var basic = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token", ClientAuthentication = OAuthClientAuthentication.Basic };

        var (_, error) = await new OAuthRows(server.Options with { Credentials = credentials, Auth = basic }).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.Contains("invalid_client", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(formEncoded, error.ToString(), StringComparison.Ordinal); // fails: "...client-42:s3cr+t%2Bw%2Frd-99 are not known"
    }

    // The credential source's exception is not chained: its text may hold a secret, and ToString() and loggers print inner exceptions.
    [Fact]
    public async Task A_credential_source_failure_keeps_known_secrets_out_of_the_whole_exception_including_its_inner_one()
    {
        // The client secret is read first (Authenticator.RequestTokenAsync), then the client id lookup fails with a message that repeats
        // the configuration it read, the client secret included.
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, Faults.Page(1, 1)));
        var credentials = CredentialSource.Create(name => name == "APIPIPELINE_TEST_CLIENT_SECRET"
            ? ClientSecret
            : throw new InvalidOperationException($"section 'oauth' is incomplete: {{ client_secret = {ClientSecret}, client_id = <missing> }}"));
        var options = server.Options with { Credentials = credentials, Auth = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token" } };

        var (_, error) = await new OAuthRows(options).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(ExtractionErrorKind.Authentication, error.Kind);
        Assert.DoesNotContain(ClientSecret, error.Message, StringComparison.Ordinal); // holds: the message is scrubbed
        Assert.DoesNotContain(ClientSecret, error.ToString(), StringComparison.Ordinal); // fails: the inner exception's message is not
        Assert.Equal(0, server.RequestCount);
    }

    // With a password, the user name is not scrubbed: an input of the same value stays readable (and replayable) in an error.
    [Fact]
    public async Task Basic_a_user_name_that_is_also_the_inputs_name_does_not_mask_the_input_of_an_error()
    {
        const string account = "acme-corp";
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 404));
        var credentials = CredentialSource.Create(name => name switch
        {
            "APIPIPELINE_TEST_USER" => account,
            "APIPIPELINE_TEST_PASSWORD" => Password,
            _ => null,
        });

        var (_, error) = await new BasicRows(server.Options with { Credentials = credentials, Resilience = ResilienceOptions.None }).PagesUntilErrorAsync(new Shard(account)).Within();

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.NotNull(error.Input);
        Assert.Contains(account, error.Input, StringComparison.Ordinal); // fails: Input is {"name":"***"}
    }

    // The token's validity is read once: a token expiring between two clock readings must not make a request wait on the gate it holds.
    [Fact]
    public async Task OAuth2_a_token_that_expires_while_a_request_takes_the_token_gate_is_fetched_again_without_a_hang()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var clock = new ScriptedClock(start);
        int issued = 0;
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync((ctx, i) => ctx.Request.Path == "/token"
            ? Faults.Json(ctx, $$"""{"access_token":"token-{{Interlocked.Increment(ref issued)}}","token_type":"Bearer","expires_in":600}""")
            : api(ctx, i));
        var extractor = new OAuthRows(server.Options with
        {
            Credentials = OAuthCredentials,
            Auth = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token" },
            Resilience = ResilienceOptions.None,
            TimeProvider = clock,
        });
        await extractor.PagesAsync(new Shard("a")).Within(); // token-1: refreshed from 540 s, expires at 600 s

        // The next request reads the clock at 599.9 s (Fresh: due for refresh; Valid: still valid, so Wait(0) takes the gate), and the
        // expiry passes before its next read (600 s).
        clock.Now = start.AddSeconds(600);
        clock.Then(start.AddSeconds(599.9), start.AddSeconds(599.9));
        var pages = await extractor.PagesAsync(new Shard("a")).Within(10); // fails: TimeoutException, the request waits for itself

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal("Bearer token-2", server.Requests[^1].H("Authorization"));
    }

    private static readonly ICredentialSource OAuthCredentials = CredentialSource.Create(name => name switch
    {
        "APIPIPELINE_TEST_CLIENT_ID" => ClientId,
        "APIPIPELINE_TEST_CLIENT_SECRET" => ClientSecret,
        _ => null,
    });

    /// <summary>A clock that answers GetUtcNow with scripted readings first, then <see cref="Now"/>; timers and timestamps are the system's.</summary>
    private sealed class ScriptedClock(DateTimeOffset start) : TimeProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset> _readings = new();
        private long _now = start.UtcTicks;

        public DateTimeOffset Now
        {
            get => new(Interlocked.Read(ref _now), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _now, value.UtcTicks);
        }

        public void Then(params DateTimeOffset[] readings)
        {
            foreach (var reading in readings)
            {
                _readings.Enqueue(reading);
            }
        }

        public override DateTimeOffset GetUtcNow() => _readings.TryDequeue(out var reading) ? reading : Now;
    }

    // A password too short to be a secret (Freshdesk's "X") means the user name is the API key: it is kept out of errors.
    [Fact]
    public async Task Basic_an_api_key_user_name_with_the_conventional_dummy_password_stays_out_of_errors()
    {
        const string apiKey = "fd-k3y-0a1b2c3d4e5f6a7b";
        await using var server = await FaultServer.StartAsync((ctx, _) =>
        {
            string header = ctx.Request.Headers.Authorization.ToString();
            string user = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])).Split(':')[0];
            return Faults.Status(ctx, 403, $$"""{"message":"api key {{user}} has no access to this account"}""");
        });
        var credentials = CredentialSource.Create(name => name switch
        {
            "APIPIPELINE_TEST_USER" => apiKey,
            "APIPIPELINE_TEST_PASSWORD" => "X",
            _ => null,
        });

        var (_, error) = await new BasicRows(server.Options with { Credentials = credentials, Resilience = ResilienceOptions.None }).PagesUntilErrorAsync(new Shard("a")).Within();

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("X", Encoding.UTF8.GetString(Convert.FromBase64String(server.Requests[0].H("Authorization")!["Basic ".Length..])).Split(':')[1]);
        Assert.DoesNotContain(apiKey, error.ToString() + error.BodySnippet, StringComparison.Ordinal);
    }
}
