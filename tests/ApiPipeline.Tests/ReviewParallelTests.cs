using System.Globalization;

namespace ApiPipeline.Tests;

/// <summary>Offset pages of 10, three fetched ahead at a time.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "items", PageSize = 10, MaxConcurrent = 3)]
public partial class ReviewAheadOffsetItems : IExtractor<Scenario, Item>;

/// <summary>The same offset pages, one at a time.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "items", PageSize = 10)]
public partial class ReviewSerialOffsetItems : IExtractor<Scenario, Item>;

public sealed class ReviewParallelTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // Offsets 0.. of 30 records; at offset 10 the second record ("id":"x") does not fit Item.
    private static Task OffsetPage(Microsoft.AspNetCore.Http.HttpContext ctx)
    {
        int offset = int.Parse(ctx.Request.Query["offset"].ToString(), CultureInfo.InvariantCulture);
        var items = Enumerable.Range(offset + 1, Math.Max(0, Math.Min(10, 30 - offset)))
            .Select(i => i == 12 ? "{\"id\":\"x\",\"name\":\"bad\"}" : $"{{\"id\":{i},\"name\":\"n{i}\"}}");
        return Reply.Json(ctx, "{\"items\":[" + string.Join(",", items) + "]}");
    }

    private async Task<PipelineResult> RunMaxRecords(string scenario, IExtractor<Scenario, Item> extractor)
    {
        Map(scenario + "/items", OffsetPage);
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new() { Directory = _dir.Path, Name = scenario });
        var pipeline = new Pipeline<Scenario, Item>(scenario, extractor, output, new PipelineOptions { OnError = ErrorMode.DeadLetter });
        return await pipeline.ExecuteAsync(new Scenario(scenario));
    }

    /// <summary>
    /// README "Every style also stops on ... MaxRecords (the last page is cut to fit; a record past the cut is neither written nor
    /// dead-lettered)": a record BEFORE the cut that does not fit is dead-lettered. With MaxRecords = 15, page 2 (offset 10) holds
    /// 11, "x", 13, 14, 15, 16: the cut falls after 16, so "x" (the page's 2nd record) is inside it and must be dead-lettered, as
    /// it is when pages are fetched one at a time. A page fetched ahead (MaxConcurrent) hands its records to the cut first and its
    /// rejects afterwards (HttpExtractor.ExtractIntoAsync, "A prefetched page was parsed into its own list"), so the reject finds the
    /// room used up and is silently dropped: neither written nor dead-lettered, and the run reports Succeeded. state-and-incremental.md
    /// "Parallel pages": pages fetched ahead are "still yielded in order, so checkpoints, commits and exactly-once behave as in a
    /// sequential run"; resilience.md: a record that does not fit under DeadLetter "goes to the dead-letter file".
    /// </summary>
    [Fact]
    public async Task ReviewParallel_a_misfit_record_before_the_MaxRecords_cut_is_dead_lettered_when_pages_are_fetched_ahead()
    {
        var serial = await RunMaxRecords("rp-maxrec-serial", new ReviewSerialOffsetItems(At with { MaxRecords = 15 }));
        Assert.Equal(1, serial.DeadLettered); // one page at a time: the reference behaviour

        var ahead = await RunMaxRecords("rp-maxrec-ahead", new ReviewAheadOffsetItems(At with { MaxRecords = 15 }));
        Assert.Equal(serial.Records, ahead.Records);
        Assert.Equal(1, ahead.DeadLettered);
        Assert.Equal(PipelineStatus.PartialSuccess, ahead.Status);
    }

    /// <summary>
    /// resilience.md "Results": PipelineResult.Requests is the "attempts sent". Offset pages without a total, three at a time: the
    /// window asks for offsets 30 (and maybe 40) while offset 20, the short last page, is on its way (state-and-incremental.md
    /// "Parallel pages": "requests made past the last page are cancelled and dropped"). Those requests were sent (the server
    /// received them) but are counted nowhere: Requests comes only from the pages handed to the sink (PageInfo.Attempts), and a
    /// dropped prefetch never reaches it, so the run summary under-reports what the API saw (and what a quota was charged for).
    /// </summary>
    [Fact]
    public async Task ReviewParallel_requests_fetched_ahead_and_dropped_are_counted_in_Requests()
    {
        var sawPast = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Map("rp-requests/items", async ctx =>
        {
            int offset = int.Parse(ctx.Request.Query["offset"].ToString(), CultureInfo.InvariantCulture);
            if (offset >= 30)
            {
                sawPast.TrySetResult();
            }
            else if (offset == 20)
            {
                await sawPast.Task.WaitAsync(TimeSpan.FromSeconds(5)); // the short last page answers once a page past it was asked for
            }

            await Reply.Json(ctx, "{\"items\":" + Body.Items(Body.Ids(offset + 1, Math.Max(0, Math.Min(10, 25 - offset)))) + "}");
        });
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new() { Directory = _dir.Path, Name = "rp-requests" });
        var result = await new Pipeline<Scenario, Item>("rp-requests", new ReviewAheadOffsetItems(At), output).ExecuteAsync(new Scenario("rp-requests")).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
        Assert.Equal(25, result.Records);
        int received = Requests("rp-requests/items").Count;
        Assert.True(received >= 4, $"server saw {received}");
        Assert.Equal(received, result.Requests);
    }
}
