using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// Chains end to end on 127.0.0.1: a parent endpoint and a child endpoint of several pages per parent. Processing modes, streaming fan-out
/// with bounded memory, the output's flush interval, the concurrency limit as the server sees it, error modes, and API-level batching.
/// </summary>
public sealed class ChainExecutionTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private ChainOptions Options => new() { Extractor = At };

    [Fact]
    public async Task Sequential_step_reads_every_page_of_1000_parents_in_parent_order()
    {
        var api = new ChainApi(parents: 1000, childPages: 3) { ChildDelay = TimeSpan.Zero };
        var input = Map("chain-sequential", api.Handle);
        // Channels of one page: the parent step cannot read ahead of the child step by more than a few pages.
        var chain = new SequentialChildren(Options with { ChannelCapacity = 1 });
        var output = new MemoryOutput<Child>();

        var result = await chain.ExecuteAsync(input, output).WithDeadline(60);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal(api.AllChildren().ToList(), output.Committed);
        Assert.Equal(6000, result.Records);
        Assert.Equal(10, api.ParentRequests);
        Assert.Equal(3000, api.ChildRequests);
        Assert.True(api.ChildrenStartedBeforeParentsEnded, "the child step waited for every parent page instead of starting on the first");
        Assert.Collection(
            result.Steps,
            parents => Assert.Equal((1L, 1000L, 10L, ProcessingMode.Single), (parents.Inputs, parents.Records, parents.Pages, parents.Mode)),
            children => Assert.Equal((1000L, 6000L, 3000L, ProcessingMode.Sequential), (children.Inputs, children.Records, children.Pages, children.Mode)));
        Assert.Equal("ParentItems", chain.Parents.Name);
        Assert.Same(chain.Children, chain.Executor.GetExtractor(1));
    }

    [Fact]
    public async Task Parallel_step_keeps_to_MaxConcurrency_as_the_server_counts_it()
    {
        var api = new ChainApi(parents: 1000, childPages: 3) { ChildDelay = TimeSpan.FromMilliseconds(2) };
        var input = Map("chain-parallel", api.Handle);
        var output = new MemoryOutput<Child>();

        var result = await new ParallelChildren(Options).ExecuteAsync(input, output).WithDeadline(60);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal("parallel-children", result.Chain);
        ChainAssert.ExactlyOnce(api.AllChildren(), output.Committed);
        Assert.InRange(api.MaxChildrenInFlight, 2, 8);

        // Each parent's pages stay in order even when parents interleave.
        foreach (var group in output.Committed.GroupBy(c => c.ParentId))
        {
            Assert.Equal(group.OrderBy(c => c.Page).ThenBy(c => c.Id), group);
        }
    }

    [Fact]
    public async Task Fan_out_is_bounded_when_the_output_is_slow()
    {
        var api = new ChainApi(parents: 1000, childPages: 3) { ChildDelay = TimeSpan.Zero };
        var input = Map("chain-backpressure", api.Handle);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new MemoryOutput<Child> { WriteGate = gate };

        var run = new ParallelChildren(Options with { ChannelCapacity = 2 }).ExecuteAsync(input, output);
        await TestHelpers.WaitUntilAsync(() => api.ChildRequests > 0, "the first child requests");
        await Task.Delay(300);

        // With the output stalled, the bounded channels stop the extractors after a handful of pages: no parent's pages pile up.
        int whileStalled = api.ChildRequests;
        Assert.InRange(whileStalled, 1, 40);
        Assert.InRange(api.ParentRequests, 1, 8);

        gate.SetResult();
        var result = await run.WithDeadline(60);
        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        ChainAssert.ExactlyOnce(api.AllChildren(), output.Committed);
    }

    [Fact]
    public async Task The_output_commits_on_its_flush_interval_while_the_last_step_waits_for_a_slow_page()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var api = new ChainApi(parents: 1, childPages: 2) { ChildDelay = TimeSpan.Zero };
        var input = Map("chain-flush-interval", async ctx =>
        {
            if (ctx.Request.Path.Value!.EndsWith("/children", StringComparison.Ordinal) && ctx.Request.Query["page"] == "2")
            {
                await gate.Task; // the API is slow on the last page
            }

            await api.Handle(ctx);
        });
        // The chain's clock moves only when the test moves it: page 1 waits in the output until the interval has passed on it.
        var clock = new FakeTimeProvider();
        var interval = TimeSpan.FromSeconds(2);
        var output = new MemoryOutput<Child> { Batching = new OutputBatchOptions { BatchSize = 1000, FlushInterval = interval } };

        var run = new SequentialChildren(Options with { TimeProvider = clock }).ExecuteAsync(input, output);
        try
        {
            await TestHelpers.WaitUntilAsync(() => output.PendingRecords == 2, "page 1 of the children handed to the output");
            Assert.Empty(output.Committed);

            clock.Advance(interval);
            await TestHelpers.WaitUntilAsync(() => output.Committed.Count == 2, "page 1 committed by the flush interval");
            Assert.Equal(ChainApi.PageOf(1, 1), output.Committed);
            Assert.False(run.IsCompleted, "the chain should still be waiting for page 2");
        }
        finally
        {
            gate.TrySetResult();
        }

        var result = await run.WithDeadline(30);
        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal(api.AllChildren().ToList(), output.Committed);
        Assert.Equal(4, result.Records);
        Assert.Equal(2, output.Commits); // the interval's, then the end's
    }

    [Theory]
    [InlineData(null)]
    [InlineData(ErrorMode.FailFast)] // the step's own mode ([Step(OnError = Continue)]) wins over the chain-wide one
    public async Task Continue_mode_skips_failed_inputs_and_the_result_names_them(ErrorMode? chainWide)
    {
        var api = new ChainApi(parents: 150, childPages: 2)
        {
            Fail = (target, _) => target.Contains("/parents/7/", StringComparison.Ordinal) || target.Contains("/parents/120/children?page=2", StringComparison.Ordinal)
                ? (404, """{"message":"gone"}""")
                : null,
        };
        var input = Map("chain-continue-" + (chainWide?.ToString() ?? "none"), api.Handle);
        var output = new MemoryOutput<Child>();

        var result = await new TolerantChildren(Options with { OnError = chainWide }).ExecuteAsync(input, output).WithDeadline(30);

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Null(result.FailedStep);
        Assert.Equal([6L, 119L], result.Failures.Select(f => f.InputKey).Order());
        Assert.All(result.Failures, f =>
        {
            Assert.Equal("Children", f.Step);
            Assert.Equal(2, f.StepIndex);
            Assert.False(f.Fatal);
            Assert.IsType<ExtractionException>(f.Error);
            Assert.NotNull(f.Input);
        });
        Assert.Equal(2, result.Steps[1].Failures);
        Assert.Equal(PipelineStatus.PartialSuccess, result.Steps[1].Status);
        Assert.Equal(PipelineStatus.Succeeded, result.Steps[0].Status);

        // Everything else arrived, and the first page of parent 120 (before its failed page) too.
        var expected = api.AllChildren().Where(c => c.ParentId != 7 && !(c.ParentId == 120 && c.Page == 2));
        ChainAssert.ExactlyOnce(expected, output.Committed);
        Assert.Throws<ChainFailedException>(() => result.EnsureSuccess());
    }

    [Fact]
    public async Task Skip_mode_counts_expected_failures_without_making_the_run_partial()
    {
        var api = new ChainApi(parents: 20, childPages: 1)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target.Contains("/parents/9/", StringComparison.Ordinal) ? (404, """{"message":"deleted"}""") : null,
        };
        var input = Map("chain-skip", api.Handle);
        var output = new MemoryOutput<Child>();
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(logs)));

        var result = await new SequentialChildren(Options with { OnError = ErrorMode.Skip, LoggerFactory = logging }).ExecuteAsync(input, output).WithDeadline(30);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Empty(result.Failures);
        Assert.Equal((1L, 0L), (result.Steps[1].Skipped, result.Steps[1].Failures));
        ChainAssert.ExactlyOnce(api.AllChildren().Where(c => c.ParentId != 9), output.Committed);
        string skipped = Assert.Single(logs, l => l.StartsWith("Warning 2006 ", StringComparison.Ordinal)); // logged as a pipeline's is
        Assert.Contains("chain 'SequentialChildren/Children': the rest of input #8 skipped after 1 attempt(s) (HttpStatus):", skipped, StringComparison.Ordinal);
        Assert.Contains("404", skipped, StringComparison.Ordinal);
        Assert.DoesNotContain(logs, l => l.StartsWith("Warning 3002 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeadLetter_mode_writes_each_failed_input_to_the_dead_letter_file()
    {
        using var temp = new TempDirectory();
        var api = new ChainApi(parents: 40, childPages: 1)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target.Contains("/parents/3/", StringComparison.Ordinal) || target.Contains("/parents/33/", StringComparison.Ordinal) ? (410, """{"message":"gone"}""") : null,
        };
        var input = Map("chain-deadletter", api.Handle);
        string deadLetters = Path.Combine(temp.Path, "children.dead-letter.jsonl");
        var output = new MemoryOutput<Child>();
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(logs)));

        var result = await new SequentialChildren(Options with { OnError = ErrorMode.DeadLetter, DeadLetterPath = deadLetters, LoggerFactory = logging }).ExecuteAsync(input, output).WithDeadline(30);

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal(deadLetters, result.DeadLetterFile);
        var lines = File.ReadAllLines(deadLetters);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.Contains("\"pipeline\":\"SequentialChildren/Children\"", line, StringComparison.Ordinal));
        Assert.Contains("/parents/33/children", lines[1], StringComparison.Ordinal);
        ChainAssert.ExactlyOnce(api.AllChildren().Where(c => c.ParentId is not 3 and not 33), output.Committed);

        // Each failed input is logged as a pipeline's failure is, named by its chain and step.
        Assert.Equal(
            ["the rest of input #2 skipped", "the rest of input #32 skipped"],
            logs.Where(l => l.StartsWith("Warning 2006 chain 'SequentialChildren/Children': ", StringComparison.Ordinal)).Select(l => l.Split(": ")[1].Split(" after ")[0]));
        Assert.Equal(2, logs.Count(l => l == $"Warning 3002 chain 'SequentialChildren/Children': failure goes to the dead-letter file {deadLetters} with the next commit "));
    }

    [Fact]
    public async Task FailFast_stops_the_chain_at_the_failing_step_and_input()
    {
        var api = new ChainApi(parents: 100, childPages: 2)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target.StartsWith("/chain-failfast/parents/42/children", StringComparison.Ordinal) ? (500, """{"message":"boom"}""") : null,
        };
        var input = Map("chain-failfast", api.Handle);
        var output = new MemoryOutput<Child>();

        var result = await new SequentialChildren(Options).ExecuteAsync(input, output).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal("Children", result.FailedStep);
        var failure = Assert.Single(result.Failures);
        Assert.True(failure.Fatal);
        Assert.Equal(41, failure.InputKey);
        var error = Assert.IsType<ChainStepException>(result.Error);
        Assert.Contains("step 2 'Children', input #41", error.Message, StringComparison.Ordinal);
        Assert.Contains("500", error.Message, StringComparison.Ordinal);

        // Sequential: the 41 parents before the failure are complete and committed, nothing after it.
        Assert.Equal(api.AllChildren().Where(c => c.ParentId < 42).ToList(), output.Committed);
    }

    [Fact]
    public async Task A_fail_fast_chain_stops_at_a_page_the_steps_extractor_would_skip()
    {
        var api = new ChainApi(parents: 100, childPages: 3)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target == "/chain-failfast-page/parents/42/children?page=2" ? (500, """{"message":"boom"}""") : null,
        };
        var input = Map("chain-failfast-page", api.Handle);
        var output = new MemoryOutput<Child>();
        // The extractor's own mode would skip the failed page and go on; the chain's FailFast decides.
        var skipping = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 }, OnError = ErrorMode.Continue };

        var result = await new SequentialChildren(new ChainOptions { Extractor = At with { Resilience = skipping }, OnError = ErrorMode.FailFast }).ExecuteAsync(input, output).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal("Children", result.FailedStep);
        Assert.True(Assert.Single(result.Failures).Fatal);
        Assert.Equal(41, result.Failures[0].InputKey);
        Assert.DoesNotContain(output.Committed, c => c.ParentId > 42 || (c.ParentId == 42 && c.Page > 1));
    }

    [Fact]
    public async Task Batched_step_sends_ids_in_batches_and_retries_a_failed_batch()
    {
        var api = new ChainApi(parents: 120)
        {
            // The batch that starts at parent 51 fails once (a 500 with no retries configured on the extractor): the chain tries it again.
            Fail = (target, before) => target.Contains("ids=51", StringComparison.Ordinal) && before == 0 ? (500, """{"message":"flaky"}""") : null,
        };
        var input = Map("chain-batched", api.Handle);
        var output = new MemoryOutput<Child>();

        var result = await new BatchedChildren(Options).ExecuteAsync(input, output).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        var batches = api.BatchIds.ToList();
        Assert.Equal(3, batches.Distinct().Count());
        Assert.Equal(4, batches.Count);
        Assert.Contains(string.Join(",", Enumerable.Range(1, 50)), batches);
        Assert.Equal(2, batches.Count(b => b == string.Join(",", Enumerable.Range(51, 50))));
        Assert.Contains(string.Join(",", Enumerable.Range(101, 20)), batches);
        Assert.Equal(1, result.Steps[1].BatchRetries);
        Assert.Equal(3, result.Steps[1].Inputs);
        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), output.Committed.Select(c => c.ParentId).Order());
    }

    [Fact]
    public async Task A_batched_collection_member_is_sent_as_one_query_parameter_per_id()
    {
        var targets = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var api = new ChainApi(parents: 120) { Fail = (target, _) => { targets.Enqueue(target); return null; } };
        var input = Map("chain-id-list", api.Handle);
        var output = new MemoryOutput<Child>();

        var result = await new BatchedChildIdList(Options).ExecuteAsync(input, output).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        var batches = targets.Where(t => t.Contains("/children?", StringComparison.Ordinal)).Select(t => t[(t.IndexOf('?', StringComparison.Ordinal) + 1)..]).ToList();
        Assert.Equal(3, batches.Count);
        Assert.Contains(string.Join("&", Enumerable.Range(101, 20).Select(id => "ids=" + id)), batches);
        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), output.Committed.Select(c => c.ParentId).Order());
    }

    [Fact]
    public async Task Parallel_chains_return_one_result_per_input()
    {
        var good1 = new ChainApi(parents: 30, childPages: 2);
        var bad = new ChainApi(parents: 30, childPages: 2) { Fail = (target, _) => target.Contains("/parents?", StringComparison.Ordinal) ? (503, """{"message":"down"}""") : null };
        var good2 = new ChainApi(parents: 45, childPages: 1);
        var inputs = new[] { Map("chains-a", good1.Handle), Map("chains-b", bad.Handle), Map("chains-c", good2.Handle) };
        var outputs = new MemoryOutput<Child>[inputs.Length];

        var results = await new ParallelChildren(Options).ExecuteParallelChainsAsync(inputs, maxParallelChains: 2, (_, i) => outputs[i] = new MemoryOutput<Child>(), (input, _) => input.Name).WithDeadline(30);

        Assert.Equal(3, results.Count);
        Assert.Equal([PipelineStatus.Succeeded, PipelineStatus.Failed, PipelineStatus.Succeeded], results.Select(r => r.Status));
        Assert.Equal(["parallel-children/chains-a", "parallel-children/chains-b", "parallel-children/chains-c"], results.Select(r => r.ChainId));
        Assert.Equal("Parents", results[1].FailedStep);
        ChainAssert.ExactlyOnce(good1.AllChildren(), outputs[0].Committed);
        Assert.Empty(outputs[1].Committed);
        ChainAssert.ExactlyOnce(good2.AllChildren(), outputs[2].Committed);
        Assert.Equal([120L, 0L, 90L], results.Select(r => r.Records));
    }

    [Fact]
    public async Task Parallel_chains_refuse_a_key_with_a_slash_and_run_the_other_inputs()
    {
        var good = new ChainApi(parents: 30, childPages: 1);
        var slashed = new ChainApi(parents: 30, childPages: 1);
        var inputs = new[] { Map("keyed-good", good.Handle), Map("keyed-slash", slashed.Handle) };
        var outputs = new MemoryOutput<Child>?[inputs.Length];

        var results = await new ParallelChildren(Options).ExecuteParallelChainsAsync(inputs, maxParallelChains: 2, (_, i) => outputs[i] = new MemoryOutput<Child>(), (input, i) => i == 0 ? input.Name : "org/" + input.Name).WithDeadline(30);

        Assert.Equal([PipelineStatus.Succeeded, PipelineStatus.Failed], results.Select(r => r.Status));
        var error = Assert.IsType<ArgumentException>(results[1].Error);
        Assert.Equal("chainKey", error.ParamName);
        Assert.Contains("the chain key 'org/keyed-slash' contains '/', which dead-letter entries and replay read as '<chain id>/<step>'", error.Message, StringComparison.Ordinal);
        Assert.Null(outputs[1]); // refused before its output was made or anything was requested
        Assert.Equal(0, slashed.ParentRequests);
        ChainAssert.ExactlyOnce(good.AllChildren(), outputs[0]!.Committed);
    }

    [Fact]
    public async Task Parallel_chains_fail_only_the_input_whose_chain_key_throws()
    {
        var good = new ChainApi(parents: 30, childPages: 1);
        var broken = new ChainApi(parents: 30, childPages: 1);
        var inputs = new[] { Map("thrown-key-good", good.Handle), Map("thrown-key-bad", broken.Handle) };
        var outputs = new MemoryOutput<Child>?[inputs.Length];
        var thrown = new InvalidOperationException("no key for this input");

        var results = await new ParallelChildren(Options).ExecuteParallelChainsAsync(inputs, maxParallelChains: 2, (_, i) => outputs[i] = new MemoryOutput<Child>(), (input, i) => i == 0 ? input.Name : throw thrown).WithDeadline(30);

        Assert.Equal([PipelineStatus.Succeeded, PipelineStatus.Failed], results.Select(r => r.Status));
        Assert.Same(thrown, results[1].Error);
        Assert.Equal(["parallel-children/thrown-key-good", "parallel-children/1"], results.Select(r => r.ChainId)); // the default key
        Assert.Null(outputs[1]); // failed before its output was made or anything was requested
        Assert.Equal(0, broken.ParentRequests);
        ChainAssert.ExactlyOnce(good.AllChildren(), outputs[0]!.Committed);
    }

    [Fact]
    public async Task A_step_in_Single_mode_fails_when_the_step_before_gives_more_than_one_record()
    {
        var api = new ChainApi(parents: 3, childPages: 1);
        var input = Map("chain-single", api.Handle);
        var definition = ChainDefinition
            .Create<Scenario, Parent>("single", new ChainStepSettings { Name = "Parents", Mode = ProcessingMode.Single }, static (http, o) => new ParentItems(http, o))
            .Then<ChildQuery, Child>(new ChainStepSettings { Name = "Children", Mode = ProcessingMode.Single }, static (http, o) => new ChildItems(http, o), null, static (scenario, parent) => new ChildQuery(scenario.Name, parent.Id))
            .Build();

        var result = await new ChainExecutor<Scenario, Child>(definition, null, Options).ExecuteAsync(input, new MemoryOutput<Child>()).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal("Children", result.FailedStep);
        Assert.Contains("Single mode", result.Error!.Message, StringComparison.Ordinal);
    }
}
