using Microsoft.Extensions.Time.Testing;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// Chain state between steps and recovery: a chain that failed at step 2 resumes at step 2 from the state store, without running step 1
/// again, without requesting the pages already committed, and with every record in the output exactly once. With the in-memory store and
/// with the SQLite file store.
/// </summary>
public sealed class ChainResumeTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task A_chain_that_failed_at_step_2_resumes_there_without_running_step_1_again(string kind)
    {
        using var temp = new TempDirectory();
        await using IStateStore store = kind == "sqlite" ? await SqliteStateStore.OpenAsync(Path.Combine(temp.Path, ".state", "chains.db")) : new InMemoryStateStore();
        string scenario = "resume-" + kind;
        bool broken = true;
        var api = new ChainApi(parents: 300, childPages: 3)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => broken && target == $"/{scenario}/parents/200/children?page=2" ? (500, """{"message":"down for a moment"}""") : null,
        };
        var input = Map(scenario, api.Handle);
        var options = new ChainOptions { Extractor = At, StateStore = store };
        string outDir = Path.Combine(temp.Path, "out");

        ChainResult first;
        await using (var output = Jsonl(outDir))
        {
            first = await new SequentialChildren(options).ExecuteAsync(input, output).WithDeadline(30);
        }

        Assert.Equal(PipelineStatus.Failed, first.Status);
        Assert.Equal("Children", first.FailedStep);
        Assert.False(first.Resumed);
        Assert.Equal(199 * 6 + 2, first.Records);
        Assert.Equal(3, api.ParentRequests);
        Assert.Equal(199 * 3 + 2, api.ChildRequests);

        broken = false;
        ChainResult second;
        await using (var output = Jsonl(outDir))
        {
            // A new instance, as after a restart: everything it needs is in the store.
            second = await new SequentialChildren(options).ExecuteAsync(input, output).WithDeadline(30);
        }

        Assert.True(second.Status == PipelineStatus.Succeeded, ChainAssert.Describe(second));
        Assert.True(second.Resumed);
        Assert.Equal(first.RunId, second.RunId);

        // Step 1 was not run again: its records came from the state store.
        Assert.Equal(3, api.ParentRequests);
        Assert.Equal(1, second.Steps[0].InputsAlreadyDone);
        Assert.Equal(0, second.Steps[0].Pages);

        // Step 2 skipped the 199 finished parents, continued parent 200 at its failed page, then did the rest.
        Assert.Equal(199, second.Steps[1].InputsAlreadyDone);
        Assert.Equal(1, api.Calls($"/{scenario}/parents/200/children?page=1"));
        Assert.Equal(2, api.Calls($"/{scenario}/parents/200/children?page=2"));
        Assert.Equal(199 * 3 + 2 + 2 + 100 * 3, api.ChildRequests);
        Assert.Equal(1, api.Calls($"/{scenario}/parents/1/children?page=1"));
        ChainAssert.ExactlyOnce(api.AllChildren(), ChainAssert.Jsonl(outDir));
        Assert.Equal(api.AllChildren().Count(), first.Records + second.Records);

        // A finished chain starts over on the next call.
        await using (var output = new MemoryOutput<Child>())
        {
            var third = await new SequentialChildren(options).ExecuteAsync(input, output).WithDeadline(30);
            Assert.False(third.Resumed);
            Assert.Equal(first.RunId + 1, third.RunId);
            Assert.Equal(6, api.ParentRequests);
        }
    }

    [Fact]
    public async Task A_parallel_step_resumes_each_unfinished_input_from_its_last_committed_page()
    {
        var store = new InMemoryStateStore();
        int failures = 0;
        var api = new ChainApi(parents: 250, childPages: 3)
        {
            // Several parents fail on their third page during the first run.
            Fail = (target, _) => Volatile.Read(ref failures) < 1 && target.EndsWith("/children?page=3", StringComparison.Ordinal) && target.Contains("/parents/13", StringComparison.Ordinal)
                ? (500, """{"message":"down"}""")
                : null,
        };
        var input = Map("resume-parallel", api.Handle);
        var options = new ChainOptions { Extractor = At, StateStore = store };
        var output = new MemoryOutput<Child> { Batching = new() { BatchSize = 50 } };

        var first = await new ParallelChildren(options).ExecuteAsync(input, output).WithDeadline(30);
        Assert.Equal(PipelineStatus.Failed, first.Status);
        failures = 1;

        var second = await new ParallelChildren(options).ExecuteAsync(input, output).WithDeadline(30);

        Assert.True(second.Status == PipelineStatus.Succeeded, ChainAssert.Describe(second));
        Assert.True(second.Resumed);
        Assert.Equal(3, api.ParentRequests);
        ChainAssert.ExactlyOnce(api.AllChildren(), output.Committed);

        // Pages committed in the first run were not asked for again: beyond the 750 pages, only the failed ones and the few in flight
        // (read but not yet committed) when the first run stopped.
        Assert.InRange(api.ChildRequests, 751, 750 + 1 + 8 * 3 + 4 * 2);
    }

    [Fact]
    public async Task An_unfinished_run_for_another_input_is_not_resumed_silently()
    {
        var store = new InMemoryStateStore();
        var api = new ChainApi(parents: 20, childPages: 1) { Fail = (target, _) => target.Contains("/parents/5/", StringComparison.Ordinal) ? (500, "{}") : null };
        var first = Map("resume-other-a", api.Handle);
        var other = Map("resume-other-b", api.Handle);
        var options = new ChainOptions { Extractor = At, StateStore = store, ChainId = "shared" };

        var failed = await new SequentialChildren(options).ExecuteAsync(first, new MemoryOutput<Child>()).WithDeadline(30);
        Assert.Equal(PipelineStatus.Failed, failed.Status);

        var error = await Assert.ThrowsAsync<ChainStateException>(() => new SequentialChildren(options).ExecuteAsync(other, new MemoryOutput<Child>()));
        Assert.Contains("'shared'", error.Message, StringComparison.Ordinal);
        Assert.Contains("ResetStateAsync", error.Message, StringComparison.Ordinal);

        var chain = new SequentialChildren(options);
        await chain.ResetStateAsync();
        var fresh = await chain.ExecuteAsync(other, new MemoryOutput<Child>()).WithDeadline(30);
        Assert.False(fresh.Resumed);
        Assert.Equal(PipelineStatus.Failed, fresh.Status);
        Assert.Empty(await store.GetScopesAsync("chain:shared/"));
    }

    [Fact]
    public async Task A_chain_run_that_cannot_start_for_its_state_is_counted_as_a_failed_run()
    {
        // docs/observability.md, apipipeline.runs: "a run that could not start (state, recovery, options) counted as failed".
        var outcomes = new System.Collections.Concurrent.ConcurrentQueue<string?>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name == ApiPipelineMetrics.Runs)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? chain = null, outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == ApiPipelineTags.Chain) { chain = tag.Value as string; }
                if (tag.Key == ApiPipelineTags.Outcome) { outcome = tag.Value as string; }
            }

            if (chain == "shared-metric")
            {
                outcomes.Enqueue(outcome);
            }
        });
        listener.Start();

        var store = new InMemoryStateStore();
        var api = new ChainApi(parents: 20, childPages: 1) { Fail = (target, _) => target.Contains("/parents/5/", StringComparison.Ordinal) ? (500, "{}") : null };
        var first = Map("resume-metric-a", api.Handle);
        var other = Map("resume-metric-b", api.Handle);
        var options = new ChainOptions { Extractor = At, StateStore = store, ChainId = "shared-metric" };

        var failed = await new SequentialChildren(options).ExecuteAsync(first, new MemoryOutput<Child>()).WithDeadline(30);
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        await Assert.ThrowsAsync<ChainStateException>(() => new SequentialChildren(options).ExecuteAsync(other, new MemoryOutput<Child>()));

        Assert.Equal("failed,failed", string.Join(",", outcomes));
    }

    [Fact]
    public async Task A_chain_commit_of_progress_without_records_is_not_counted_as_an_output_batch()
    {
        // docs/observability.md: apipipeline.output.batches counts "output batches committed (non-empty)".
        var batches = new System.Collections.Concurrent.ConcurrentQueue<long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name == ApiPipelineMetrics.OutputBatches)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == ApiPipelineTags.Pipeline && Equals(tag.Value, "empty-children-metric"))
                {
                    batches.Enqueue(value);
                }
            }
        });
        listener.Start();

        // Every parent has one page of children, all empty: the chain commits its inputs' progress but no records.
        var api = new ChainApi(parents: 20, childPages: 1) { Fail = (target, _) => target.Contains("/children", StringComparison.Ordinal) ? (200, """{"items":[],"total_pages":1}""") : null };
        var input = Map("empty-children-metric", api.Handle);
        var options = new ChainOptions { Extractor = At, StateStore = new InMemoryStateStore(), ChainId = "empty-children-metric" };
        var output = new MemoryOutput<Child>();

        var result = await new SequentialChildren(options).ExecuteAsync(input, output).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Empty(output.Committed);
        Assert.Equal(0, batches.Sum());
    }

    [Fact]
    public async Task Inputs_whose_text_is_the_same_are_still_told_apart()
    {
        // Tenant has no ToString of its own, so both inputs print as its type name; their first requests differ.
        var store = new InMemoryStateStore();
        var api = new ChainApi(parents: 20, childPages: 1) { Fail = (target, _) => target.Contains("/parents/5/", StringComparison.Ordinal) ? (500, "{}") : null };
        Map("resume-tenant-a", api.Handle);
        Map("resume-tenant-b", api.Handle);
        var options = new ChainOptions { Extractor = At, StateStore = store, ChainId = "tenants" };

        var failed = await new TenantChildren(options).ExecuteAsync(new Tenant { Name = "resume-tenant-a" }, new MemoryOutput<Child>()).WithDeadline(30);
        Assert.Equal(PipelineStatus.Failed, failed.Status);

        var error = await Assert.ThrowsAsync<ChainStateException>(() => new TenantChildren(options).ExecuteAsync(new Tenant { Name = "resume-tenant-b" }, new MemoryOutput<Child>()));
        Assert.Contains("for another input", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_whose_last_state_save_fails_returns_a_failed_result_and_the_next_run_writes_nothing_twice()
    {
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        const string scenario = "resume-final-save";
        var api = new ChainApi(parents: 4, childPages: 2) { ChildDelay = TimeSpan.Zero };
        var input = Map(scenario, api.Handle);
        // Everything is extracted and committed; only the run's closing record ("succeeded") cannot be saved.
        var breaking = new FailingStore(store, op => op.Key == "run" && op.Value?.Contains(ChainRunRecord.Succeeded, StringComparison.Ordinal) == true, afterCommit: false);
        string outDir = Path.Combine(temp.Path, "out");

        ChainResult failed;
        await using (var output = Jsonl(outDir))
        {
            failed = await new SequentialChildren(new ChainOptions { Extractor = At, StateStore = breaking }).ExecuteAsync(input, output).WithDeadline(30);
        }

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Contains("disk full", failed.Error!.ToString(), StringComparison.Ordinal);
        ChainAssert.ExactlyOnce(api.AllChildren(), ChainAssert.Jsonl(outDir));
        int requests = api.ChildRequests;

        ChainResult next;
        await using (var output = Jsonl(outDir))
        {
            next = await new SequentialChildren(new ChainOptions { Extractor = At, StateStore = store }).ExecuteAsync(input, output).WithDeadline(30);
        }

        Assert.True(next.Status == PipelineStatus.Succeeded, ChainAssert.Describe(next));
        Assert.True(next.Resumed);
        Assert.Equal(requests, api.ChildRequests);
        ChainAssert.ExactlyOnce(api.AllChildren(), ChainAssert.Jsonl(outDir));
    }

    [Fact]
    public async Task A_flush_interval_commit_that_fails_fails_the_chain_and_the_resumed_run_writes_each_record_once()
    {
        // Run 1: parent 2's second page of children is slow; while the chain waits for it, the output's flush interval passes and its
        // commit cannot be recorded (the store fails). That ends the run at once, with the store's error. Run 2 resumes.
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        const string scenario = "resume-flush-commit";
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var api = new ChainApi(parents: 2, childPages: 2) { ChildDelay = TimeSpan.Zero };
        var input = Map(scenario, async ctx =>
        {
            if (ctx.Request.Path.Value!.EndsWith("/parents/2/children", StringComparison.Ordinal) && ctx.Request.Query["page"] == "2")
            {
                await gate.Task;
            }

            await api.Handle(ctx);
        });
        var breaking = new FailingStore(store, op => op.Key == "sink.prepared", afterCommit: false);
        var clock = new FakeTimeProvider();
        var interval = TimeSpan.FromSeconds(2);
        string outDir = Path.Combine(temp.Path, "out");

        ChainResult failed;
        await using (var output = new JsonlOutput<Child>(ChainJson.Default.Child, new JsonlOutputOptions<Child> { Directory = outDir, Name = "children", Batching = new() { BatchSize = 250, FlushInterval = interval } }))
        {
            var run = new SequentialChildren(new ChainOptions { Extractor = At, StateStore = breaking, TimeProvider = clock }).ExecuteAsync(input, output);
            try
            {
                await TestHelpers.WaitUntilAsync(() => output.PendingRecords == 6, "parent 1 and the first page of parent 2 handed to the output");
                clock.Advance(interval);
                failed = await run.WithDeadline(30); // while the API still holds the slow page
            }
            finally
            {
                gate.TrySetResult();
            }
        }

        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.IsType<IOException>(failed.Error);
        Assert.Contains("disk full", failed.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, failed.Records);
        Assert.Empty(ChainAssert.Jsonl(outDir));

        ChainResult next;
        await using (var output = Jsonl(outDir))
        {
            next = await new SequentialChildren(new ChainOptions { Extractor = At, StateStore = store }).ExecuteAsync(input, output).WithDeadline(30);
        }

        Assert.True(next.Status == PipelineStatus.Succeeded, ChainAssert.Describe(next));
        Assert.True(next.Resumed);
        Assert.Equal(1, api.ParentRequests);
        ChainAssert.ExactlyOnce(api.AllChildren(), ChainAssert.Jsonl(outDir));
    }

    [Fact]
    public async Task A_short_last_batch_that_grows_on_resume_sends_just_the_new_records()
    {
        // Run 1: the second page of parents fails (the step goes on: Continue), so the batches are 1-30, 31-60, 61-90 and a short
        // 91-100, all done; then the run's closing record cannot be saved, so the run stays unfinished. Run 2 resumes: the parents'
        // second page now answers, and 101-150 join the batch that starts at 91.
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        const string scenario = "resume-short-batch";
        bool firstRun = true;
        var api = new ChainApi(parents: 150) { Fail = (target, _) => firstRun && target.Contains("/parents?", StringComparison.Ordinal) && target.Contains("page=2", StringComparison.Ordinal) ? (500, "{}") : null };
        var input = Map(scenario, api.Handle);
        var breaking = new FailingStore(store, op => op.Key == "run" && op.Value?.Contains(ChainRunRecord.PartialSuccess, StringComparison.Ordinal) == true, afterCommit: false);
        string outDir = Path.Combine(temp.Path, "out");

        await using (var output = Jsonl(outDir))
        {
            var failed = await new ContinuingBatchedChildren(new ChainOptions { Extractor = At, StateStore = breaking }).ExecuteAsync(input, output).WithDeadline(30);
            Assert.Equal(PipelineStatus.Failed, failed.Status);
        }

        Assert.Contains(string.Join(",", Enumerable.Range(91, 10)), api.BatchIds);
        firstRun = false;
        await using (var output = Jsonl(outDir))
        {
            var next = await new ContinuingBatchedChildren(new ChainOptions { Extractor = At, StateStore = store }).ExecuteAsync(input, output).WithDeadline(30);
            Assert.True(next.Status == PipelineStatus.Succeeded, ChainAssert.Describe(next));
            Assert.True(next.Resumed);
        }

        Assert.Contains(string.Join(",", Enumerable.Range(101, 20)), api.BatchIds);
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), ChainAssert.Jsonl(outDir).Select(c => c.ParentId).Order());
    }

    [Fact]
    public async Task A_short_last_batch_stopped_part_way_finishes_its_own_records_and_sends_the_new_ones_apart()
    {
        // Run 1: the parents' page 2 fails (Continue), so the last batch is 91-100; its answer's page 2 then fails, ending the run with
        // that batch at a checkpoint. Run 2: parents 101-150 arrive. The batch at 91 finishes from its checkpoint for 91-100 only, and
        // 101-120 go as a batch of their own.
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        bool firstRun = true;
        var api = new ChainApi(parents: 150) { Fail = (target, _) => firstRun && target.Contains("/parents?", StringComparison.Ordinal) && target.Contains("page=2", StringComparison.Ordinal) ? (500, "{}") : null };
        var sent = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var input = Map("resume-short-paged-batch", async ctx =>
        {
            if (!(ctx.Request.Path.Value ?? "").EndsWith("/paged-children", StringComparison.Ordinal))
            {
                await api.Handle(ctx);
                return;
            }

            string ids = ctx.Request.Query["ids"].ToString();
            int page = int.Parse(ctx.Request.Query["page"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            sent.Enqueue($"{ids} p{page}");
            if (firstRun && ids.StartsWith("91,", StringComparison.Ordinal) && page == 2)
            {
                await Reply.Json(ctx, "{}", 400);
                return;
            }

            var parents = ids.Split(',').Select(long.Parse).ToList();
            var half = page == 1 ? parents.Take(parents.Count / 2) : parents.Skip(parents.Count / 2);
            await Reply.Json(ctx, "{\"items\":[" + string.Join(",", half.Select(id => System.Text.Json.JsonSerializer.Serialize(new Child((id * 1000) + 10 + page, id, page), ChainJson.Default.Child))) + "],\"total_pages\":2}");
        });
        string outDir = Path.Combine(temp.Path, "out");

        await using (var output = Jsonl(outDir))
        {
            var failed = await new ContinuingPagedBatchedChildren(new ChainOptions { Extractor = At, StateStore = store }).ExecuteAsync(input, output).WithDeadline(30);
            Assert.Equal(PipelineStatus.Failed, failed.Status);
        }

        // Whether the batch at 91 got its first page committed before its second failed and stopped the run (usually; when the failure
        // came first, nothing of it is recorded and run 2 rightly sends 91-120 as one batch).
        bool batchStarted = ChainAssert.Jsonl(outDir).Any(c => c.ParentId == 91);
        firstRun = false;
        await using (var output = Jsonl(outDir))
        {
            var next = await new ContinuingPagedBatchedChildren(new ChainOptions { Extractor = At, StateStore = store }).ExecuteAsync(input, output).WithDeadline(30);
            Assert.True(next.Status == PipelineStatus.Succeeded, ChainAssert.Describe(next));
        }

        if (batchStarted)
        {
            Assert.Contains($"{string.Join(",", Enumerable.Range(91, 10))} p2", sent);
            Assert.Contains($"{string.Join(",", Enumerable.Range(101, 20))} p1", sent);
        }

        var written = ChainAssert.Jsonl(outDir).ToList();
        Assert.Equal(written.Count, written.Select(c => c.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), written.Select(c => c.ParentId).Distinct().Order());
    }

    [Fact]
    public async Task A_short_last_batch_that_was_dead_lettered_still_sends_the_records_that_join_it_on_resume()
    {
        // Run 1: the parents' page 2 fails (Continue), the short last batch 91-100 fails and is dead-lettered, and the run's closing
        // record cannot be saved, so it stays unfinished. Run 2: parents 101-150 arrive; 101-120 must still be asked for.
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        bool firstRun = true;
        var api = new ChainApi(parents: 150) { Fail = (target, _) => firstRun && target.Contains("/parents?", StringComparison.Ordinal) && target.Contains("page=2", StringComparison.Ordinal) ? (500, "{}") : null };
        var sent = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var input = Map("resume-dead-lettered-batch", async ctx =>
        {
            if (!(ctx.Request.Path.Value ?? "").EndsWith("/paged-children", StringComparison.Ordinal))
            {
                await api.Handle(ctx);
                return;
            }

            string ids = ctx.Request.Query["ids"].ToString();
            sent.Enqueue(ids);
            if (firstRun && ids.StartsWith("91,", StringComparison.Ordinal))
            {
                await Reply.Json(ctx, "{}", 400);
                return;
            }

            var parents = ids.Split(',').Select(long.Parse);
            await Reply.Json(ctx, "{\"items\":[" + string.Join(",", parents.Select(id => System.Text.Json.JsonSerializer.Serialize(new Child((id * 1000) + 11, id, 1), ChainJson.Default.Child))) + "],\"total_pages\":1}");
        });
        var options = new ChainOptions { Extractor = At, DeadLetterPath = Path.Combine(temp.Path, "dead-letter.jsonl") };
        var breaking = new FailingStore(store, op => op.Key == "run" && op.Value?.Contains(ChainRunRecord.PartialSuccess, StringComparison.Ordinal) == true, afterCommit: false);

        await using (var output = Jsonl(Path.Combine(temp.Path, "out")))
        {
            Assert.Equal(PipelineStatus.Failed, (await new ContinuingDeadLetteredBatches(options with { StateStore = breaking }).ExecuteAsync(input, output).WithDeadline(30)).Status);
        }

        firstRun = false;
        await using (var output = Jsonl(Path.Combine(temp.Path, "out")))
        {
            var next = await new ContinuingDeadLetteredBatches(options with { StateStore = store }).ExecuteAsync(input, output).WithDeadline(30);
            Assert.True(next.Resumed);
        }

        Assert.Contains(string.Join(",", Enumerable.Range(101, 20)), sent);
        Assert.Equal(Enumerable.Range(1, 150).Where(i => i is < 91 or > 100).Select(i => (long)i), ChainAssert.Jsonl(Path.Combine(temp.Path, "out")).Select(c => c.ParentId).Order());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_input_that_makes_no_request_url_fails_the_chain_with_a_recorded_failure(bool withState)
    {
        // An empty {name}: the first step cannot build its URL. With a state store the input's fingerprint needs that URL too.
        var options = new ChainOptions { Extractor = At, StateStore = withState ? new InMemoryStateStore() : null };

        var result = await new SequentialChildren(options).ExecuteAsync(new Scenario(""), new MemoryOutput<Child>()).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        var failure = Assert.Single(result.Failures);
        Assert.True(failure.Fatal);
        Assert.Contains("makes no request URL", failure.Input, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_user_output_whose_write_stops_part_way_through_a_page_commits_nothing_more_and_the_resumed_chain_writes_each_record_once(bool cancelled)
    {
        // A user output (not a page sink) that takes a page's records one by one and stops at the 8th record (the second of a page of two): an I/O error, or the
        // chain's cancellation. It may hold part of that page, so the chain's final commit must not happen.
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        string scenario = "resume-partial-write-" + cancelled;
        var api = new ChainApi(parents: 4, childPages: 2) { ChildDelay = TimeSpan.Zero };
        var input = Map(scenario, api.Handle);
        string outDir = Path.Combine(temp.Path, "out");
        using var stop = new CancellationTokenSource();

        ChainResult failed;
        await using (var inner = Jsonl(outDir))
        {
            var output = new OneByOneOutput<Child>(inner) { StopAtRecord = 8, CancelAtStop = cancelled ? stop : null };
            failed = await new SequentialChildren(new ChainOptions { Extractor = At, StateStore = store }).ExecuteAsync(input, output, stop.Token).WithDeadline(30);
        }

        Assert.Equal(cancelled ? PipelineStatus.Cancelled : PipelineStatus.Failed, failed.Status);
        ChainResult next;
        await using (var output = Jsonl(outDir))
        {
            next = await new SequentialChildren(new ChainOptions { Extractor = At, StateStore = store }).ExecuteAsync(input, output).WithDeadline(30);
        }

        Assert.True(next.Status == PipelineStatus.Succeeded, ChainAssert.Describe(next));
        ChainAssert.ExactlyOnce(api.AllChildren(), ChainAssert.Jsonl(outDir));
    }

    private static JsonlOutput<Child> Jsonl(string directory)
        => new(ChainJson.Default.Child, new JsonlOutputOptions<Child> { Directory = directory, Name = "children", Batching = new() { BatchSize = 250 } });
}
