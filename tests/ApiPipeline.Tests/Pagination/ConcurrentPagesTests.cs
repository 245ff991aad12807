using System.Globalization;
using System.Runtime.CompilerServices;
using ApiPipeline.Tests.Chaining;

namespace ApiPipeline.Tests;

/// <summary>Pages 10 records each, four fetched at a time; the server counts how many requests are in flight at once.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", PageSize = 10, TotalPagesPath = "total_pages", MaxConcurrent = 4)]
public partial class ConcurrentPageItems : IExtractor<Scenario, Item>;

/// <summary>Offset pages of 10, three at a time, stopping on a short page.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "items", PageSize = 10, MaxConcurrent = 3)]
public partial class ConcurrentOffsetItems : IExtractor<Scenario, Item>;

/// <summary>Daily windows, one at a time, whose offset pages of 10 are fetched three at a time.</summary>
[Extractor("http://localhost", "/{name}/search", Json = typeof(ChangeJson))]
[Paginated(Pagination.Offset, RecordsPath = "items", PageSize = 10, MaxConcurrent = 3)]
[Watermark(nameof(Change.UpdatedAt), Param = "since", UntilParam = "until", Initial = "2026-04-01T00:00:00Z")]
[TimeWindows(Size = "1d", MaxConcurrent = 1)]
public sealed partial class ConcurrentWindowedChanges : IExtractor<Scenario, Change>;

/// <summary>Page numbers with the page count in the body, eight at a time (the design's KnownPages).</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", PageSize = 10, TotalPagesPath = "total_pages", MaxConcurrent = 8)]
public partial class KnownPageItems : IExtractor<Scenario, Item>;

/// <summary>Offsets with the record count in the body, eight at a time (the design's CalculatedOffsets).</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "items", PageSize = 10, TotalPath = "total", MaxConcurrent = 8)]
public partial class CalculatedOffsetItems : IExtractor<Scenario, Item>;

public sealed class ConcurrentPagesTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private int _inFlight;
    private int _maxInFlight;

    private async Task Slow(Microsoft.AspNetCore.Http.HttpContext context, int records, int total, Func<int, int> firstId)
    {
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        try
        {
            await Task.Delay(60);
            int from = firstId(records);
            int count = Math.Max(0, Math.Min(records, total - from + 1));
            await Reply.Json(context, $$$"""{"total_pages":{{{(total + records - 1) / records}}},"total":{{{total}}},"items":{{{Body.Items(Body.Ids(from, count))}}}}""");
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    [Fact]
    public async Task Page_numbers_are_fetched_up_to_MaxConcurrent_at_a_time_and_yielded_in_order()
    {
        var input = Map("conc-pages", ctx => Slow(ctx, 10, 120, size => ((int.Parse(ctx.Request.Query["page"].ToString(), CultureInfo.InvariantCulture) - 1) * size) + 1));

        var pages = await new ConcurrentPageItems(At).PagesAsync(input);

        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), pages.Ids());
        Assert.Equal(Enumerable.Range(1, 12), pages.Select(p => p.Number));
        Assert.InRange(_maxInFlight, 2, 4);
        // The page count arrives with the first page, so the window never asks past the last one.
        Assert.Equal(12, Requests("conc-pages").Count);
    }

    [Fact]
    public async Task A_page_fetched_ahead_that_fails_before_its_turn_resumes_after_the_records_before_it()
    {
        // Page 3 fails at once while page 2 is still on its way: its error is made before page 2's records are counted.
        var input = Map("conc-early-failure", ctx => ctx.Request.Query["page"] == "3"
            ? Reply.Json(ctx, """{"message":"gone"}""", 404)
            : Slow(ctx, 10, 120, size => ((int.Parse(ctx.Request.Query["page"].ToString(), CultureInfo.InvariantCulture) - 1) * size) + 1));

        var (pages, error) = await new ConcurrentPageItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), pages.Ids());
        Assert.Equal((3, 20L), (error.PageNumber, error.Resume!.RecordsBefore));
        Assert.Equal(3, error.Resume.PageNumber);
        Assert.EndsWith("page=3", error.Resume.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Known_pages_are_fetched_eight_at_a_time_after_the_first_response_and_never_past_the_last()
    {
        var input = Map("known-pages", ctx => Slow(ctx, 10, 195, size => ((int.Parse(ctx.Request.Query["page"].ToString(), CultureInfo.InvariantCulture) - 1) * size) + 1));

        var pages = await new KnownPageItems(At).PagesAsync(input);

        Assert.Equal(Enumerable.Range(1, 195).Select(i => (long)i), pages.Ids());
        Assert.Equal(Enumerable.Range(1, 20), pages.Select(p => p.Number));
        var requested = Requests("known-pages").Select(r => int.Parse(r.Q("page")!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(1, requested[0]);
        Assert.Equal(Enumerable.Range(1, 20), requested.Order());
        Assert.InRange(_maxInFlight, 5, 8);
    }

    [Fact]
    public async Task Calculated_offsets_are_fetched_eight_at_a_time_after_the_total_and_never_past_it()
    {
        var input = Map("calc-offsets", ctx => Slow(ctx, 10, 200, _ => int.Parse(ctx.Request.Query["offset"].ToString(), CultureInfo.InvariantCulture) + 1));

        var pages = await new CalculatedOffsetItems(At).PagesAsync(input);

        // 200 records in full pages of 10: no short page ends the run, only the total does.
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), pages.Ids());
        var requested = Requests("calc-offsets").Select(r => int.Parse(r.Q("offset")!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(0, requested[0]);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * 10), requested.Order());
        Assert.InRange(_maxInFlight, 5, 8);
    }

    [Fact]
    public async Task The_window_asks_for_no_page_past_MaxRecords()
    {
        var input = Map("calc-max", ctx => Slow(ctx, 10, 1000, _ => int.Parse(ctx.Request.Query["offset"].ToString(), CultureInfo.InvariantCulture) + 1));

        var pages = await new CalculatedOffsetItems(At with { MaxRecords = 25 }).PagesAsync(input);

        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), pages.Ids());
        Assert.Equal([0, 10, 20], Requests("calc-max").Select(r => int.Parse(r.Q("offset")!, CultureInfo.InvariantCulture)).Order());
    }

    [Fact]
    public async Task Requests_keep_going_out_while_the_consumer_is_still_busy_with_an_earlier_page()
    {
        var input = Map("busy-consumer", ctx => Slow(ctx, 10, 195, size => ((int.Parse(ctx.Request.Query["page"].ToString(), CultureInfo.InvariantCulture) - 1) * size) + 1));
        // The sink holds page 2 until the server has seen 15 requests: 1 and 2 on their own, then every page the window may queue
        // ahead. A window that refilled only when the consumer came back for page 3 would stop at 9 and this would time out.
        var sink = new HoldingSink(2, async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (Requests("busy-consumer").Count < 15)
            {
                await Task.Delay(10, timeout.Token);
            }
        });

        await new KnownPageItems(At).ExtractIntoAsync(input, null, sink);

        Assert.Equal(Enumerable.Range(1, 195).Select(i => (long)i), sink.Ids);
        Assert.InRange(_maxInFlight, 5, 8);
        Assert.Equal(20, Requests("busy-consumer").Count);
    }

    [Fact]
    public async Task Offset_pages_are_fetched_ahead_and_a_short_page_still_ends_the_run()
    {
        var input = Map("conc-offset", ctx => Slow(ctx, 10, 95, _ => int.Parse(ctx.Request.Query["offset"].ToString(), CultureInfo.InvariantCulture) + 1));

        var pages = await new ConcurrentOffsetItems(At).PagesAsync(input);

        Assert.Equal(Enumerable.Range(1, 95).Select(i => (long)i), pages.Ids());
        Assert.InRange(_maxInFlight, 2, 3);
    }

    [Fact]
    public async Task Requests_for_pages_fetched_past_a_short_last_page_are_counted_as_sent()
    {
        var input = ShortLastPageAnsweredLast("conc-dropped");
        using var temp = new TempDirectory();
        await using var output = PipelineTestKit.Jsonl(temp.Path, "conc-dropped");

        var result = await new Pipeline<Scenario, Item>("conc-dropped", new ConcurrentOffsetItems(At), output).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal((95L, 10L, 0L), (result.Records, result.Pages, result.Retries));
        Assert.Equal(12, Requests("conc-dropped").Count);
        Assert.Equal(12, result.Requests);
        Assert.Equal(12, RunSummary.From(result).Requests);
    }

    [Fact]
    public async Task A_chain_step_counts_the_requests_for_pages_fetched_past_a_short_last_page()
    {
        var input = ShortLastPageAnsweredLast("conc-dropped-chain");
        var definition = ChainDefinition
            .Create<Scenario, Item>("dropped", new ChainStepSettings { Name = "Items" }, static (http, o) => new ConcurrentOffsetItems(http, o))
            .Build();

        var result = await new ChainExecutor<Scenario, Item>(definition, null, new ChainOptions { Extractor = At }).ExecuteAsync(input, new MemoryOutput<Item>());

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(12, Requests("conc-dropped-chain").Count);
        Assert.Equal(12, result.Steps[0].Requests);
        Assert.Equal(12, RunSummary.From(result).Requests);
        Assert.Equal((0L, 0L), (result.Steps[0].Retries, RunSummary.From(result).Retries)); // dropped requests are not retries
    }

    [Fact]
    public async Task Pipeline_over_a_hand_written_extractor_counts_the_requests_of_pages_fetched_past_a_short_last_page()
    {
        var input = ShortLastPageAnsweredLast("conc-dropped-wrapped");
        using var temp = new TempDirectory();
        await using var output = PipelineTestKit.Jsonl(temp.Path, "conc-dropped-wrapped");

        var result = await new Pipeline<Scenario, Item>("conc-dropped-wrapped", new Wrapped(new ConcurrentOffsetItems(At)), output).ExecuteAsync(input).WithDeadline(30);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal((95L, 10L), (result.Records, result.Pages));
        Assert.Equal(12, Requests("conc-dropped-wrapped").Count);
        Assert.Equal(12, result.Requests);
    }

    [Fact]
    public async Task DeadLetter_chain_step_over_a_hand_written_extractor_counts_the_requests_of_pages_fetched_past_a_short_last_page()
    {
        var input = ShortLastPageAnsweredLast("conc-dropped-chain-dl");
        using var temp = new TempDirectory();
        var definition = ChainDefinition
            .Create<Scenario, Item>("dropped-dl", new ChainStepSettings { Name = "Items" }, static (http, o) => new Wrapped(new ConcurrentOffsetItems(http, o)))
            .Build();
        var options = new ChainOptions { Extractor = At, OnError = ErrorMode.DeadLetter, DeadLetterPath = Path.Combine(temp.Path, "dl.jsonl") };

        var result = await new ChainExecutor<Scenario, Item>(definition, null, options).ExecuteAsync(input, new MemoryOutput<Item>()).WithDeadline(30);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(95, result.Steps[0].Records);
        Assert.Equal(12, Requests("conc-dropped-chain-dl").Count);
        Assert.Equal(12, result.Steps[0].Requests);
    }

    [Fact]
    public async Task Failed_run_counts_the_requests_of_the_pages_fetched_ahead_of_the_failed_page()
    {
        var input = FirstPageFailsAfterTwoAhead("conc-failed-window");
        using var temp = new TempDirectory();
        await using var output = PipelineTestKit.Jsonl(temp.Path, "conc-failed-window");

        var result = await new Pipeline<Scenario, Item>("conc-failed-window", new ConcurrentOffsetItems(At), output).ExecuteAsync(input).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal(3, Requests("conc-failed-window").Count);
        Assert.Equal(3, result.Requests);
        Assert.Equal(0, result.Retries); // the two pages fetched ahead are requests of their own, not retries of the failed one
    }

    [Fact]
    public async Task Failed_chain_step_counts_the_requests_of_the_pages_fetched_ahead_of_the_failed_page_and_no_retry()
    {
        var input = FirstPageFailsAfterTwoAhead("conc-failed-chain");
        var definition = ChainDefinition
            .Create<Scenario, Item>("failed-ahead", new ChainStepSettings { Name = "Items" }, static (http, o) => new ConcurrentOffsetItems(http, o))
            .Build();

        var result = await new ChainExecutor<Scenario, Item>(definition, null, new ChainOptions { Extractor = At, OnError = ErrorMode.FailFast }).ExecuteAsync(input, new MemoryOutput<Item>()).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.InRange(Requests("conc-failed-chain").Count, 3, 6);
        Assert.Equal((Requests("conc-failed-chain").Count, 0L), (result.Steps[0].Requests, result.Steps[0].Retries));
    }

    [Fact]
    public async Task Failed_time_window_counts_the_requests_of_the_pages_fetched_ahead_of_its_failed_page()
    {
        var input = FirstPageFailsAfterTwoAhead("conc-failed-windowed", "[]");
        using var temp = new TempDirectory();
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = temp.Path, Name = "changes" });

        var result = await new Pipeline<Scenario, Change>("conc-failed-windowed", new ConcurrentWindowedChanges(At), output, new PipelineOptions { Until = ChangeTable.T0.AddDays(1) }).ExecuteAsync(input).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.InRange(Requests("conc-failed-windowed").Count, 3, 6);
        Assert.Equal((Requests("conc-failed-windowed").Count, 0L), (result.Requests, result.Retries));
    }

    /// <summary>
    /// Offset pages of 10 (the records of <paramref name="items"/>, else ten items): the page at offset 0 answers 404 only once the two
    /// pages fetched ahead of it have reached the server.
    /// </summary>
    private Scenario FirstPageFailsAfterTwoAhead(string name, string? items = null)
    {
        var ahead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int seen = 0;
        return Map(name, async ctx =>
        {
            int offset = int.Parse(ctx.Request.Query["offset"].ToString(), CultureInfo.InvariantCulture);
            if (offset == 0)
            {
                await ahead.Task.WaitAsync(TimeSpan.FromSeconds(10));
                await Reply.Json(ctx, """{"message":"gone"}""", 404);
                return;
            }

            if (Interlocked.Increment(ref seen) == 2)
            {
                ahead.TrySetResult();
            }

            await Reply.Json(ctx, $$$"""{"items":{{{items ?? Body.Items(Body.Ids(offset + 1, 10))}}}}""");
        });
    }

    /// <summary>
    /// 95 records in offset pages of 10: the short page at offset 90 ends the run, and is not answered before the two pages the window
    /// asks for past it have reached the server. They are dropped, but were sent: an API's quota counts them, and so does Requests.
    /// </summary>
    private Scenario ShortLastPageAnsweredLast(string name)
    {
        var pastTheEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int past = 0;
        return Map(name, async ctx =>
        {
            int offset = int.Parse(ctx.Request.Query["offset"].ToString(), CultureInfo.InvariantCulture);
            if (offset >= 100)
            {
                if (Interlocked.Increment(ref past) == 2)
                {
                    pastTheEnd.SetResult();
                }

                await Reply.Json(ctx, """{"items":[]}""");
                return;
            }

            if (offset == 90)
            {
                await pastTheEnd.Task.WaitAsync(TimeSpan.FromSeconds(10));
            }

            await Reply.Json(ctx, $$$"""{"items":{{{Body.Items(Body.Ids(offset + 1, Math.Min(10, 95 - offset)))}}}}""");
        });
    }

    [Fact]
    public async Task A_failed_page_in_the_window_fails_the_run_at_that_page_after_the_pages_before_it()
    {
        var input = Map("conc-fail", ctx => ctx.Request.Query["page"] == "5"
            ? Reply.Json(ctx, """{"message":"boom"}""", 404)
            : Slow(ctx, 10, 120, size => ((int.Parse(ctx.Request.Query["page"].ToString(), CultureInfo.InvariantCulture) - 1) * size) + 1));

        var (pages, error) = await new ConcurrentPageItems(At).PagesUntilErrorAsync(input);

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), pages.Ids());
        Assert.Equal(5, error.PageNumber);
        Assert.Equal(ExtractionErrorKind.HttpStatus, error.Kind);
    }

    /// <summary>Keeps the ids in order, and does not end page <paramref name="page"/> before <paramref name="hold"/> completes.</summary>
    private sealed class HoldingSink(int page, Func<Task> hold) : IPageSink<Item>
    {
        public List<long> Ids { get; } = [];

        public void BeginPage()
        {
        }

        public void Add(Item record) => Ids.Add(record.Id);

        public async ValueTask EndPageAsync(PageInfo info, CancellationToken cancellationToken = default)
        {
            if (info.Number == page)
            {
                await hold();
            }
        }

        public void AbortPage()
        {
        }
    }

    /// <summary>A hand-written extractor that decorates a generated one through its pages (it implements only what it must).</summary>
    private sealed class Wrapped(IExtractor<Scenario, Item> inner) : IExtractor<Scenario, Item>
    {
        public string Name => inner.Name;

        public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(Scenario input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var page in inner.ExtractPagesAsync(input, resumeFrom, cancellationToken).ConfigureAwait(false))
            {
                yield return page;
            }
        }
    }
}
