using Microsoft.Extensions.Logging;
using static ApiPipeline.Tests.PipelineTestKit;

namespace ApiPipeline.Tests;

public sealed class PipelineTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Dataset(string name) => Path.Combine(_temp.Path, name);

    [Fact]
    public async Task Runs_from_server_to_jsonl_writing_every_record_once()
    {
        var input = Map("pl-basic", CursorPages(3, lastSize: 2));
        await using var output = Jsonl(_temp.Path, "pl-basic");
        var pipeline = new Pipeline<Scenario, Item>("pl-basic", new CursorItems(At), output);
        Assert.Equal(new PipelineState("pl-basic", PipelineStatus.Created), pipeline.GetStatus());

        var result = await pipeline.ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Null(result.Error);
        Assert.Equal("pl-basic", result.PipelineId);
        Assert.Equal(8, result.Records);
        Assert.Equal(3, result.Pages);
        Assert.Equal([Path.Combine(Dataset("pl-basic"), "part-00001.jsonl")], result.Files);
        Assert.True(result.BytesRead > 0);
        Assert.Equal(Body.Ids(1, 8), CommittedIds(Dataset("pl-basic")));
        Assert.Equal(3, Requests("pl-basic").Count);
        Assert.Empty(_temp.Files("*.tmp"));
        Assert.Same(result, result.EnsureSuccess());

        var state = pipeline.GetStatus();
        Assert.Equal(PipelineStatus.Succeeded, state.Status);
        Assert.Equal(8, state.Records);
        Assert.Equal(3, state.Pages);
        Assert.NotNull(state.StartedAt);
        Assert.NotNull(state.FinishedAt);
        Assert.True(state.FinishedAt >= state.StartedAt);
        Assert.Null(state.LastError);
    }

    [Fact]
    public async Task BatchSize_commits_at_page_boundaries_into_several_files()
    {
        var input = Map("pl-batchsize", CursorPages(3, lastSize: 2));
        await using var output = Jsonl(_temp.Path, "pl-batchsize", new OutputBatchOptions { BatchSize = 4 });

        var result = await new Pipeline<Scenario, Item>("pl-batchsize", new CursorItems(At), output).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal([".pl-batchsize.writer.lock", "pl-batchsize/part-00001.jsonl", "pl-batchsize/part-00002.jsonl"], _temp.Files()); // the parts, and the folder's writer lock beside it
        Assert.Equal([6, 2], LinesPerFile(Dataset("pl-batchsize")));
        Assert.Equal(Body.Ids(1, 8), CommittedIds(Dataset("pl-batchsize")));
        Assert.Equal(2, result.Files.Count);
        Assert.Equal(8, result.Records);
    }

    [Fact]
    public async Task MaxBatchBytes_commits_every_page_that_reaches_it()
    {
        var input = Map("pl-batchbytes", CursorPages(3, lastSize: 2));
        await using var output = Jsonl(_temp.Path, "pl-batchbytes", new OutputBatchOptions { MaxBatchBytes = 1 });

        var result = await new Pipeline<Scenario, Item>("pl-batchbytes", new CursorItems(At), output).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal([3, 3, 2], LinesPerFile(Dataset("pl-batchbytes")));
        Assert.Equal(Body.Ids(1, 8), CommittedIds(Dataset("pl-batchbytes")));
        Assert.Equal(3, result.Files.Count);
    }

    [Fact]
    public async Task A_failing_page_keeps_the_pages_before_it_and_nothing_of_it()
    {
        var input = Map("pl-fail", CursorPages(5, special: (n, ctx) => n == 3 ? Reply.Json(ctx, """{"message":"database on fire"}""", 500) : null));
        await using var output = Jsonl(_temp.Path, "pl-fail", new OutputBatchOptions { BatchSize = 4 });
        var pipeline = new Pipeline<Scenario, Item>("pl-fail", new CursorItems(At), output);

        var result = await pipeline.ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        var error = Assert.IsType<ExtractionException>(result.Error);
        Assert.Equal(ExtractionErrorKind.HttpStatus, error.Kind);
        Assert.Equal(3, error.PageNumber);
        Assert.Equal(Body.Ids(1, 6), CommittedIds(Dataset("pl-fail")));
        Assert.Equal(6, result.Records);
        Assert.Equal(2, result.Pages);
        Assert.Empty(_temp.Files("*.tmp"));
        Assert.Equal(3, Requests("pl-fail").Count);

        var state = pipeline.GetStatus();
        Assert.Equal(PipelineStatus.Failed, state.Status);
        Assert.Contains("database on fire", state.LastError, StringComparison.Ordinal);
        var thrown = Assert.Throws<PipelineFailedException>(() => result.EnsureSuccess());
        Assert.Same(result, thrown.Result);
        Assert.Contains("'pl-fail'", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_record_in_the_middle_of_a_page_writes_nothing_of_that_page()
    {
        var input = Map("pl-badrecord", CursorPages(3, special: (n, ctx) => n == 2
            ? Reply.Json(ctx, $$$"""{"data":[{{{Body.Item(4)}}},{"id":"five","name":"x"},{{{Body.Item(6)}}}],"meta":{"next_cursor":"3"}}""")
            : null));
        await using var output = Jsonl(_temp.Path, "pl-badrecord");

        var result = await new Pipeline<Scenario, Item>("pl-badrecord", new CursorItems(At), output).ExecuteAsync(input);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal(ExtractionErrorKind.RecordMismatch, Assert.IsType<ExtractionException>(result.Error).Kind);
        Assert.Equal([1, 2, 3], CommittedIds(Dataset("pl-badrecord")));
        Assert.Equal(3, result.Records);
        Assert.Empty(_temp.Files("*.tmp"));
    }

    [Fact]
    public async Task Cancelling_a_run_commits_what_was_read_and_reports_cancelled()
    {
        var page2 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var input = Map("pl-cancel", CursorPages(3, special: (n, ctx) =>
        {
            if (n != 2)
            {
                return null;
            }

            page2.TrySetResult();
            return Reply.Hang(ctx);
        }));
        await using var output = Jsonl(_temp.Path, "pl-cancel");
        var pipeline = new Pipeline<Scenario, Item>("pl-cancel", new CursorItems(At), output);
        using var cts = new CancellationTokenSource();

        var run = pipeline.ExecuteAsync(input, cts.Token);
        await page2.Task.WithDeadline();
        await TestHelpers.WaitUntilAsync(() => pipeline.GetStatus().Records == 3, "page 1 handed to the output");
        Assert.Equal(PipelineStatus.Running, pipeline.GetStatus().Status);
        await cts.CancelAsync();
        var result = await run.WithDeadline();

        Assert.Equal(PipelineStatus.Cancelled, result.Status);
        Assert.IsAssignableFrom<OperationCanceledException>(result.Error);
        Assert.Equal([1, 2, 3], CommittedIds(Dataset("pl-cancel")));
        Assert.Equal(3, result.Records);
        Assert.Equal(PipelineStatus.Cancelled, pipeline.GetStatus().Status);
        Assert.Throws<OperationCanceledException>(() => result.EnsureSuccess());
    }

    [Fact]
    public async Task Running_the_same_pipeline_twice_at_once_is_refused()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var input = Map("pl-twice", CursorPages(2, special: (n, ctx) =>
        {
            if (n != 2)
            {
                return null;
            }

            reached.TrySetResult();
            return gate.Task.ContinueWith(_ => CursorPages(2)(ctx)).Unwrap();
        }));
        await using var output = Jsonl(_temp.Path, "pl-twice");
        var pipeline = new Pipeline<Scenario, Item>("pl-twice", new CursorItems(At), output);

        var first = pipeline.ExecuteAsync(input);
        try
        {
            await reached.Task.WithDeadline();
            Assert.Equal(PipelineStatus.Running, pipeline.GetStatus().Status);

            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.ExecuteAsync(input));
            Assert.Contains("'pl-twice' is already running", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            gate.TrySetResult();
        }

        var result = await first.WithDeadline();
        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(Body.Ids(1, 6), CommittedIds(Dataset("pl-twice")));

        // Once the first run is over, the pipeline runs again, numbering its files after the first run's.
        var again = await pipeline.ExecuteAsync(input);
        Assert.Equal(PipelineStatus.Succeeded, again.Status);
        Assert.Equal([".pl-twice.writer.lock", "pl-twice/part-00001.jsonl", "pl-twice/part-00002.jsonl"], _temp.Files()); // the parts, and the folder's writer lock beside it
    }

    [Fact]
    public async Task Two_pipelines_into_one_folder_take_turns_and_both_land_whole()
    {
        // Two pipelines (here of one process; two processes take the same file lock) write one JSONL folder. The second waits for the
        // first's last commit, says so once in its log, then writes after it: without the turn it deleted the first's temporary part
        // when it started, and the first run failed at its commit.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Map("pl-turn-a", CursorPages(2, special: (n, ctx) =>
        {
            if (n != 2)
            {
                return null;
            }

            reached.TrySetResult();
            return gate.Task.ContinueWith(_ => CursorPages(2)(ctx)).Unwrap();
        }));
        var second = Map("pl-turn-b", CursorPages(1, lastSize: 2));
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(lines)));
        await using var outputA = Jsonl(_temp.Path, "pl-turn");
        await using var outputB = Jsonl(_temp.Path, "pl-turn");

        var runA = new Pipeline<Scenario, Item>("a", new CursorItems(At), outputA).ExecuteAsync(first);
        Task<PipelineResult> runB;
        try
        {
            await reached.Task.WithDeadline();
            runB = new Pipeline<Scenario, Item>("b", new CursorItems(At), outputB, new PipelineOptions { LoggerFactory = logging }).ExecuteAsync(second);
            await TestHelpers.WaitUntilAsync(() => lines.Any(l => l.Contains("3003 pipeline 'b': waiting for another run writing to", StringComparison.Ordinal)), "the second run says it waits");
            Assert.False(runB.IsCompleted);
        }
        finally
        {
            gate.TrySetResult();
        }

        Assert.Equal(PipelineStatus.Succeeded, (await runA.WithDeadline()).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await runB.WithDeadline()).Status);
        Assert.Single(lines, l => l.Contains(" 3003 ", StringComparison.Ordinal));
        Assert.Equal([".pl-turn.writer.lock", "pl-turn/part-00001.jsonl", "pl-turn/part-00002.jsonl"], _temp.Files());
        Assert.Equal(Body.Ids(1, 6).Concat(Body.Ids(1, 2)).Order(), CommittedIds(Dataset("pl-turn")).Order());
    }

    [Fact]
    public async Task Two_pipelines_into_one_folder_take_turns_also_when_one_names_it_with_a_trailing_slash()
    {
        // The same folder, named "pl-slash" by one output and "pl-slash/" by the other: one turn, its lock beside the folder.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Map("pl-slash-a", CursorPages(2, special: (n, ctx) =>
        {
            if (n != 2)
            {
                return null;
            }

            reached.TrySetResult();
            return gate.Task.ContinueWith(_ => CursorPages(2)(ctx)).Unwrap();
        }));
        var second = Map("pl-slash-b", CursorPages(1, lastSize: 2));
        await using var outputA = Jsonl(_temp.Path, "pl-slash");
        await using var outputB = Jsonl(_temp.Path, "pl-slash/");

        var runA = new Pipeline<Scenario, Item>("a", new CursorItems(At), outputA).ExecuteAsync(first);
        Task<PipelineResult> runB;
        try
        {
            await reached.Task.WithDeadline();
            runB = new Pipeline<Scenario, Item>("b", new CursorItems(At), outputB).ExecuteAsync(second);
            await Task.Delay(500);
            Assert.False(runB.IsCompleted, "the second run wrote into the folder while the first was writing there");
        }
        finally
        {
            gate.TrySetResult();
        }

        Assert.Equal(PipelineStatus.Succeeded, (await runA.WithDeadline()).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await runB.WithDeadline()).Status);
        Assert.Equal(Body.Ids(1, 6).Concat(Body.Ids(1, 2)).Order(), CommittedIds(Dataset("pl-slash")).Order());
        Assert.Equal([".pl-slash.writer.lock", "pl-slash/part-00001.jsonl", "pl-slash/part-00002.jsonl"], _temp.Files());
    }

    [Fact]
    public async Task ExecuteManyAsync_runs_every_input_into_one_output()
    {
        Api.Map("/pl-many-a", CursorPages(2));
        Api.Map("/pl-many-b", CursorPages(1, lastSize: 1));
        await using var output = Jsonl(_temp.Path, "pl-many");

        var result = await new Pipeline<Scenario, Item>("pl-many", new CursorItems(At), output)
            .ExecuteManyAsync(Inputs(new Scenario("pl-many-a"), new Scenario("pl-many-b")));

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal([1, 2, 3, 4, 5, 6, 1], CommittedIds(Dataset("pl-many")));
        Assert.Equal(7, result.Records);
        Assert.Equal(3, result.Pages);
    }
}
