using System.Globalization;
using ApiPipeline.Tests.Chaining;

namespace ApiPipeline.Tests;

/// <summary>Offset pages of 10, three at a time (as ConcurrentOffsetItems), for the review's chain tests.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "items", PageSize = 10, MaxConcurrent = 3)]
public partial class ReviewLead3OffsetItems : IExtractor<Scenario, Item>;

/// <summary>Daily windows, one at a time, whose offset pages of 10 are fetched three at a time.</summary>
[Extractor("http://localhost", "/{name}/search", Json = typeof(ChangeJson))]
[Paginated(Pagination.Offset, RecordsPath = "items", PageSize = 10, MaxConcurrent = 3)]
[Watermark(nameof(Change.UpdatedAt), Param = "since", UntilParam = "until", Initial = "2026-04-01T00:00:00Z")]
[TimeWindows(Size = "1d", MaxConcurrent = 1)]
public sealed partial class ReviewLead3WindowedPrefetch : IExtractor<Scenario, Change>;

public sealed class ReviewLead3Tests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private static readonly DateTimeOffset T0 = ChangeTable.T0;

    /// <summary>
    /// Bug (older than the change, left by it): the change made the pipeline count requests of pages fetched ahead and dropped as
    /// requests but not as retries. A chain step still counts them as retries: StepCounters.AddPage(page.Count, page.Requests, ...)
    /// passes Attempts + DroppedRequests as "attempts", so Retries grows by the dropped requests. Here the server gets 12 requests and
    /// no retries (no request is sent twice); the step reports 2 retries. Should be 0, as the pipeline reports for the same API
    /// (ConcurrentPagesTests.Requests_for_pages_fetched_past_a_short_last_page_are_counted_as_sent).
    /// </summary>
    [Fact]
    public async Task Chain_step_does_not_count_requests_of_pages_fetched_past_the_last_page_as_retries()
    {
        var input = ShortLastPageAnsweredLast("rl3-chain-dropped");
        var definition = ChainDefinition
            .Create<Scenario, Item>("rl3-dropped", new ChainStepSettings { Name = "Items" }, static (http, o) => new ReviewLead3OffsetItems(http, o))
            .Build();

        var result = await new ChainExecutor<Scenario, Item>(definition, null, new ChainOptions { Extractor = At }).ExecuteAsync(input, new MemoryOutput<Item>()).WithDeadline(30);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(12, Requests("rl3-chain-dropped").Count);
        Assert.Equal(12, result.Steps[0].Requests);
        Assert.Equal(0, result.Steps[0].Retries);
        Assert.Equal(0, RunSummary.From(result).Retries);
    }

    /// <summary>
    /// Bug (older than the change, left by it): a chain step that fails (FailFast) counts its error with AddRequests(ex.Requests),
    /// i.e. Attempts + DroppedRequests as attempts, so the two requests of pages fetched ahead and dropped become 2 retries. The
    /// pipeline, for the same server, now reports 0 retries (ConcurrentPagesTests.Failed_run_counts_the_requests_of_the_pages_fetched_ahead_of_the_failed_page).
    /// Should be: Requests = the server's 3, Retries = 0.
    /// </summary>
    [Fact]
    public async Task Failed_chain_step_does_not_count_the_requests_of_pages_fetched_ahead_as_retries()
    {
        var input = FirstPageFailsAfterTwoAhead("rl3-chain-failed");
        var definition = ChainDefinition
            .Create<Scenario, Item>("rl3-failed", new ChainStepSettings { Name = "Items" }, static (http, o) => new ReviewLead3OffsetItems(http, o))
            .Build();

        var result = await new ChainExecutor<Scenario, Item>(definition, null, new ChainOptions { Extractor = At, OnError = ErrorMode.FailFast }).ExecuteAsync(input, new MemoryOutput<Item>()).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal(3, Requests("rl3-chain-failed").Count);
        Assert.Equal(3, result.Steps[0].Requests);
        Assert.Equal(0, result.Steps[0].Retries);
    }

    /// <summary>
    /// Bug (older than the change; the change fixed the same count on the input path only): with TimeWindows, a window whose failure
    /// ends the run (FailFast) is counted at the end of ExtractWindowsAsync by sink.CountAttempts(attempts), which leaves out the
    /// error's DroppedRequests. The first page fails after the two pages fetched ahead of it reached the server: the server got 3
    /// requests, PipelineResult.Requests says 1. Should be 3 (the count the non-windowed FailFast path gives, via
    /// run.CountAttempts(ex.Attempts, ex.DroppedRequests)).
    /// </summary>
    [Fact]
    public async Task Windowed_run_that_fails_counts_the_requests_of_pages_fetched_ahead_of_the_failed_page()
    {
        const string name = "rl3-window-failed";
        var ahead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int seen = 0;
        var input = Map(name, async ctx =>
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

            await Reply.Json(ctx, """{"items":[]}""");
        });
        using var temp = new TempDirectory();
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = temp.Path, Name = "changes" });
        var options = new PipelineOptions { Until = T0.AddDays(1) };

        var result = await new Pipeline<Scenario, Change>("rl3-window-failed", new ReviewLead3WindowedPrefetch(At), output, options).ExecuteAsync(input).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.True(Requests(name).Count >= 3);
        Assert.Equal(Requests(name).Count, result.Requests);
        Assert.Equal(0, result.Retries);
    }

    /// <summary>
    /// Bug (older than the change): a FailFast chain step over an extractor that skips failed pages (its own OnError = Skip, so it
    /// fetches ahead and hands the failed page on with Page.Error): ChainStep throws the page's error from its consumer loop, outside
    /// the extractor, so the extractor's catch that adds ahead.FinishAsync() to the error never runs (the producer is cancelled
    /// instead). The requests of the pages fetched ahead reached the server but are not in the step's Requests. Should equal the
    /// requests the server received (the pipeline's FailFast path counts them through EndPageAsync throwing inside the extractor).
    /// </summary>
    [Fact]
    public async Task FailFast_chain_step_over_a_skipping_extractor_counts_the_requests_fetched_ahead_of_its_failed_page()
    {
        var input = FirstPageFailsAfterTwoAhead("rl3-chain-skip-failfast");
        var definition = ChainDefinition
            .Create<Scenario, Item>("rl3-skip-failfast", new ChainStepSettings { Name = "Items", OnError = ErrorMode.FailFast }, static (http, o) => new ReviewLead3OffsetItems(http, o))
            .Build();
        var skipping = At with { Resilience = new ResilienceOptions { OnError = ErrorMode.Skip } };

        var result = await new ChainExecutor<Scenario, Item>(definition, null, new ChainOptions { Extractor = skipping }).ExecuteAsync(input, new MemoryOutput<Item>()).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.True(Requests("rl3-chain-skip-failfast").Count >= 3);
        Assert.Equal(Requests("rl3-chain-skip-failfast").Count, result.Steps[0].Requests);
    }

    /// <summary>95 records in offset pages of 10; the short page at offset 90 is answered after the two pages asked for past it.</summary>
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

    /// <summary>The page at offset 0 fails (404) once the two pages fetched ahead of it have reached the server.</summary>
    private Scenario FirstPageFailsAfterTwoAhead(string name)
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

            await Reply.Json(ctx, $$$"""{"items":{{{Body.Items(Body.Ids(offset + 1, 10))}}}}""");
        });
    }
}
