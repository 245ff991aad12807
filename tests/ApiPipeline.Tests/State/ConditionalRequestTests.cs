using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using static ApiPipeline.Tests.PipelineTestKit;

namespace ApiPipeline.Tests;

/// <summary>As <see cref="ClientFilteredChanges"/> (no server-side filter, every run asks for the same URLs), with an initial watermark.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(ChangeJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(Change.UpdatedAt), Lag = "5m", AllowedLateness = "2m", Late = LateRecordPolicy.Drop, Initial = "2026-04-01T00:10:00Z")]
public sealed partial class InitialClientFilteredChanges : IExtractor<Scenario, Change>;

/// <summary>
/// Conditional requests ([ConditionalRequests]): a pipeline remembers the validator of each page it committed, sends it on the next
/// run, skips the pages the API answers 304 Not Modified and continues where they led.
/// </summary>
public sealed class ConditionalRequestTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public enum Style
    {
        Cursor,
        Link,
        Offset,
        Token,
    }

    /// <summary>
    /// Pages whose content has a version each: an <c>ETag</c> (or <c>Last-Modified</c> date) per page and version, and 304 to a request
    /// whose validator matches. Page n holds ids from (n-1)·PerPage+1, named <c>item-{id}-v{version}</c>.
    /// </summary>
    private sealed class VersionedApi(Style style, int count, int perPage, int lastSize)
    {
        private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public readonly int[] Versions = new int[count + 2];

        public int Count = count;

        public bool LastModified;

        public bool Weak;

        public string ETag(int n) => (Weak ? "W/" : "") + $"\"p{n}v{Versions[n]}\"";

        public string Modified(int n) => Epoch.AddDays(Versions[n]).ToString("R", CultureInfo.InvariantCulture);

        public RequestDelegate Handler => ctx =>
        {
            var q = ctx.Request.Query;
            int n = style switch
            {
                Style.Link => int.TryParse(q["page"], out int p) ? p : 1,
                Style.Offset => (int.TryParse(q["offset"], out int o) ? o : 0) / perPage + 1,
                _ => int.TryParse(q["cursor"], out int c) ? c : 1,
            };
            if (n > Count)
            {
                return style == Style.Offset ? Reply.Json(ctx, """{"data":[]}""") : Reply.Json(ctx, """{"message":"past the end"}""", 404);
            }

            if (LastModified)
            {
                ctx.Response.Headers.LastModified = Modified(n);
                if (DateTimeOffset.TryParse(ctx.Request.Headers.IfModifiedSince, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since) && since >= Epoch.AddDays(Versions[n]))
                {
                    ctx.Response.StatusCode = StatusCodes.Status304NotModified;
                    return Task.CompletedTask;
                }
            }
            else
            {
                ctx.Response.Headers.ETag = ETag(n);
                if (ctx.Request.Headers.IfNoneMatch == ETag(n))
                {
                    ctx.Response.StatusCode = StatusCodes.Status304NotModified;
                    return Task.CompletedTask;
                }
            }

            int size = n == Count ? lastSize : perPage;
            string items = "[" + string.Join(",", Enumerable.Range((n - 1) * perPage + 1, size).Select(id => $$$"""{"id":{{{id}}},"name":"item-{{{id}}}-v{{{Versions[n]}}}"}""")) + "]";
            string next = n == Count ? "null" : $"\"{n + 1}\"";
            switch (style)
            {
                case Style.Link:
                    if (n < Count)
                    {
                        ctx.Response.Headers.Link = $"<{Reply.Root(ctx)}{ctx.Request.Path}?per_page={perPage}&page={n + 1}>; rel=\"next\"";
                    }

                    return Reply.Json(ctx, items);
                case Style.Offset:
                    return Reply.Json(ctx, $$"""{"data":{{items}}}""");
                case Style.Token:
                    return Reply.Json(ctx, $$"""{"data":{{items}},"next":{{next}}}""");
                default:
                    return Reply.Json(ctx, $$$"""{"data":{{{items}}},"meta":{"next_cursor":{{{next}}}}}""");
            }
        };
    }

    private Pipeline<TIn, Item> Pipeline<TIn>(string id, IExtractor<TIn, Item> extractor, IStateStore store, ILoggerFactory? logging = null)
        => new(id, extractor, Jsonl(_temp.Path, id), new PipelineOptions { StateStore = store, LoggerFactory = logging });

    /// <summary>Every committed line as (id, name), file by file.</summary>
    private (long Id, string Name)[] Lines(string id)
        => [.. Directory.EnumerateFiles(Path.Combine(_temp.Path, id), "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .SelectMany(File.ReadAllLines)
            .Select(line => JsonSerializer.Deserialize(line, TestJson.Default.Item)!)
            .Select(item => (item.Id, item.Name))];

    private static async Task<IReadOnlyList<KeyValuePair<string, string>>> StoredPagesAsync(IStateStore store, string id)
        => await store.GetScopeAsync("pages:" + id);

    [Fact]
    public async Task A_second_run_against_an_unchanged_api_sends_the_etags_and_skips_every_page()
    {
        var api = new VersionedApi(Style.Cursor, count: 3, perPage: 3, lastSize: 2);
        var input = Map("cr-unchanged", api.Handler);
        var store = new InMemoryStateStore();

        var first = await Pipeline("cr-unchanged", new ConditionalCursorItems(At), store).ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Succeeded, first.Status);
        Assert.Equal(8, first.Records);
        Assert.Equal(0, first.PagesNotModified);
        Assert.All(Requests("cr-unchanged"), r => Assert.False(r.Headers.ContainsKey("If-None-Match")));
        Assert.Equal(3, (await StoredPagesAsync(store, "cr-unchanged")).Count);

        // The metric counts the skipped pages by extractor, with no other tag (the tests of this class run one at a time).
        var measured = new System.Collections.Concurrent.ConcurrentQueue<(long Value, string[] Tags)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name == ApiPipelineMetrics.PagesNotModified)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => measured.Enqueue((value, [.. tags.ToArray().Select(t => $"{t.Key}={t.Value}")])));
        listener.Start();

        var logLines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(logLines)));
        var second = await Pipeline("cr-unchanged", new ConditionalCursorItems(At), store, logging).ExecuteAsync(input);

        Assert.Contains(logLines, line => line.StartsWith("Information 1004 ", StringComparison.Ordinal) && line.Contains(" 3 ", StringComparison.Ordinal));
        Assert.Equal(3, measured.Where(m => m.Tags.SequenceEqual([$"{ApiPipelineTags.Extractor}=ConditionalCursorItems"])).Sum(m => m.Value));
        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(0, second.Records);
        Assert.Equal(3, second.Pages);
        Assert.Equal(3, second.PagesNotModified);
        Assert.Equal(3, second.Requests);
        var again = Requests("cr-unchanged").Skip(3).ToList();
        Assert.Equal(["/cr-unchanged/items?limit=3", "/cr-unchanged/items?limit=3&cursor=2", "/cr-unchanged/items?limit=3&cursor=3"], again.Select(r => r.RawTarget));
        Assert.Equal([api.ETag(1), api.ETag(2), api.ETag(3)], again.Select(r => r.Headers["If-None-Match"]));
        Assert.Equal(Body.Ids(1, 8), CommittedIds(Path.Combine(_temp.Path, "cr-unchanged")));
        Assert.Contains("(3 not modified)", RunSummary.From(second).ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Style.Cursor)]
    [InlineData(Style.Link)]
    [InlineData(Style.Offset)]
    public async Task A_changed_page_is_written_again_and_the_pagination_goes_on_from_the_stored_next_of_unchanged_ones(Style style)
    {
        string id = "cr-changed-" + style.ToString().ToLowerInvariant();
        int perPage = style == Style.Link ? 2 : 3;
        var api = new VersionedApi(style, count: 4, perPage, lastSize: 1) { Weak = style == Style.Link };
        var input = Map(id, api.Handler);
        var store = new InMemoryStateStore();
        IExtractor<Scenario, Item> Extractor() => style switch
        {
            Style.Link => new ConditionalLinkItems(At),
            Style.Offset => new ConditionalOffsetItems(At),
            _ => new ConditionalCursorItems(At),
        };

        var first = await Pipeline(id, Extractor(), store).ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Succeeded, first.Status);
        int firstRequests = Requests(id).Count;
        api.Versions[2] = 1;

        var second = await Pipeline(id, Extractor(), store).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(perPage, second.Records);
        Assert.Equal(3, second.PagesNotModified);
        var again = Requests(id).Skip(firstRequests).ToList();
        Assert.Equal(Requests(id).Take(4).Select(r => r.RawTarget), again.Select(r => r.RawTarget));
        // Page 2 carried its old validator (a weak one with its W/) and was answered in full; pages 1, 3 and 4 were not modified.
        Assert.Equal(api.Weak ? "W/\"p2v0\"" : "\"p2v0\"", again[1].Headers["If-None-Match"]);
        var lines = Lines(id);
        Assert.Equal(3 * perPage + 1 + perPage, lines.Length);
        Assert.Equal(Enumerable.Range(perPage + 1, perPage).Select(i => ($"item-{i}-v1")), lines.Skip(3 * perPage + 1).Select(l => l.Name));

        // The changed page's new validator is remembered: a third run skips all four pages.
        var third = await Pipeline(id, Extractor(), store).ExecuteAsync(input);
        Assert.Equal(0, third.Records);
        Assert.Equal(4, third.PagesNotModified);
    }

    [Fact]
    public async Task Without_an_etag_the_last_modified_date_is_sent_back_as_if_modified_since()
    {
        var api = new VersionedApi(Style.Cursor, count: 2, perPage: 3, lastSize: 3) { LastModified = true };
        var input = Map("cr-modified", api.Handler);
        var store = new InMemoryStateStore();
        await Pipeline("cr-modified", new ConditionalCursorItems(At), store).ExecuteAsync(input);
        api.Versions[1] = 1;

        var second = await Pipeline("cr-modified", new ConditionalCursorItems(At), store).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(3, second.Records);
        Assert.Equal(1, second.PagesNotModified);
        var again = Requests("cr-modified").Skip(2).ToList();
        string before = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToString("R", CultureInfo.InvariantCulture);
        Assert.Equal([before, before], again.Select(r => r.Headers["If-Modified-Since"]));
        Assert.Equal(["item-1-v1", "item-2-v1", "item-3-v1"], Lines("cr-modified").Skip(6).Select(l => l.Name));
        Assert.All(again, r => Assert.False(r.Headers.ContainsKey("If-None-Match")));
    }

    [Fact]
    public async Task A_page_whose_batch_was_not_recorded_leaves_no_validator_and_is_fetched_again()
    {
        var api = new VersionedApi(Style.Cursor, count: 3, perPage: 3, lastSize: 3);
        var input = Map("cr-crash", api.Handler);
        var store = new InMemoryStateStore();
        string id = "cr-crash";
        var batchPerPage = new OutputBatchOptions { BatchSize = 3 };

        // Page 1's batch is recorded; page 2's is prepared (its records are durable under temporary names) but its transaction fails.
        var failed = await new Pipeline<Scenario, Item>(id, new ConditionalCursorItems(At), Jsonl(_temp.Path, id, batchPerPage), new PipelineOptions { StateStore = new FailingStore(store, failOnCommit: 2) }).ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        var stored = await StoredPagesAsync(store, id);
        Assert.Single(stored);
        Assert.Contains(stored, p => p.Value.Contains("p1v0", StringComparison.Ordinal));

        // The next run resumes after page 1 and requests page 2 without a validator: nothing is lost, nothing written twice.
        int before = Requests(id).Count;
        var resumed = await new Pipeline<Scenario, Item>(id, new ConditionalCursorItems(At), Jsonl(_temp.Path, id, batchPerPage), new PipelineOptions { StateStore = store }).ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Succeeded, resumed.Status);
        var again = Requests(id).Skip(before).ToList();
        Assert.Equal(["/cr-crash/items?limit=3&cursor=2", "/cr-crash/items?limit=3&cursor=3"], again.Select(r => r.RawTarget));
        Assert.All(again, r => Assert.False(r.Headers.ContainsKey("If-None-Match")));
        Assert.Equal(Body.Ids(1, 9), CommittedIds(Path.Combine(_temp.Path, id)));
        Assert.Equal(3, (await StoredPagesAsync(store, id)).Count);
    }

    [Fact]
    public async Task Entries_of_pages_a_finished_input_did_not_confirm_are_pruned()
    {
        var api = new VersionedApi(Style.Cursor, count: 3, perPage: 3, lastSize: 3);
        var input = Map("cr-prune", api.Handler);
        var store = new InMemoryStateStore();
        await Pipeline("cr-prune", new ConditionalCursorItems(At), store).ExecuteAsync(input);
        Assert.Equal(3, (await StoredPagesAsync(store, "cr-prune")).Count);

        // Page 2 changes and is now the last: page 3's entry is confirmed by nothing.
        api.Count = 2;
        api.Versions[2] = 1;
        var second = await Pipeline("cr-prune", new ConditionalCursorItems(At), store).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(1, second.PagesNotModified);
        var stored = await StoredPagesAsync(store, "cr-prune");
        Assert.Equal(2, stored.Count);
        Assert.DoesNotContain(stored, p => p.Value.Contains("p3v0", StringComparison.Ordinal));
        Assert.Contains(stored, p => p.Value.Contains("p2v1", StringComparison.Ordinal));
    }

    [Fact]
    public void Conditional_requests_with_pages_fetched_ahead_are_refused_when_the_extractor_is_created()
    {
        var error = Assert.Throws<ArgumentException>(() => new ConditionalOffsetItems(At with { MaxConcurrent = 3 }));

        Assert.Contains("Extractor 'ConditionalOffsetItems'", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxConcurrent", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConditionalRequests = false", error.Message, StringComparison.Ordinal);
        Assert.True(ConditionalOffsetItems.Definition.ConditionalRequests);
        Assert.False(OffsetItems.Definition.ConditionalRequests);
        Assert.False(new HttpExtractor<Scenario, Item>(ConditionalOffsetItems.Definition, null, At with { MaxConcurrent = 3, ConditionalRequests = false }).ConditionalRequests);
        Assert.True(new HttpExtractor<Scenario, Item>(OffsetItems.Definition, null, At with { ConditionalRequests = true }).ConditionalRequests);
    }

    [Fact]
    public async Task No_secret_of_the_request_reaches_the_state_store_and_the_validators_still_work()
    {
        const string token = "s3cr3t-t0ken-for-conditional";
        var api = new VersionedApi(Style.Token, count: 3, perPage: 2, lastSize: 2);
        var input = new TokenScenario("cr-secret", token);
        Api.Map("/cr-secret", api.Handler);
        var store = new InMemoryStateStore();
        await Pipeline("cr-secret", new ConditionalTokenItems(At), store).ExecuteAsync(input);

        var second = await Pipeline("cr-secret", new ConditionalTokenItems(At), store).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(3, second.PagesNotModified);
        Assert.All(Requests("cr-secret"), r => Assert.Equal(token, r.Q("access_token")));
        var stored = await StoredPagesAsync(store, "cr-secret");
        Assert.Equal(3, stored.Count);
        foreach (var scope in await store.GetScopesAsync())
        {
            foreach (var (key, value) in await store.GetScopeAsync(scope))
            {
                Assert.DoesNotContain(token, key, StringComparison.Ordinal);
                Assert.DoesNotContain(token, value, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_304_to_a_request_without_a_validator_is_still_an_error()
    {
        var input = Map("cr-unasked", ctx =>
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        });

        var result = await Pipeline("cr-unasked", new ConditionalCursorItems(At), new InMemoryStateStore()).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        var error = Assert.IsType<ExtractionException>(result.Error);
        Assert.Equal(ExtractionErrorKind.HttpStatus, error.Kind);
        Assert.Contains("304", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, result.PagesNotModified);
    }

    [Fact]
    public async Task Pages_past_max_records_carry_no_validator()
    {
        var api = new VersionedApi(Style.Cursor, count: 3, perPage: 3, lastSize: 3);
        var input = Map("cr-maxrecords", api.Handler);
        var store = new InMemoryStateStore();

        var first = await Pipeline("cr-maxrecords", new ConditionalCursorItems(At with { MaxRecords = 5 }), store).ExecuteAsync(input);

        // Page 1 is whole; page 2 was cut (2 of its 3 records) and ended the run: it must not lead a later run to the end.
        Assert.Equal(5, first.Records);
        var stored = await StoredPagesAsync(store, "cr-maxrecords");
        Assert.Single(stored);
        Assert.Contains("p1v0", stored[0].Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirected_page_is_remembered_under_the_url_first_requested()
    {
        var api = new VersionedApi(Style.Cursor, count: 2, perPage: 3, lastSize: 3);
        var input = Map("cr-redirect", ctx => ctx.Request.Path.Value!.Contains("/moved/", StringComparison.Ordinal)
            ? api.Handler(ctx)
            : Reply.Redirect(ctx, "/cr-redirect/moved/items" + ctx.Request.QueryString));
        var store = new InMemoryStateStore();
        await Pipeline("cr-redirect", new ConditionalCursorItems(At), store).ExecuteAsync(input);

        var second = await Pipeline("cr-redirect", new ConditionalCursorItems(At), store).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(2, second.PagesNotModified);
        Assert.Equal(0, second.Records);
        var keys = (await StoredPagesAsync(store, "cr-redirect")).Select(p => p.Key).Order(StringComparer.Ordinal);
        string[] firstRequested = [.. new[] { "/cr-redirect/items?limit=3", "/cr-redirect/items?limit=3&cursor=2" }.Select(RelativeKey).Order(StringComparer.Ordinal)];
        Assert.Equal(firstRequested, keys);
        // Both the request first made and the redirect's hop carry the validator.
        var again = Requests("cr-redirect").Skip(4).ToList();
        Assert.Equal(4, again.Count);
        Assert.All(again, r => Assert.Equal(api.ETag(r.Q("cursor") == "2" ? 2 : 1), r.Headers["If-None-Match"]));
    }

    [Fact]
    public async Task An_api_on_another_port_keeps_the_validators_of_its_pages_as_a_checkpoint_keeps_its_place()
    {
        // The sample's demo API (and any local server) gets a new port each run: pages under the base URL are keyed by path and query.
        var api = new VersionedApi(Style.Cursor, count: 2, perPage: 3, lastSize: 3);
        var input = Map("cr-moved", api.Handler);
        var store = new InMemoryStateStore();
        await Pipeline("cr-moved", new ConditionalCursorItems(At), store).ExecuteAsync(input);
        await using var moved = await TestApi.StartAsync();
        moved.Map("/cr-moved", api.Handler);

        var second = await Pipeline("cr-moved", new ConditionalCursorItems(new ExtractorOptions { BaseUrl = moved.BaseUrl }), store).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(2, second.PagesNotModified);
        Assert.Equal(0, second.Records);
        Assert.Equal([api.ETag(1), api.ETag(2)], moved.Requests.Select(r => r.Headers["If-None-Match"]));
        Assert.Equal(
            new[] { "/cr-moved/items?limit=3", "/cr-moved/items?limit=3&cursor=2" }.Select(RelativeKey).Order(StringComparer.Ordinal),
            (await StoredPagesAsync(store, "cr-moved")).Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    /// <summary>The request key of a page under the base URL: the hex SHA-256 of its path and query.</summary>
    private static string RelativeKey(string target) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(target)));

    [Fact]
    public async Task The_demo_api_answers_an_unchanged_page_with_304_and_a_weak_validator_matches_too()
    {
        await using var demo = await ApiPipeline.DemoApi.DemoApi.StartAsync(new ApiPipeline.DemoApi.DemoApiOptions { Issues = 10, Events = 10 });
        using var http = new HttpClient();
        foreach (string target in new[] { "/repos/o/r/issues?per_page=3", "/v1/events?limit=3" })
        {
            using var first = await http.GetAsync(demo.BaseUrl + target);
            Assert.Equal(System.Net.HttpStatusCode.OK, first.StatusCode);
            string etag = Assert.Single(first.Headers.GetValues("ETag"));
            Assert.StartsWith("\"", etag, StringComparison.Ordinal);

            foreach (string sent in new[] { etag, "W/" + etag, "\"other\", " + etag })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, demo.BaseUrl + target);
                request.Headers.TryAddWithoutValidation("If-None-Match", sent);
                using var again = await http.SendAsync(request);
                Assert.Equal(System.Net.HttpStatusCode.NotModified, again.StatusCode);
                Assert.Empty(await again.Content.ReadAsByteArrayAsync());
            }

            using var changed = new HttpRequestMessage(HttpMethod.Get, demo.BaseUrl + target);
            changed.Headers.TryAddWithoutValidation("If-None-Match", "\"not-this-page\"");
            using var answered = await http.SendAsync(changed);
            Assert.Equal(System.Net.HttpStatusCode.OK, answered.StatusCode);
        }
    }

    [Fact]
    public async Task A_run_that_max_pages_ends_on_a_304_page_keeps_where_that_page_led()
    {
        var api = new VersionedApi(Style.Cursor, count: 3, perPage: 3, lastSize: 3);
        var input = Map("cr-maxpages", api.Handler);
        var store = new InMemoryStateStore();
        await Pipeline("cr-maxpages", new ConditionalCursorItems(At), store).ExecuteAsync(input);

        var limited = await Pipeline("cr-maxpages", new ConditionalCursorItems(At with { MaxPages = 2 }), store).ExecuteAsync(input);
        Assert.Equal(2, limited.PagesNotModified);

        // Page 2 still leads to page 3: a run without the limit skips all three pages.
        var full = await Pipeline("cr-maxpages", new ConditionalCursorItems(At), store).ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Succeeded, full.Status);
        Assert.Equal(3, full.PagesNotModified);
        Assert.Equal(0, full.Records);
        Assert.Equal(Body.Ids(1, 9), CommittedIds(Path.Combine(_temp.Path, "cr-maxpages")));
    }

    /// <summary>A strong ETag of the body bytes (as the demo API computes it), and 304 to a request whose If-None-Match names it.</summary>
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

    /// <summary>Changes 1..n, one a minute from <see cref="ChangeTable.T0"/>, oldest first, ?page=&amp;per_page= (no server-side filter).</summary>
    private static RequestDelegate ChangePages(Func<int> count) => ChangeRows(() => ChangeList(count()));

    private long[] WrittenChanges(string name)
        => [.. Directory.EnumerateFiles(Path.Combine(_temp.Path, name), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => JsonSerializer.Deserialize(line, ChangeJson.Default.Change)!.Id)
            .Order()];

    /// <summary>ClientFilteredChanges: a [Watermark] without Param, so every run requests the same URLs; conditional requests turned on.</summary>
    private Task<PipelineResult> RunChangesAsync(string name, IStateStore store, PipelineOptions options)
        => RunAsync(name, ClientFilteredChanges.Definition, store, options);

    /// <summary>The changes of <paramref name="rows"/>(), oldest first, ?page=&amp;per_page= (no server-side filter), a body ETag.</summary>
    private static RequestDelegate ChangeRows(Func<IReadOnlyList<Change>> rows) => ctx =>
    {
        int page = int.Parse(ctx.Request.Query["page"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        int size = int.Parse(ctx.Request.Query["per_page"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        var slice = rows().OrderBy(r => r.UpdatedAt).ThenBy(r => r.Id).Skip((page - 1) * size).Take(size);
        return ETagged(ctx, "{\"data\":[" + string.Join(",", slice.Select(r => JsonSerializer.Serialize(r, ChangeJson.Default.Change))) + "]}");
    };

    private static List<Change> ChangeList(int count)
        => [.. Enumerable.Range(1, count).Select(id => new Change(id, $"change-{id}", ChangeTable.T0.AddMinutes(id - 1)))];

    private async Task<PipelineResult> RunAsync(string name, ExtractorDefinition<Scenario, Change> definition, IStateStore store, PipelineOptions options)
    {
        var extractor = new HttpExtractor<Scenario, Change>(definition, null, new ExtractorOptions { BaseUrl = Api.BaseUrl, ConditionalRequests = true });
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _temp.Path, Name = name, Batching = new OutputBatchOptions { BatchSize = 10 } });
        return await new Pipeline<Scenario, Change>(name, extractor, output, options with { StateStore = store }).ExecuteAsync(new Scenario(name));
    }

    [Fact]
    public async Task A_page_whose_records_a_bounded_run_dropped_as_out_of_range_is_not_remembered_and_a_later_run_writes_them()
    {
        // A run bounded by Until drops the records past its range without writing them: the pages it read are not remembered, so the
        // ordinary run after it reads them in full and writes changes 16..30 (a 304 would have skipped them for good).
        string name = "rv-bounded";
        Api.Map("/" + name + "/changes", ChangePages(() => 30));
        var store = new InMemoryStateStore();

        var bounded = await RunChangesAsync(name, store, new PipelineOptions { Until = ChangeTable.T0.AddMinutes(15) });
        Assert.Equal(PipelineStatus.Succeeded, bounded.Status);
        Assert.Equal(15, bounded.Records);

        var ordinary = await RunChangesAsync(name, store, new PipelineOptions());

        Assert.Equal(PipelineStatus.Succeeded, ordinary.Status);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), WrittenChanges(name).Distinct());
    }

    [Fact]
    public async Task The_last_page_of_a_link_header_pagination_is_asked_for_in_full_so_a_next_page_it_gains_is_read()
    {
        // The Link header is not part of the body, so an ETag computed over the body (the demo API's) does not change when page 2 gains
        // rel="next": the last page of a pagination carried in headers is asked for without its validator, and page 3 is read.
        string name = "rv-link-grows";
        int pages = 2;
        var input = Map(name, ctx =>
        {
            int n = int.TryParse(ctx.Request.Query["page"], out int p) ? p : 1;
            string items = Body.Items(Body.Ids((n - 1) * 2 + 1, n <= pages ? 2 : 0));
            return ETagged(ctx, items, c =>
            {
                if (n < pages)
                {
                    c.Response.Headers.Link = $"<{Reply.Root(c)}{c.Request.Path}?per_page=2&page={n + 1}>; rel=\"next\"";
                }
            });
        });
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalLinkItems(At), store);

        var first = await Pipeline().ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Succeeded, first.Status);
        Assert.Equal(4, first.Records);

        pages = 3; // two new records: page 2 is unchanged (still full), and now links to page 3
        var second = await Pipeline().ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(Body.Ids(1, 6), CommittedIds(Path.Combine(_temp.Path, name)).Order());
        // Page 1 was answered 304; page 2, asked for without its validator, was recognised as unchanged and not written again.
        Assert.Equal((2L, 2L), (second.Records, second.PagesNotModified));
        Assert.Equal([true, false, false], Requests(name).Skip(2).Select(r => r.Headers.ContainsKey("If-None-Match")));
    }
    [Fact]
    public async Task An_input_whose_last_page_carries_no_validator_still_prunes_so_watermark_urls_do_not_accumulate()
    {
        // An API that ends the pagination with 204 No Content gives its last page no validator: the input still ends there, so the
        // entries of earlier runs' since= URLs are pruned and only the last run's pages stay.
        string name = "rv-noprune";
        int rows = 15;
        Api.Map("/" + name + "/changes", ctx =>
        {
            int page = int.Parse(ctx.Request.Query["page"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            int size = int.Parse(ctx.Request.Query["per_page"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            var since = ctx.Request.Query.TryGetValue("since", out var s) ? DateTimeOffset.Parse(s.ToString(), System.Globalization.CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
            var changes = Enumerable.Range(1, rows).Select(id => new Change(id, $"change-{id}", ChangeTable.T0.AddMinutes(id - 1))).Where(c => c.UpdatedAt >= since).Skip((page - 1) * size).Take(size).ToList();
            if (changes.Count == 0)
            {
                ctx.Response.StatusCode = StatusCodes.Status204NoContent; // the end: no body, no validator
                return Task.CompletedTask;
            }

            return ETagged(ctx, "{\"data\":[" + string.Join(",", changes.Select(r => System.Text.Json.JsonSerializer.Serialize(r, ChangeJson.Default.Change))) + "]}");
        });
        var store = new InMemoryStateStore();
        async Task<PipelineResult> Run()
        {
            // Changes: [Watermark(UpdatedAt, Param = "since", Lag = "5m")], so each run asks from a new since=.
            var extractor = new HttpExtractor<Scenario, Change>(Changes.Definition, null, new ExtractorOptions { BaseUrl = Api.BaseUrl, ConditionalRequests = true });
            await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _temp.Path, Name = name });
            return await new Pipeline<Scenario, Change>(name, extractor, output, new PipelineOptions { StateStore = store }).ExecuteAsync(new Scenario(name));
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(PipelineStatus.Succeeded, (await Run()).Status);
            rows += 10;
        }

        // The last run's URL (since = its watermark minus the lag) has 2 pages with a validator; the 3 earlier runs' URLs are gone.
        Assert.Equal(2, (await store.GetScopeAsync("pages:" + name)).Count);
    }
    [Fact]
    public async Task A_link_that_now_leads_back_to_an_unchanged_page_fails_as_a_pagination_loop_instead_of_following_304s_for_ever()
    {
        // Page 2 changes to link back to page 1 and is committed with its new validator (one record per batch): page 1 (304) leads to
        // page 2 (304) which leads to page 1. The hops a 304 takes pass no paginator, so the input's request keys catch the loop.
        string name = "rv-loop";
        bool loops = false;
        var input = Map(name, ctx =>
        {
            int n = int.TryParse(ctx.Request.Query["page"], out int p) ? p : 1;
            string items = Body.Items(Body.Ids((n - 1) * 2 + 1, 2)[..(n == 2 && loops ? 1 : 2)]);
            return ETagged(ctx, items, c =>
            {
                if (n == 1 || loops)
                {
                    c.Response.Headers.Link = $"<{Reply.Root(c)}{c.Request.Path}?per_page=2&page={(n == 1 ? 2 : 1)}>; rel=\"next\"";
                }
            });
        });
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline() => new(name, new ConditionalLinkItems(At), Jsonl(_temp.Path, name, new OutputBatchOptions { BatchSize = 1 }), new PipelineOptions { StateStore = store });
        Assert.Equal(4, (await Pipeline().ExecuteAsync(input)).Records);

        loops = true; // page 2 changes (one record fewer) and now links back to page 1
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        int before = Requests(name).Count;
        PipelineResult? result = null;
        try
        {
            result = await Pipeline().ExecuteAsync(input, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        Assert.False(stop.IsCancellationRequested, $"the run was still going after 5 s, {Requests(name).Count - before} requests into the loop");
        Assert.Equal(PipelineStatus.Failed, result!.Status);
        Assert.Equal(ExtractionErrorKind.PaginationLoop, Assert.IsType<ExtractionException>(result.Error).Kind);
    }

    /// <summary>
    /// ?per_page=2&amp;page=n, two items a page up to page <paramref name="pages"/>(), a body ETag; a Link header on every answer, 304s
    /// included, as some APIs send one: rel="next" up to the last page, only rel="first" on it.
    /// </summary>
    private static RequestDelegate LinkPages(Func<int> pages) => ctx =>
    {
        int n = int.TryParse(ctx.Request.Query["page"], out int p) ? p : 1;
        string items = Body.Items(Body.Ids((n - 1) * 2 + 1, n <= pages() ? 2 : 0));
        return ETagged(ctx, items, c => c.Response.Headers.Link = n < pages()
            ? $"<{Reply.Root(c)}{c.Request.Path}?per_page=2&page={n + 1}>; rel=\"next\""
            : $"<{Reply.Root(c)}{c.Request.Path}?per_page=2&page=1>; rel=\"first\"");
    };

    [Fact]
    public async Task The_records_of_an_unchanged_last_link_page_read_again_do_not_count_towards_MaxRecords()
    {
        // Page 2, the last, is asked for in full and recognised: its records are not written, so MaxRecords = 2 still reaches page 3.
        string name = "cr-maxrecords-landed";
        int pages = 2;
        var input = Map(name, LinkPages(() => pages));
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline(ExtractorOptions options) => this.Pipeline(name, new ConditionalLinkItems(options), store);
        Assert.Equal(4, (await Pipeline(At).ExecuteAsync(input)).Records);

        pages = 3; // page 2 is unchanged (still full) and now links to page 3
        var second = await Pipeline(At with { MaxRecords = 2 }).ExecuteAsync(input);

        Assert.Equal((PipelineStatus.Succeeded, 2L), (second.Status, second.Records));
        Assert.Equal(Body.Ids(1, 6), CommittedIds(Path.Combine(_temp.Path, name)).Order());
    }

    [Fact]
    public async Task A_304_that_carries_a_link_header_leads_where_it_says_so_a_page_that_lost_its_next_page_ends_the_input()
    {
        // Page 3's records are gone: page 2 stays byte for byte the same (304) but its Link header, sent with the 304 too, has no
        // rel="next" any more. As a cache takes a 304's header fields over the stored ones, the input ends at page 2; the stored next
        // page (which this API answers 404) is not asked for.
        string name = "cr-link-shrinks";
        int pages = 3;
        var input = Map(name, ctx => int.TryParse(ctx.Request.Query["page"], out int n) && n > pages
            ? Reply.Json(ctx, """{"message":"page out of range"}""", 404)
            : LinkPages(() => pages)(ctx));
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalLinkItems(At), store);
        Assert.Equal(6, (await Pipeline().ExecuteAsync(input)).Records);

        pages = 2;
        var second = await Pipeline().ExecuteAsync(input);

        Assert.True(second.Status == PipelineStatus.Succeeded, $"{second.Status}: {second.Error?.Message}");
        Assert.Equal((0L, 2L), (second.Records, second.PagesNotModified));
        Assert.DoesNotContain(Requests(name).Skip(3), r => r.Q("page") == "3");

        // Page 2 is now remembered as the last: the next run asks for it in full and recognises it.
        var third = await Pipeline().ExecuteAsync(input);
        Assert.Equal((0L, 2L), (third.Records, third.PagesNotModified));
        Assert.False(Requests(name)[^1].Headers.ContainsKey("If-None-Match"));
    }

    [Fact]
    public async Task A_page_whose_older_records_an_ordinary_run_reads_below_its_start_is_remembered()
    {
        // ClientFilteredChanges (the sample's events): every run reads the whole list and drops what lies below its start, which the
        // runs that set the watermark wrote. Page 2 changed once (change 20 arrived); after that, nothing changes and every page is 304.
        string name = "cr-ordinary-start";
        int count = 19;
        Api.Map("/" + name + "/changes", ChangePages(() => count));
        var store = new InMemoryStateStore();
        Assert.Equal(PipelineStatus.Succeeded, (await RunChangesAsync(name, store, new PipelineOptions())).Status);
        count = 25;
        var second = await RunChangesAsync(name, store, new PipelineOptions());
        Assert.Equal((PipelineStatus.Succeeded, 6L), (second.Status, second.Records));

        var third = await RunChangesAsync(name, store, new PipelineOptions());

        Assert.Equal((0L, third.Pages), (third.Records, third.PagesNotModified));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), WrittenChanges(name));
    }

    [Fact]
    public async Task A_backfill_reads_in_full_the_pages_that_ordinary_runs_remember_and_writes_what_lay_below_an_initial_watermark()
    {
        // Changes 1..10 lie before the initial watermark (T0+10m): no ordinary run writes them. The second ordinary run remembers page 1
        // (below its start is below what it needs); the backfill from T0 sends no validator, reads page 1 in full and writes them.
        string name = "cr-initial";
        var rows = ChangeList(30);
        Api.Map("/" + name + "/changes", ChangeRows(() => rows));
        var store = new InMemoryStateStore();
        Assert.Equal(20, (await RunAsync(name, InitialClientFilteredChanges.Definition, store, new PipelineOptions())).Records);
        Assert.Equal(PipelineStatus.Succeeded, (await RunAsync(name, InitialClientFilteredChanges.Definition, store, new PipelineOptions())).Status);

        var backfill = await RunAsync(name, InitialClientFilteredChanges.Definition, store, new PipelineOptions { From = ChangeTable.T0 });

        Assert.Equal((PipelineStatus.Succeeded, 0L), (backfill.Status, backfill.PagesNotModified));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), WrittenChanges(name).Distinct());
    }

    [Fact]
    public async Task A_backdated_record_that_an_ordinary_run_drops_below_its_start_is_written_by_a_backfill()
    {
        // Change 100 arrives backdated to T0+30s, after the watermark passed it: the ordinary run drops it below its start, as designed,
        // and remembers its page; the backfill from T0, which exists to pick such records up, reads the page in full and writes it.
        string name = "cr-backdated";
        var rows = ChangeList(30);
        Api.Map("/" + name + "/changes", ChangeRows(() => rows));
        var store = new InMemoryStateStore();
        Assert.Equal(30, (await RunAsync(name, ClientFilteredChanges.Definition, store, new PipelineOptions())).Records);
        rows = [.. rows, new Change(100, "change-100", ChangeTable.T0.AddSeconds(30))];
        var ordinary = await RunAsync(name, ClientFilteredChanges.Definition, store, new PipelineOptions());
        Assert.Equal((PipelineStatus.Succeeded, 0L), (ordinary.Status, ordinary.Records));

        var backfill = await RunAsync(name, ClientFilteredChanges.Definition, store, new PipelineOptions { From = ChangeTable.T0 });

        Assert.Equal(PipelineStatus.Succeeded, backfill.Status);
        Assert.Contains(100L, WrittenChanges(name));
    }

    [Fact]
    public async Task A_304_whose_link_header_holds_no_pagination_link_leads_where_its_page_led_before()
    {
        // The 304s carry a Link field with a documentation link only: it says nothing of the pagination, so the stored next pages stand.
        string name = "cr-link-docs";
        bool docsOnly = false;
        var pages = LinkPages(() => 3);
        var input = Map(name, ctx =>
        {
            if (docsOnly && ctx.Request.Headers.IfNoneMatch.Count > 0)
            {
                ctx.Response.OnStarting(() =>
                {
                    if (ctx.Response.StatusCode == StatusCodes.Status304NotModified)
                    {
                        ctx.Response.Headers.Link = "<https://docs.example.com/items>; rel=\"describedby\"";
                    }

                    return Task.CompletedTask;
                });
            }

            return pages(ctx);
        });
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalLinkItems(At), store);
        Assert.Equal(6, (await Pipeline().ExecuteAsync(input)).Records);
        docsOnly = true;

        var second = await Pipeline().ExecuteAsync(input);

        Assert.Equal((PipelineStatus.Succeeded, 0L, 3L), (second.Status, second.Records, second.PagesNotModified));
        Assert.Equal(["1", "2", "3"], Requests(name).Skip(3).Select(r => r.Q("page") ?? "1"));
    }

    /// <summary>Strips <paramref name="header"/> from the 304s of <paramref name="pages"/>, as an API that sends only the validator with them.</summary>
    private static RequestDelegate WithoutOn304(string header, RequestDelegate pages) => ctx =>
    {
        ctx.Response.OnStarting(() =>
        {
            if (ctx.Response.StatusCode == StatusCodes.Status304NotModified)
            {
                ctx.Response.Headers.Remove(header);
            }

            return Task.CompletedTask;
        });
        return pages(ctx);
    };

    private static RequestDelegate WithoutLinkOn304(RequestDelegate pages) => WithoutOn304("Link", pages);

    [Fact]
    public async Task A_page_that_a_304_without_a_link_header_led_to_and_the_api_dropped_sends_the_unchanged_page_to_be_read_again_in_full()
    {
        // Page 3's records are gone, page 2 stays byte for byte the same, and the 304s carry no Link header: page 2's 304 leads to
        // page 3, as it did when written, and the API answers 404. Page 2 is asked for again in full: recognised by its validator (its
        // records are not written again), its fresh Link says it is the last page, and the input ends.
        string name = "cr-link-dropped";
        int pages = 3;
        var input = Map(name, WithoutLinkOn304(ctx => int.TryParse(ctx.Request.Query["page"], out int n) && n > pages
            ? Reply.Json(ctx, """{"message":"page out of range"}""", 404)
            : LinkPages(() => pages)(ctx)));
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline(ILoggerFactory? logging = null) => this.Pipeline(name, new ConditionalLinkItems(At with { LoggerFactory = logging }), store);
        Assert.Equal(6, (await Pipeline().ExecuteAsync(input)).Records);
        pages = 2;

        var logLines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(logLines)));
        var second = await Pipeline(logging).ExecuteAsync(input);

        Assert.True(second.Status == PipelineStatus.Succeeded, $"{second.Status}: {second.Error?.Message}");
        Assert.Equal(0, second.Records);
        var asked = Requests(name).Skip(3).ToList();
        Assert.Equal(["1", "2", "3", "2"], asked.Select(r => r.Q("page") ?? "1"));
        Assert.Equal(4, second.Requests);
        Assert.False(asked[^1].Headers.ContainsKey("If-None-Match"));
        Assert.Contains(logLines, line => line.StartsWith("Warning 2009 ", StringComparison.Ordinal) && line.Contains("page=3", StringComparison.Ordinal) && line.Contains("(404)", StringComparison.Ordinal));
        Assert.Equal(Body.Ids(1, 6), CommittedIds(Path.Combine(_temp.Path, name)).Order());

        // Page 2 is now remembered as the last page: the next run does not go to page 3 at all.
        var third = await Pipeline().ExecuteAsync(input);
        Assert.Equal((PipelineStatus.Succeeded, 0L, 2L), (third.Status, third.Records, third.PagesNotModified));
        Assert.DoesNotContain(Requests(name).Skip(7), r => r.Q("page") == "3");
    }

    [Fact]
    public async Task A_run_resumed_at_a_refused_lead_finds_the_remembered_page_that_led_there_and_reads_it_again()
    {
        // Page 3 is gone and page 2 unchanged. The second run gets 304s for pages 1 and 2, 404 for page 3, and page 2, asked for again in
        // full, answers 503: the run fails with the input's checkpoint at page 3. The third run resumes there, is refused again, finds
        // page 2 by following the remembered pages from page 1 (no request), reads it again in full and ends the input where it leads.
        string name = "cr-resumed-lead";
        int pages = 3;
        bool unavailable = false;
        var input = Map(name, WithoutLinkOn304(ctx =>
        {
            int n = int.TryParse(ctx.Request.Query["page"], out int p) ? p : 1;
            return n > pages ? Reply.Json(ctx, """{"message":"page out of range"}""", 404)
                : unavailable && n == 2 && ctx.Request.Headers.IfNoneMatch.Count == 0 ? Reply.Json(ctx, """{"message":"unavailable"}""", 503)
                : LinkPages(() => pages)(ctx);
        }));
        var store = new InMemoryStateStore();
        var once = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 } };
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalLinkItems(At with { Resilience = once }), store);
        Assert.Equal(6, (await Pipeline().ExecuteAsync(input)).Records);
        pages = 2;
        unavailable = true;
        Assert.Equal(PipelineStatus.Failed, (await Pipeline().ExecuteAsync(input)).Status);
        unavailable = false;

        var third = await Pipeline().ExecuteAsync(input);

        Assert.True(third.Status == PipelineStatus.Succeeded, $"{third.Status}: {third.Error?.Message}");
        Assert.Equal(["3", "2"], Requests(name).Skip(7).Select(r => r.Q("page") ?? "1"));
        Assert.Equal((0L, 2L), (third.Records, third.Requests));
        Assert.Equal(Body.Ids(1, 6), CommittedIds(Path.Combine(_temp.Path, name)).Order());
        var fourth = await Pipeline().ExecuteAsync(input);
        Assert.Equal((PipelineStatus.Succeeded, 0L, 2L), (fourth.Status, fourth.Records, fourth.PagesNotModified));
    }

    [Fact]
    public async Task A_resumed_run_of_an_extractor_with_a_watermark_param_follows_the_remembered_pages_from_the_runs_own_first_page()
    {
        // A watermark's ?since= is part of each run's first page: the remembered pages are followed from the first page of the run
        // that stopped (run 2's, with its since=), not from the input's bare first request. Run 2 fails with page 3 refused and page 2,
        // read again, unavailable; run 3 resumes at page 3, finds page 2 through run 2's first page and ends the input there.
        string name = "cr-resumed-since";
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
            var extractor = new HttpExtractor<Scenario, Change>(ConditionalSinceLinkChanges.Definition, null, At with { ConditionalRequests = true, Resilience = once });
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

    [Fact]
    public async Task A_resumed_run_whose_first_page_is_refused_without_a_remembered_lead_fails_with_the_apis_answer()
    {
        // A cursor run that failed on page 2 resumes there; the API now refuses that cursor, and no remembered page leads to it (page 1
        // was never answered with a validator): the 400 stands.
        string name = "cr-resumed-no-lead";
        bool failing = true;
        var input = Map(name, ctx => ctx.Request.Query["cursor"] == "2"
            ? Reply.Json(ctx, failing ? """{"message":"unavailable"}""" : """{"message":"cursor expired"}""", failing ? 503 : 400)
            : Reply.Json(ctx, """{"data":[{"id":1,"name":"a"}],"meta":{"next_cursor":"2"}}"""));
        var store = new InMemoryStateStore();
        var once = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 } };
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalCursorItems(At with { Resilience = once }), store);
        Assert.Equal(PipelineStatus.Failed, (await Pipeline().ExecuteAsync(input)).Status);
        failing = false;

        var second = await Pipeline().ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Failed, second.Status);
        var error = Assert.IsType<ExtractionException>(second.Error);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(["2"], Requests(name).Skip(2).Select(r => r.Q("cursor")));
    }

    [Fact]
    public async Task A_page_still_refused_after_its_unchanged_page_was_read_again_fails_the_input_with_the_apis_answer()
    {
        // Page 3 answers 404 from the second run on, while page 2, unchanged, still links to it: the API contradicts itself. Page 2 is
        // read again once, page 3 asked for once more, and its 404 fails the input (not a pagination loop, and no third attempt).
        string name = "cr-link-broken";
        bool broken = false;
        var input = Map(name, WithoutLinkOn304(ctx => broken && ctx.Request.Query["page"] == "3"
            ? Reply.Json(ctx, """{"message":"not found"}""", 404)
            : LinkPages(() => 3)(ctx)));
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalLinkItems(At), store);
        Assert.Equal(6, (await Pipeline().ExecuteAsync(input)).Records);
        broken = true;

        var second = await Pipeline().ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Failed, second.Status);
        var error = Assert.IsType<ExtractionException>(second.Error);
        Assert.Equal((ExtractionErrorKind.HttpStatus, (System.Net.HttpStatusCode?)System.Net.HttpStatusCode.NotFound), (error.Kind, error.StatusCode));
        Assert.Equal(["1", "2", "3", "2", "3"], Requests(name).Skip(3).Select(r => r.Q("page") ?? "1"));
        Assert.Equal(5, second.Requests);
        Assert.Equal(Body.Ids(1, 6), CommittedIds(Path.Combine(_temp.Path, name)).Order());
    }

    /// <summary>
    /// Three pages of two items behind a header cursor (<c>X-Next-Cursor</c>, sent back as ?after=) that is valid for one session only
    /// (<c>s{session}-{page}</c>, a new session per run here) and not sent with the 304s; a cursor of another session is refused (400).
    /// Page n holds the ids from <paramref name="firstId"/>(n), by default (n-1)·2+1.
    /// </summary>
    private static RequestDelegate SessionCursorPages(Func<int> session, Func<int, long>? firstId = null) => WithoutOn304("X-Next-Cursor", ctx =>
    {
        string? after = ctx.Request.Query["after"];
        int n = 1;
        if (after is not null)
        {
            string[] parts = after.Split('-');
            if (parts[0] != $"s{session()}")
            {
                return Reply.Json(ctx, """{"message":"cursor expired"}""", 400);
            }

            n = int.Parse(parts[1], CultureInfo.InvariantCulture);
        }

        return ETagged(ctx, Body.Items(Body.Ids(firstId?.Invoke(n) ?? (n - 1) * 2 + 1, 2)), c =>
        {
            if (n < 3)
            {
                c.Response.Headers["X-Next-Cursor"] = $"s{session()}-{n + 1}";
            }
        });
    });

    [Fact]
    public async Task An_expired_cursor_that_a_304_led_to_sends_its_unchanged_page_to_be_read_again_for_a_fresh_one()
    {
        // The first page's 304 leads to the cursor the first run got, and the API refuses it (400). The first page is read again in full
        // (recognised: its records are not written again) for a cursor of this session, and the rest of the listing is read with it.
        string name = "cr-session-cursor";
        int session = 1;
        var input = Map(name, SessionCursorPages(() => session));
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalHeaderCursorItems(At), store);
        Assert.Equal(6, (await Pipeline().ExecuteAsync(input)).Records);
        session = 2;

        var second = await Pipeline().ExecuteAsync(input);

        Assert.True(second.Status == PipelineStatus.Succeeded, $"{second.Status}: {second.Error?.Message}");
        Assert.Equal([null, "s1-2", null, "s2-2", "s2-3"], Requests(name).Skip(3).Select(r => r.Q("after")));
        // Pages 2 and 3 are new requests (this session's cursors), so their records are written again, as without conditional requests.
        Assert.Equal(4, second.Records);
        Assert.Equal(Body.Ids(1, 6).Concat(Body.Ids(3, 4)).Order(), CommittedIds(Path.Combine(_temp.Path, name)).Order());
    }

    [Fact]
    public async Task A_page_read_again_after_a_refused_lead_keeps_its_number_so_MaxPages_still_reaches_the_fresh_next_page()
    {
        // MaxPages = 2, and page 2 changes (ids 103 and 104) while its cursor expires. Page 1, read again after its 304 led to the refused
        // cursor, is still page 1: the run goes on to page 2 with this session's cursor and writes its records, and page 1 is remembered
        // leading to that cursor (were it counted as page 2, MaxPages would stop there and every run would end the same way).
        string name = "cr-session-maxpages";
        int session = 1;
        long page2First = 3;
        var input = Map(name, SessionCursorPages(() => session, n => n == 2 ? page2First : (n - 1) * 2 + 1));
        var store = new InMemoryStateStore();
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalHeaderCursorItems(At with { MaxPages = 2 }), store);
        Assert.Equal(4, (await Pipeline().ExecuteAsync(input)).Records);
        session = 2;
        page2First = 103;

        var second = await Pipeline().ExecuteAsync(input);
        session = 3;
        var third = await Pipeline().ExecuteAsync(input);

        Assert.True(second.Status == PipelineStatus.Succeeded, $"{second.Status}: {second.Error?.Message}");
        Assert.True(third.Status == PipelineStatus.Succeeded, $"{third.Status}: {third.Error?.Message}");
        Assert.Equal([null, "s1-2", null, "s2-2"], Requests(name).Skip(2).Take(4).Select(r => r.Q("after")));
        Assert.Contains(103L, CommittedIds(Path.Combine(_temp.Path, name)));
    }

    [Theory]
    [InlineData(ErrorMode.FailFast)]
    [InlineData(ErrorMode.Continue)]
    public async Task A_refused_lead_counts_as_a_request_not_a_retry_when_the_page_read_again_fails(ErrorMode onError)
    {
        // Run 2: 1 (304), 2 (304), 3 (404, a refused lead), then page 2 asked again in full answers 503 and fails the input. Four
        // requests, none of them a retry.
        string name = "cr-refused-fails-" + onError.ToString().ToLowerInvariant();
        bool broken = false;
        var input = Map(name, WithoutLinkOn304(ctx =>
        {
            if (broken && ctx.Request.Query["page"] == "3")
            {
                return Reply.Json(ctx, """{"message":"page out of range"}""", 404);
            }

            if (broken && ctx.Request.Query["page"] == "2" && ctx.Request.Headers.IfNoneMatch.Count == 0)
            {
                return Reply.Json(ctx, """{"message":"unavailable"}""", 503);
            }

            return LinkPages(() => 3)(ctx);
        }));
        var store = new InMemoryStateStore();
        var resilience = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 }, OnError = onError };
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalLinkItems(At with { Resilience = resilience }), store);
        var first = await Pipeline().ExecuteAsync(input);
        Assert.Equal((6L, 0L), (first.Records, first.Retries));
        broken = true;

        var second = await Pipeline().ExecuteAsync(input);

        Assert.NotEqual(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(["1", "2", "3", "2"], Requests(name).Skip(3).Select(r => r.Q("page") ?? "1"));
        Assert.Equal(4, second.Requests);
        Assert.True(second.Retries == 0, $"no request was retried, but PipelineResult.Retries = {second.Retries}");
    }

    [Fact]
    public async Task A_refused_lead_retried_before_its_4xx_counts_its_retry()
    {
        // The refused lead (page 3) is first answered 503 (retried), then 404: its two attempts are one request and one retry, as the
        // apipipeline.retries metric counts them. Five requests in all (1, 2, 3 twice, 2).
        string name = "cr-refused-retried";
        int pages = 3;
        int page3Hits = 0;
        var input = Map(name, WithoutLinkOn304(ctx =>
        {
            if (pages == 2 && ctx.Request.Query["page"] == "3")
            {
                return ++page3Hits == 1
                    ? Reply.Json(ctx, """{"message":"try again"}""", 503)
                    : Reply.Json(ctx, """{"message":"page out of range"}""", 404);
            }

            return LinkPages(() => pages)(ctx);
        }));
        var store = new InMemoryStateStore();
        var retry = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(1), Jitter = false } };
        Pipeline<Scenario, Item> Pipeline() => this.Pipeline(name, new ConditionalLinkItems(At with { Resilience = retry }), store);
        Assert.Equal(6, (await Pipeline().ExecuteAsync(input)).Records);
        pages = 2;

        var second = await Pipeline().ExecuteAsync(input);

        Assert.True(second.Status == PipelineStatus.Succeeded, $"{second.Status}: {second.Error?.Message}");
        Assert.Equal(["1", "2", "3", "3", "2"], Requests(name).Skip(3).Select(r => r.Q("page") ?? "1"));
        Assert.Equal(5, second.Requests);
        Assert.True(second.Retries == 1, $"page 3 was retried once (503, then 404), but PipelineResult.Retries = {second.Retries}");
    }
    [Fact]
    public async Task A_late_record_an_ordinary_run_dropped_is_not_taken_for_a_duplicate_and_a_backfill_writes_it()
    {
        // ClientFilteredChanges: Lag 5m, AllowedLateness 2m, Late = Drop. After changes 1..30 (watermark T0+29m), change 100 arrives
        // dated T0+25m: the next ordinary run drops it as late, so it is in no output and its key is not remembered as written;
        // the backfill from T0 reads its page in full and writes it.
        string name = "rl-late-backfill";
        var rows = ChangeList(30);
        Api.Map("/" + name + "/changes", ChangeRows(() => rows));
        var store = new InMemoryStateStore();
        Assert.Equal(30, (await RunAsync(name, ClientFilteredChanges.Definition, store, new PipelineOptions())).Records);
        rows = [.. rows, new Change(100, "change-100", ChangeTable.T0.AddMinutes(25))];
        var ordinary = await RunAsync(name, ClientFilteredChanges.Definition, store, new PipelineOptions());
        Assert.Equal((PipelineStatus.Succeeded, 0L, 1L), (ordinary.Status, ordinary.Records, ordinary.LateRecords));

        var backfill = await RunAsync(name, ClientFilteredChanges.Definition, store, new PipelineOptions { From = ChangeTable.T0 });

        Assert.Equal(PipelineStatus.Succeeded, backfill.Status);
        Assert.True(WrittenChanges(name).Contains(100L), $"change 100 (dropped late by the ordinary run, in no output) was not written by the backfill from T0; the backfill counted {backfill.Duplicates} duplicate(s), {backfill.Records} record(s) written");
    }
}
