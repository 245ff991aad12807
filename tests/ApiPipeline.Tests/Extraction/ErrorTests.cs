using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>Every failure names the extractor, the page and the URL, and never shows a secret.</summary>
public sealed class ErrorTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private const string Secret = "s3cr3t";

    /// <summary>Page 1 holds ids 1–2; <paramref name="page2"/> answers page 2.</summary>
    private Scenario SecretApi(string scenario, Func<HttpContext, Task> page2) => Map(scenario, ctx =>
        ctx.Request.Query["page"] == "1" ? Reply.Json(ctx, $$$"""{"items":{{{Body.Items(1, 2)}}}}""") : page2(ctx));

    private string Page2Url(string scenario) => Url($"/{scenario}/items?api_key=***&per_page=2&page=2");

    private static void AssertNoSecret(Exception ex, string secret = Secret)
    {
        Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, ex.ToString(), StringComparison.Ordinal);
        if (ex is ExtractionException e)
        {
            Assert.DoesNotContain(secret, e.Url, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, e.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Not_found_is_an_http_status_error_with_a_body_snippet()
    {
        var input = Map("err-404", ctx => Reply.Json(ctx, """{"message":"Not Found","documentation_url":"https://docs.example/x"}""", 404));

        var (pages, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Empty(pages);
        Assert.Equal(ExtractionErrorKind.HttpStatus, ex.Kind);
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        ex.AssertNames("SecretItems", 1, Url("/err-404/items?api_key=***&page=1&per_page=2"));
        Assert.Contains("404", ex.Message, StringComparison.Ordinal);
        Assert.Contains("""{"message":"Not Found",""", ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex);
        Assert.Equal(Secret, Requests("err-404")[0].Q("api_key"));
    }

    [Fact]
    public async Task A_server_error_on_page_two_keeps_page_one_and_fails_page_two()
    {
        var input = SecretApi("err-500", ctx => Reply.Text(ctx, "upstream exploded\nretry later", "text/plain", 500));

        var (pages, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal(ExtractionErrorKind.HttpStatus, ex.Kind);
        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        ex.AssertNames("SecretItems", 2, Page2Url("err-500"));
        Assert.Contains("500", ex.Message, StringComparison.Ordinal);
        Assert.Contains("upstream exploded retry later", ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex);
    }

    [Fact]
    public async Task A_long_error_body_is_cut_to_a_snippet()
    {
        var input = Map("err-long", ctx => Reply.Text(ctx, new string('x', 5000) + "THE-END", "text/plain", 503));

        var (_, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Contains("xxxxxxxxxx", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("THE-END", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 1000, $"message is {ex.Message.Length} chars long");
    }

    [Fact]
    public async Task An_html_body_is_invalid_json()
    {
        var input = SecretApi("err-html", ctx => Reply.Text(ctx, "<html><body>Please log in</body></html>", "text/html"));

        var (pages, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal(ExtractionErrorKind.InvalidJson, ex.Kind);
        ex.AssertNames("SecretItems", 2, Page2Url("err-html"));
        Assert.Contains("text/html", ex.Message, StringComparison.Ordinal);
        Assert.Contains("<html><body>Please log in", ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex);
    }

    [Fact]
    public async Task An_empty_body_is_invalid_json()
    {
        var input = Map("err-emptybody", ctx => Reply.Text(ctx, "", "application/json"));

        var (_, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(ExtractionErrorKind.InvalidJson, ex.Kind);
        ex.AssertNames("SecretItems", 1, Url("/err-emptybody/items?api_key=***&page=1&per_page=2"));
    }

    [Fact]
    public async Task Content_after_the_json_value_is_invalid_json()
    {
        var input = Map("err-trailing", ctx => Reply.Json(ctx, $$$"""{"items":{{{Body.Items(1)}}}} {"items":[]}"""));

        var (pages, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Empty(pages);
        Assert.Equal(ExtractionErrorKind.InvalidJson, ex.Kind);
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_is_a_record_mismatch_naming_the_record_and_path()
    {
        var input = SecretApi("err-mismatch", ctx => Reply.Json(ctx, """{"items":[{"id":3,"name":"ok"},{"id":"abc","name":"bad"}]}"""));

        var (pages, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal(ExtractionErrorKind.RecordMismatch, ex.Kind);
        ex.AssertNames("SecretItems", 2, Page2Url("err-mismatch"));
        Assert.Contains("record 1 of 'items'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("$.id", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Item), ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex);
    }

    [Fact]
    public async Task A_null_record_is_a_record_mismatch()
    {
        var input = Map("err-nullrecord", ctx => Reply.Json(ctx, $$$"""{"items":[{{{Body.Item(1)}}},null]}"""));

        var (_, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(ExtractionErrorKind.RecordMismatch, ex.Kind);
        Assert.Contains("record 1 of 'items' is null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_records_path_names_the_path_without_the_secret()
    {
        var input = SecretApi("err-shape", ctx => Reply.Json(ctx, $$$"""{"data":{{{Body.Items(3)}}}}"""));

        var (pages, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal([1, 2], pages.Ids());
        Assert.Equal(ExtractionErrorKind.UnexpectedShape, ex.Kind);
        ex.AssertNames("SecretItems", 2, Page2Url("err-shape"));
        Assert.Contains("'items'", ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex);
    }

    [Fact]
    public async Task Pages_carry_the_redacted_url()
    {
        var input = Map("err-pageurl", ctx => Reply.Json(ctx, ctx.Request.Query["page"] == "1" ? $$$"""{"items":{{{Body.Items(1, 2)}}}}""" : """{"items":[]}"""));

        var pages = await new SecretItems(At).PagesAsync(input);

        Assert.Equal(Url("/err-pageurl/items?api_key=***&page=1&per_page=2"), pages[0].Url);
        Assert.All(pages, p => Assert.DoesNotContain(Secret, p.Url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_secret_in_the_base_url_query_is_sent_and_redacted()
    {
        Api.Map("/err-basequery", ctx => Reply.Json(ctx, """{"message":"boom"}""", 500));

        var extractor = new DataItems(new ExtractorOptions { BaseUrl = Api.BaseUrl + "/?api_key=" + Secret });
        var (_, ex) = await extractor.PagesUntilErrorAsync(new Scenario("err-basequery"));

        var request = Assert.Single(Requests("err-basequery"));
        Assert.Equal("/err-basequery/items", request.Path);
        Assert.Equal(Secret, request.Q("api_key"));
        Assert.Equal(ExtractionErrorKind.HttpStatus, ex.Kind);
        Assert.Contains("api_key=***", ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex);
    }

    [Fact]
    public async Task A_secret_in_the_base_url_of_an_extractor_without_input_is_scrubbed_from_an_echoing_body()
    {
        const string key = "base-url-key-1234567890";
        Api.Map("/err-noinput/fixed", ctx => Reply.Json(ctx, $$$"""{"message":"invalid key for {{{ctx.Request.Path}}}{{{ctx.Request.QueryString}}}"}""", 401));

        var (_, ex) = await new FixedItems(new ExtractorOptions { BaseUrl = Api.BaseUrl + "/err-noinput/?api_key=" + key }).PagesUntilErrorAsync(NoInput.Value);

        Assert.Contains("api_key=***", ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex, key);
        Assert.DoesNotContain(key, ex.BodySnippet ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_echoed_across_the_snippet_cut_leaves_nothing_of_itself_on_the_first_error()
    {
        // The API echoes api_key=s3cr3t right across the 300-character cut of the message's snippet, on the extractor's first error.
        var input = Map("err-cut", ctx => Reply.Text(ctx, new string('x', 297) + Secret + " and more text after it", "text/plain", 400));

        var (_, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.DoesNotContain("xs3c", ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex);
    }

    [Fact]
    public async Task A_base_url_with_a_path_prefix_is_kept()
    {
        Api.Map("/v2/err-prefix", ctx => Reply.Json(ctx, $$$"""{"data":{{{Body.Items(1)}}}}"""));

        var pages = await new DataItems(new ExtractorOptions { BaseUrl = Api.BaseUrl + "/v2/" }).PagesAsync(new Scenario("err-prefix"));

        Assert.Equal([1], pages.Ids());
        Assert.Equal(["/v2/err-prefix/items"], Api.TargetsTo("/v2/err-prefix"));
    }

    [Fact]
    public async Task A_slow_server_is_a_timeout()
    {
        var input = Map("err-timeout", Reply.Hang);
        using var http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };

        var (_, ex) = await new SecretItems(http, At).PagesUntilErrorAsync(input);

        Assert.Equal(ExtractionErrorKind.Timeout, ex.Kind);
        ex.AssertNames("SecretItems", 1, Url("/err-timeout/items?api_key=***&page=1&per_page=2"));
        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
        AssertNoSecret(ex);
    }

    [Fact]
    public async Task A_refused_connection_is_a_transport_error()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var extractor = new SecretItems(new ExtractorOptions { BaseUrl = $"http://127.0.0.1:{port}" });
        var (_, ex) = await extractor.PagesUntilErrorAsync(new Scenario("err-refused"));

        Assert.Equal(ExtractionErrorKind.Transport, ex.Kind);
        ex.AssertNames("SecretItems", 1, $"http://127.0.0.1:{port}/err-refused/items?api_key=***&page=1&per_page=2");
        AssertNoSecret(ex);
    }

    [Fact]
    public async Task A_body_over_MaxResponseBytes_is_too_large_with_or_without_a_content_length()
    {
        var declared = Map("err-large-declared", ctx => Reply.Json(ctx, $$$"""{"items":{{{Body.Items(Body.Ids(1, 20))}}}}"""));
        var chunked = Map("err-large-chunked", async ctx =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("{\"items\":[");
            await ctx.Response.Body.FlushAsync();
            await ctx.Response.WriteAsync(string.Join(",", Body.Ids(1, 20).Select(Body.Item)) + "]}");
        });

        var (_, ex1) = await new SecretItems(At with { MaxResponseBytes = 100 }).PagesUntilErrorAsync(declared);
        var (_, ex2) = await new SecretItems(At with { MaxResponseBytes = 100 }).PagesUntilErrorAsync(chunked);

        Assert.Equal(ExtractionErrorKind.BodyTooLarge, ex1.Kind);
        Assert.Equal(ExtractionErrorKind.BodyTooLarge, ex2.Kind);
        Assert.Contains("MaxResponseBytes", ex1.Message, StringComparison.Ordinal);
        Assert.Contains("MaxResponseBytes", ex2.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16 * 1024)]
    [InlineData(32 * 1024)]
    public async Task A_chunked_body_of_exactly_MaxResponseBytes_is_read_whole(int size)
    {
        var body = new byte[size];
        using var content = new StreamContent(new MemoryStreamWithoutLength(body));
        using var buffer = new ResponseBuffer();

        await buffer.ReadAsync(content, maxBytes: size, CancellationToken.None);
        Assert.Equal(size, buffer.Length);

        using var more = new StreamContent(new MemoryStreamWithoutLength(new byte[size + 1]));
        await Assert.ThrowsAsync<ResponseBuffer.BodyTooLargeException>(async () => await buffer.ReadAsync(more, maxBytes: size, CancellationToken.None));
    }

    /// <summary>A body whose length is not known up front, as a chunked response's.</summary>
    private sealed class MemoryStreamWithoutLength(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }

    [Fact]
    public async Task An_empty_path_value_is_rejected_before_any_request()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => new SecretItems(At).PagesAsync(new Scenario("")));

        Assert.Contains("{name}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_cut_off_inside_a_record_is_invalid_json_not_a_record_mismatch()
    {
        var input = Map("err-truncated", ctx => Reply.Json(ctx, """{"items":[{"id":1,"name":"a"},{"id":2,"na"""));

        var (_, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(ExtractionErrorKind.InvalidJson, ex.Kind);
        ex.AssertNames("SecretItems", 1, Url("/err-truncated/items?api_key=***&page=1&per_page=2"));
    }

    [Fact]
    public async Task A_syntax_error_inside_a_record_is_invalid_json_not_a_record_mismatch()
    {
        var input = Map("err-syntax", ctx => Reply.Json(ctx, """{"items":[{"id":1,,"name":"a"}]}"""));

        var (_, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(ExtractionErrorKind.InvalidJson, ex.Kind);
    }

    [Fact]
    public async Task A_json_exception_from_the_output_while_a_page_is_parsed_is_not_called_the_bodys_invalid_json()
    {
        // The body is valid: the JsonException is the user's (here a PartitionBy; a converter writing the record or a sink is alike) and
        // fails the run as itself, as any other exception of the output does, not as the API's invalid JSON.
        var input = Map("err-userjson", ctx => Reply.Json(ctx, $$$"""{"items":{{{Body.Items(1)}}}}"""));
        using var temp = new TempDirectory();
        var unreadable = new System.Text.Json.JsonException("the record's date is unreadable");
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new() { Directory = temp.Path, Name = "err-userjson", PartitionBy = _ => throw unreadable });

        var result = await new Pipeline<Scenario, Item>("err-userjson", new SecretItems(At), output).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Same(unreadable, result.Error);
    }

    [Fact]
    public async Task A_syntax_error_after_a_record_the_sink_took_is_still_invalid_json()
    {
        var input = Map("err-latesyntax", ctx => Reply.Json(ctx, $$$"""{"items":[{{{Body.Item(1)}}} {{{Body.Item(2)}}}]}"""));

        var (_, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(ExtractionErrorKind.InvalidJson, ex.Kind);
        Assert.Contains("body starts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_large_error_body_is_still_an_http_status_error()
    {
        // A proxy's 502 page or a stack trace easily passes 64 KB; the status is what matters, with a snippet of the body.
        var input = Map("err-bigerror", ctx => Reply.Text(ctx, "<html>" + new string('x', 200_000) + "</html>", "text/html", 502));

        var (_, ex) = await new SecretItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(ExtractionErrorKind.HttpStatus, ex.Kind);
        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Contains("502", ex.Message, StringComparison.Ordinal);
        Assert.Contains("<html>xxxx", ex.Message, StringComparison.Ordinal);
    }
}
