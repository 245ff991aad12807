using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using static ApiPipeline.Tests.PipelineTestKit;

namespace ApiPipeline.Tests;

/// <summary>Changes in pages of two (a Link header, ?per_page=2&amp;page=n), asked for from ?since= (watermark minus 5 minutes), with conditional requests.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(ChangeJson))]
[Paginated(Pagination.LinkHeader, PageSize = 2, PageSizeParam = "per_page")]
[Watermark(nameof(Change.UpdatedAt), Param = "since", Lag = "5m", Initial = "2026-03-31T00:00:00Z")]
[ConditionalRequests]
public sealed partial class ReviewLead4SinceLinkChanges : IExtractor<Scenario, Change>;

/// <summary>Review of "a run resumed at a refused lead finds the remembered page that led there" (RememberedLeadAsync).</summary>
public sealed class ReviewLead4Tests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A strong ETag of the body bytes, and 304 to a request whose If-None-Match names it.</summary>
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

    /// <summary>Strips the <c>Link</c> header from the 304s of <paramref name="pages"/>, as an API that sends only the validator with them.</summary>
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

    private static List<Change> ChangeList(int count)
        => [.. Enumerable.Range(1, count).Select(id => new Change(id, $"change-{id}", ChangeTable.T0.AddMinutes(id - 1)))];

    private long[] WrittenChanges(string name)
        => [.. Directory.EnumerateFiles(Path.Combine(_temp.Path, name), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => JsonSerializer.Deserialize(line, ChangeJson.Default.Change)!.Id)
            .Order()];

    [Fact]
    public async Task A_resumed_run_of_an_extractor_with_a_watermark_param_finds_the_remembered_lead_from_the_runs_own_first_page()
    {
        // BUG: RememberedLeadAsync walks the remembered pages from FirstRequestUrl(input), the URL WITHOUT the watermark's ?since=
        // (and ?until=) that every run of such an extractor actually starts with (RunCheckpointer.Begin -> StartAt). That URL's key is
        // never remembered, so for any extractor with a [Watermark(Param = ...)] the path "breaks off" at once and the resumed run
        // fails with the API's 404, every run, until `state reset`. The docs promise the walk "from the input's first page" and name
        // only a page without a validator or a backfill as what breaks it off.
        //
        // Sequence: run 1 (since = Initial) writes changes 1..6 on pages 1..3. Run 2 (since = watermark - lag) asks page 1 with its new
        // since= (200, its records already seen: remembered, under the since= key), page 2 -> 304 (no Link), page 3 -> 404 (gone),
        // page 2 asked again in full -> 503: the run fails with the input's checkpoint at page 3. Run 3 resumes at page 3: 404 again.
        // It should find page 2 through page 1 (?since=...&per_page=2, remembered by run 2, Next = page 2), read page 2 again in full,
        // see it is now the last page and succeed, as A_run_resumed_at_a_refused_lead_finds_the_remembered_page_that_led_there... does
        // without a watermark. Instead it fails with the 404.
        string name = "rl4-since-lead";
        int pages = 3;
        bool unavailable = false;
        var rows = ChangeList(6);
        Api.Map("/" + name + "/changes", WithoutLinkOn304(ctx =>
        {
            int n = int.TryParse(ctx.Request.Query["page"], out int p) ? p : 1;
            if (n > pages)
            {
                return Reply.Json(ctx, """{"message":"page out of range"}""", 404);
            }

            if (unavailable && n == 2 && ctx.Request.Headers.IfNoneMatch.Count == 0)
            {
                return Reply.Json(ctx, """{"message":"unavailable"}""", 503);
            }

            string json = "[" + string.Join(",", rows.Skip((n - 1) * 2).Take(2).Select(r => JsonSerializer.Serialize(r, ChangeJson.Default.Change))) + "]";
            return ETagged(ctx, json, c => c.Response.Headers.Link = n < pages
                ? $"<{Reply.Root(c)}{c.Request.Path}?per_page=2&page={n + 1}>; rel=\"next\""
                : $"<{Reply.Root(c)}{c.Request.Path}?per_page=2&page=1>; rel=\"first\"");
        }));
        var store = new InMemoryStateStore();
        var once = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 } };

        async Task<PipelineResult> RunAsync()
        {
            var extractor = new HttpExtractor<Scenario, Change>(ReviewLead4SinceLinkChanges.Definition, null, At with { ConditionalRequests = true, Resilience = once });
            await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _temp.Path, Name = name });
            return await new Pipeline<Scenario, Change>(name, extractor, output, new PipelineOptions { StateStore = store }).ExecuteAsync(new Scenario(name));
        }

        var first = await RunAsync();
        Assert.True(first.Status == PipelineStatus.Succeeded, $"{first.Status}: {first.Error?.Message}");
        Assert.Equal(6, first.Records);
        pages = 2;
        unavailable = true;
        var second = await RunAsync();
        Assert.Equal(PipelineStatus.Failed, second.Status);
        Assert.Equal(1, second.PagesNotModified); // page 2 answered 304 and led to page 3, refused; page 2 in full answered 503
        Assert.Contains(Requests(name).Skip(3), r => r.Q("since") is not null); // the run's first page carries since=
        // Run 2's first page (?per_page=2&since=...) is remembered: four pages now (run 1's three, its first page with another since=).
        Assert.Equal(4, (await store.GetScopeAsync("pages:" + name)).Count);
        unavailable = false;
        int before = Requests(name).Count;

        var third = await RunAsync();

        Assert.True(third.Status == PipelineStatus.Succeeded, $"{third.Status}: {third.Error?.Message}");
        Assert.Equal(["3", "2"], Requests(name).Skip(before).Select(r => r.Q("page") ?? "1"));
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), WrittenChanges(name));
    }
}
