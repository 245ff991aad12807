using static ApiPipeline.Tests.PipelineTestKit;

namespace ApiPipeline.Tests;

public sealed class FlushIntervalTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Commits_while_a_slow_run_is_still_going()
    {
        // 300 ms per page; the last page is held back until the test has seen the first pages land on disk.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var input = Map("flush-slow", CursorPages(3, special: (n, ctx) => Slow(n, ctx)));

        async Task Slow(int n, Microsoft.AspNetCore.Http.HttpContext ctx)
        {
            await Task.Delay(300);
            if (n == 3)
            {
                await gate.Task;
            }

            await CursorPages(3)(ctx);
        }

        string dataset = Path.Combine(_temp.Path, "flush-slow");
        await using var output = Jsonl(_temp.Path, "flush-slow", new OutputBatchOptions { FlushInterval = TimeSpan.FromMilliseconds(100) });
        var pipeline = new Pipeline<Scenario, Item>("flush-slow", new CursorItems(At), output);

        var run = pipeline.ExecuteAsync(input);
        try
        {
            await TestHelpers.WaitUntilAsync(() => CommittedIds(dataset).Length == 6, "pages 1 and 2 committed by the flush interval");

            Assert.False(run.IsCompleted, "the run should still be waiting for page 3");
            Assert.Equal(PipelineStatus.Running, pipeline.GetStatus().Status);
            Assert.Equal(Body.Ids(1, 6), CommittedIds(dataset));
        }
        finally
        {
            gate.TrySetResult();
        }

        var result = await run.WithDeadline();
        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(Body.Ids(1, 9), CommittedIds(dataset));
        Assert.True(result.Files.Count >= 2, $"expected the flush interval to split the run into several files, got {result.Files.Count}");
        Assert.Equal(9, result.Records);
    }

    [Fact]
    public async Task A_flush_interval_of_zero_commits_every_page_and_the_run_ends()
    {
        var input = Map("flush-zero", CursorPages(3));
        await using var output = Jsonl(_temp.Path, "flush-zero", new OutputBatchOptions { FlushInterval = TimeSpan.Zero });

        var result = await new Pipeline<Scenario, Item>("flush-zero", new CursorItems(At), output).ExecuteAsync(input).WithDeadline();

        Assert.Equal((PipelineStatus.Succeeded, 9L, 3), (result.Status, result.Records, result.Files.Count));
    }

    [Fact]
    public async Task Without_a_short_interval_nothing_is_committed_until_the_end()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var input = Map("flush-default", CursorPages(3, special: (n, ctx) =>
        {
            if (n != 3)
            {
                return null;
            }

            reached.TrySetResult();
            return gate.Task.ContinueWith(_ => CursorPages(3)(ctx)).Unwrap();
        }));

        string dataset = Path.Combine(_temp.Path, "flush-default");
        await using var output = Jsonl(_temp.Path, "flush-default");
        var pipeline = new Pipeline<Scenario, Item>("flush-default", new CursorItems(At), output);

        var run = pipeline.ExecuteAsync(input);
        try
        {
            await reached.Task.WithDeadline();
            await TestHelpers.WaitUntilAsync(() => pipeline.GetStatus().Records == 6, "pages 1 and 2 handed to the output");
            await Task.Delay(200);

            Assert.Empty(CommittedIds(dataset));
            var progress = pipeline.GetStatus();
            Assert.Equal((PipelineStatus.Running, 6L, 2L, 2L), (progress.Status, progress.Records, progress.Pages, progress.Requests));
        }
        finally
        {
            gate.TrySetResult();
        }

        var result = await run.WithDeadline();
        Assert.Equal(Body.Ids(1, 9), CommittedIds(dataset));
        Assert.Single(result.Files);
    }
}
