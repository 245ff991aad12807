using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using static ApiPipeline.Tests.PipelineTestKit;

namespace ApiPipeline.Tests;

/// <summary>Review of the lead-refused fallback (a 304 led to a page the API now refuses; event 2009): failing tests for its bugs.</summary>
public sealed class ReviewLeadTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A strong ETag of the body bytes, and 304 to a request whose If-None-Match names it (as ConditionalRequestTests).</summary>
    private static async Task ETagged(HttpContext ctx, string json, Action<HttpContext>? headers = null)
    {
        string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json))) + "\"";
        ctx.Response.Headers.ETag = etag;
        headers?.Invoke(ctx);
        if (ctx.Request.Headers.IfNoneMatch == etag)
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        await Reply.Json(ctx, json);
    }

    /// <summary>?per_page=2&amp;page=n, two items a page up to page <paramref name="pages"/>(), a body ETag, rel="next" up to the last page.</summary>
    private static RequestDelegate LinkPages(Func<int> pages) => ctx =>
    {
        int n = int.TryParse(ctx.Request.Query["page"], out int p) ? p : 1;
        string items = Body.Items(Body.Ids((n - 1) * 2 + 1, n <= pages() ? 2 : 0));
        return ETagged(ctx, items, c => c.Response.Headers.Link = n < pages()
            ? $"<{Reply.Root(c)}{c.Request.Path}?per_page=2&page={n + 1}>; rel=\"next\""
            : $"<{Reply.Root(c)}{c.Request.Path}?per_page=2&page=1>; rel=\"first\"");
    };

    /// <summary>Strips the <c>Link</c> header from the 304s of <paramref name="pages"/>.</summary>
    private static RequestDelegate WithoutLinkOn304(RequestDelegate pages) => ctx =>
    {
        ctx.Response.OnStarting(() =>
        {
            if (ctx.Response.StatusCode == StatusCodes.Status304NotModified)
            {
                ctx.Response.Headers.Remove("Link");
            }

            return Task.CompletedTask;
        });
        return pages(ctx);
    };

    [Fact]
    public async Task The_refused_request_is_counted_in_PipelineResult_Requests()
    {
        // BUG: the request the API refused (page 3, 404) never reaches the sink: the refused branch ends its span and goes on, but no
        // PageInfo (nor the error) carries its Attempts, so PipelineResult.Requests leaves it out. The second run sends 4 requests
        // (pages 1, 2, 3, 2) and reports 3. Requests is documented as "attempts sent in the current run": it should be 4, as the
        // first run's 3 requests are reported as 3.
        string name = "rl-requests";
        int pages = 3;
        var input = Map(name, WithoutLinkOn304(ctx => int.TryParse(ctx.Request.Query["page"], out int n) && n > pages
            ? Reply.Json(ctx, """{"message":"page out of range"}""", 404)
            : LinkPages(() => pages)(ctx)));
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline() => new(name, new ConditionalLinkItems(At), Jsonl(_temp.Path, name), new PipelineOptions { StateStore = store });
        var first = await Pipeline().ExecuteAsync(input);
        Assert.Equal((6L, 3L, 3), (first.Records, first.Requests, Requests(name).Count));
        pages = 2;

        var second = await Pipeline().ExecuteAsync(input);

        Assert.True(second.Status == PipelineStatus.Succeeded, $"{second.Status}: {second.Error?.Message}");
        int sent = Requests(name).Count - 3;
        Assert.Equal(4, sent);
        Assert.Equal(sent, second.Requests);
    }

    [Fact]
    public async Task With_MaxPages_the_page_read_again_keeps_its_own_page_number_and_the_pagination_reaches_the_fresh_next_page()
    {
        // BUG: the refused branch sends the unchanged page back without putting run.PageNumber back: page 1 is read again as page 2.
        // With MaxPages = 2 the re-read page is taken for the one where MaxPages stops the run (cut), so its fresh cursor is never
        // followed, and, a NotModified page with Next null keeping its stored Next, page 1 keeps leading to the expired cursor s1-2.
        // Every later run does the same (304, 400, page 1 again, stop): page 2 is never read again, and its new records (ids 103 and
        // 104, which replace 3 and 4) are written by no run. The re-read should count as page 1 (the page it is), go on to page 2 by
        // this session's cursor (s2-2) and write its records, and leave page 1 leading to a cursor of today.
        string name = "rl-maxpages-cursor";
        int session = 1;
        int page2First = 3;
        var input = Map(name, ctx =>
        {
            string? after = ctx.Request.Query["after"];
            int n = 1;
            if (after is not null)
            {
                string[] parts = after.Split('-');
                if (parts[0] != $"s{session}")
                {
                    return Reply.Json(ctx, """{"message":"cursor expired"}""", 400);
                }

                n = int.Parse(parts[1], CultureInfo.InvariantCulture);
            }

            long first = n == 2 ? page2First : (n - 1) * 2 + 1;
            return ETagged(ctx, Body.Items(Body.Ids(first, 2)), c =>
            {
                if (n < 3)
                {
                    c.Response.Headers["X-Next-Cursor"] = $"s{session}-{n + 1}";
                }

                c.Response.OnStarting(() =>
                {
                    if (c.Response.StatusCode == StatusCodes.Status304NotModified)
                    {
                        c.Response.Headers.Remove("X-Next-Cursor");
                    }

                    return Task.CompletedTask;
                });
            });
        });
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline() => new(name, new ConditionalHeaderCursorItems(At with { MaxPages = 2 }), Jsonl(_temp.Path, name), new PipelineOptions { StateStore = store });
        Assert.Equal(4, (await Pipeline().ExecuteAsync(input)).Records);
        session = 2;
        page2First = 103;

        var second = await Pipeline().ExecuteAsync(input);
        session = 3;
        var third = await Pipeline().ExecuteAsync(input);

        Assert.True(second.Status == PipelineStatus.Succeeded, $"{second.Status}: {second.Error?.Message}");
        Assert.True(third.Status == PipelineStatus.Succeeded, $"{third.Status}: {third.Error?.Message}");
        Assert.Contains("s2-2", Requests(name).Select(r => r.Q("after")));
        Assert.Contains(103L, CommittedIds(Path.Combine(_temp.Path, name)));
    }
}
