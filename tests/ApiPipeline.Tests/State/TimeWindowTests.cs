using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>A search-like API: records in <c>[since, until)</c>, pages of 10; looks back 1 minute.</summary>
[Extractor("http://localhost", "/{name}/search", Json = typeof(ChangeJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "items")]
[Watermark(nameof(Change.UpdatedAt), Param = "since", UntilParam = "until", Lag = "1m", Initial = "2026-04-01T00:00:00Z")]
[TimeWindows(Size = "1d", MaxConcurrent = 3)]
public sealed partial class WindowedChanges : IExtractor<Scenario, Change>;

/// <summary>The same API, which returns at most 25 results per query: deeper windows are split.</summary>
[Extractor("http://localhost", "/{name}/search", Json = typeof(ChangeJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "items", TotalPath = "total_count")]
[Watermark(nameof(Change.UpdatedAt), Param = "since", UntilParam = "until", Initial = "2026-04-01T00:00:00Z")]
[TimeWindows(Size = "4d", MaxConcurrent = 2, MaxResults = 25)]
public sealed partial class CappedWindowedChanges : IExtractor<Scenario, Change>;

/// <summary>Daily windows, two at a time, cursor pages; a window whose page fails is counted and the rest of it skipped.</summary>
[Extractor("http://localhost", "/{name}/search", Json = typeof(ChangeJson))]
[Paginated(Pagination.Cursor, RecordsPath = "items", CursorPath = "next")]
[Watermark(nameof(Change.UpdatedAt), Param = "since", UntilParam = "until", Initial = "2026-04-01T00:00:00Z")]
[TimeWindows(Size = "1d", MaxConcurrent = 2)]
[OnError(ErrorMode.Continue)]
public sealed partial class ContinuingWindowedChanges : IExtractor<Scenario, Change>;

/// <summary>Daily windows that start at 06:00 UTC (an API whose days end there).</summary>
[Extractor("http://localhost", "/{name}/search", Json = typeof(ChangeJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "items")]
[Watermark(nameof(Change.UpdatedAt), Param = "since", UntilParam = "until", Initial = "2026-04-01T00:00:00Z")]
[TimeWindows(Size = "1d", Offset = "6h", MaxConcurrent = 2)]
public sealed partial class ShiftedWindowedChanges : IExtractor<Scenario, Change>;

/// <summary>Daily windows without an Initial: the first run needs a From (a backfill).</summary>
[Extractor("http://localhost", "/{name}/search", Json = typeof(ChangeJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "items")]
[Watermark(nameof(Change.UpdatedAt), Param = "since", UntilParam = "until", Lag = "1m")]
[TimeWindows(Size = "1d", MaxConcurrent = 1)]
public sealed partial class UninitialisedWindowedChanges : IExtractor<Scenario, Change>;

public sealed class TimeWindowTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private static readonly DateTimeOffset T0 = ChangeTable.T0;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A search API that returns at most 25 results of a query (reporting the full total), as GitHub's search does with 1,000: a window
    /// whose total is beyond MaxResults must be halved, or its results past the cap are lost. [0d,4d) holds 30. Its first page fails once;
    /// the extractor would skip it (its own mode Skip), but only that page's total says whether the window must be halved: the failure
    /// fails the window instead (dead-lettered as the pipeline's mode says, its checkpoint kept), and the next run reads it, halved, whole.
    /// </summary>
    [Fact]
    public async Task A_window_whose_first_page_the_extractor_skipped_is_still_halved_when_deeper_than_MaxResults()
    {
        const string name = "window-first-page";
        var rows = Enumerable.Range(1, 30).Select(i => new Change(i, $"change-{i}", T0 + (TimeSpan.FromDays(4) * (i - 1) / 30))).ToList();
        int failed = 0;
        CappedSearch(name, rows, async (context, since, page) =>
        {
            if (since != T0 || page != 1 || Interlocked.Exchange(ref failed, 1) != 0)
            {
                return false;
            }

            await Reply.Json(context, """{"message":"boom"}""", 500);
            return true;
        });

        var extractor = new CappedWindowedChanges(At with { Resilience = new ResilienceOptions { OnError = ErrorMode.Skip } });
        string deadLetters = Path.Combine(_dir.Path, "dead.jsonl");
        await using var store = new InMemoryStateStore();
        var options = new PipelineOptions { StateStore = store, Until = T0.AddDays(4), OnError = ErrorMode.DeadLetter, DeadLetterPath = deadLetters };
        PipelineResult first, second;
        await using (var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes" }))
        {
            first = await new Pipeline<Scenario, Change>("windows", extractor, output, options).ExecuteAsync(new Scenario(name));
        }

        await using (var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes" }))
        {
            second = await new Pipeline<Scenario, Change>("windows", extractor, output, options).ExecuteAsync(new Scenario(name));
        }

        Assert.Equal(PipelineStatus.PartialSuccess, first.Status);
        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), Written().Select(c => c.Id).Order());
    }

    /// <summary>
    /// The window's first page is throttled (429, Retry-After 1 s: the retry waits a second) and then fails (500); with MaxResults the
    /// window fails: the page's wait for the rate limit counts in the run's result all the same.
    /// </summary>
    [Fact]
    public async Task A_windows_failed_first_page_counts_its_throttled_time()
    {
        const string name = "tw-throttled-first";
        var rows = Enumerable.Range(1, 10).Select(i => new Change(i, $"change-{i}", T0 + (TimeSpan.FromDays(4) * (i - 1) / 10))).ToList();
        int attempts = 0;
        CappedSearch(name, rows, async (context, since, page) =>
        {
            if (since != T0 || page != 1)
            {
                return false;
            }

            if (Interlocked.Increment(ref attempts) == 1)
            {
                context.Response.Headers["Retry-After"] = "1";
                await Reply.Json(context, """{"message":"slow down"}""", 429);
            }
            else
            {
                await Reply.Json(context, """{"message":"boom"}""", 500);
            }

            return true;
        });

        var extractor = new CappedWindowedChanges(At with
        {
            Resilience = new ResilienceOptions { OnError = ErrorMode.Skip, Retry = new RetryOptions { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(10), Jitter = false } },
        });
        await using var store = new InMemoryStateStore();
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes" });
        var result = await new Pipeline<Scenario, Change>("windows", extractor, output, new PipelineOptions { StateStore = store, Until = T0.AddDays(4), OnError = ErrorMode.Continue })
            .ExecuteAsync(new Scenario(name));

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal(2, Volatile.Read(ref attempts));
        Assert.True(result.Throttled >= TimeSpan.FromSeconds(0.9), $"throttled {result.Throttled}, requests {result.Requests}");
    }

    [Fact]
    public async Task Windows_run_concurrently_under_the_limit_and_every_record_lands_once()
    {
        var api = Search("tw-basic", latency: TimeSpan.FromMilliseconds(40));
        api.AddDaily(days: 10, perDay: 24);
        await using var store = new InMemoryStateStore();

        var first = await RunAsync(new WindowedChanges(At), api, store, until: T0.AddDays(10));

        Assert.True(first.Status == PipelineStatus.Succeeded, first.Error?.ToString());
        Assert.Equal(240, first.Records);
        Assert.Equal(Enumerable.Range(1, 240).Select(i => (long)i), Written().Select(c => c.Id).Order());
        Assert.InRange(api.MaxInFlight, 2, 3);
        // Each day is one window, sent as since/until; a window's 24 records take 3 pages of 10, and an empty page ends it.
        var windows = api.Requests.Select(r => (r.Since, r.Until)).Distinct().Order().ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(d => (T0.AddDays(d), T0.AddDays(d + 1))), windows);
        Assert.Equal(40, api.Requests.Count);
        Assert.Equal(api.Rows.Max(r => r.UpdatedAt), first.Watermark?.Timestamp);

        // The next run starts from the watermark minus the lag, in windows again, and writes only what is new.
        api.AddDaily(days: 1, perDay: 24, startDay: 10);
        int before = api.Requests.Count;
        var second = await RunAsync(new WindowedChanges(At), api, store, until: T0.AddDays(11));

        Assert.True(second.Status == PipelineStatus.Succeeded, second.Error?.ToString());
        Assert.Equal(24, second.Records);
        Assert.Equal(first.Watermark!.Value.Timestamp.AddMinutes(-1), api.Requests.Skip(before).Min(r => r.Since));
        Assert.Equal(Enumerable.Range(1, 264).Select(i => (long)i), Written().Select(c => c.Id).Order());
    }

    [Fact]
    public async Task Windows_with_an_offset_start_there_and_are_clipped_to_the_range()
    {
        var api = Search("tw-offset");
        api.AddDaily(days: 3, perDay: 12);
        await using var store = new InMemoryStateStore();

        var run = await RunAsync(new ShiftedWindowedChanges(At), api, store, until: T0.AddDays(3));

        Assert.True(run.Status == PipelineStatus.Succeeded, run.Error?.ToString());
        var windows = api.Requests.Select(r => (r.Since, r.Until)).Distinct().Order().ToList();
        Assert.Equal(
            [(T0, T0.AddHours(6)), (T0.AddHours(6), T0.AddHours(30)), (T0.AddHours(30), T0.AddHours(54)), (T0.AddHours(54), T0.AddDays(3))],
            windows);
        Assert.Equal(Enumerable.Range(1, 36).Select(i => (long)i), Written().Select(c => c.Id).Order());
        Assert.Throws<ArgumentException>(() => new TimeWindowOptions { Size = TimeSpan.FromHours(6), Offset = TimeSpan.FromHours(6) }.Validate("x"));
    }

    [Fact]
    public async Task A_backfill_over_a_window_a_failed_run_set_aside_part_way_is_not_written_again()
    {
        // The failed ordinary run finishes days 1 and 2 (the windows run at once) while day 0 stops at page 2. The backfill of day 0
        // remembers its keys against the input's stored start, not the newest value of the set-aside windows: the next ordinary run,
        // which continues day 0 at page 2, drops what the backfill wrote there.
        var rows = new List<Change>();
        rows.AddRange(Enumerable.Range(0, 15).Select(i => new Change(i + 1, "c" + (i + 1), T0.AddMinutes(i))));
        rows.AddRange(Enumerable.Range(0, 3).Select(i => new Change(16 + i, "c" + (16 + i), T0.AddDays(1).AddMinutes(i))));
        rows.AddRange(Enumerable.Range(0, 3).Select(i => new Change(19 + i, "c" + (19 + i), T0.AddDays(2).AddMinutes(i))));
        int failed = 0;
        Api.Map("/tw-parked/search", async ctx =>
        {
            var q = ctx.Request.Query;
            int page = int.Parse(q["page"].ToString(), CultureInfo.InvariantCulture);
            var since = DateTimeOffset.Parse(q["since"].ToString(), CultureInfo.InvariantCulture);
            var until = DateTimeOffset.Parse(q["until"].ToString(), CultureInfo.InvariantCulture);
            if (since == T0 && page == 2 && Interlocked.Exchange(ref failed, 1) == 0)
            {
                await Task.Delay(700); // days 1 and 2 finish first
                await Reply.Json(ctx, """{"message":"boom"}""", 500);
                return;
            }

            var items = rows.Where(r => r.UpdatedAt >= since && r.UpdatedAt < until).OrderBy(r => r.UpdatedAt).Skip((page - 1) * 10).Take(10);
            await Reply.Json(ctx, "{\"items\":[" + string.Join(",", items.Select(r => System.Text.Json.JsonSerializer.Serialize(r, ChangeJson.Default.Change))) + "]}");
        });
        var input = new Scenario("tw-parked");
        await using var store = new InMemoryStateStore();

        async Task<PipelineResult> Run(PipelineOptions options)
        {
            await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes", Batching = new OutputBatchOptions { BatchSize = 10 } });
            return await new Pipeline<Scenario, Change>("windows", new WindowedChanges(At), output, options with { StateStore = store }).ExecuteAsync(input);
        }

        Assert.Equal(PipelineStatus.Failed, (await Run(new PipelineOptions { Until = T0.AddDays(3) })).Status);
        Assert.Equal(PipelineStatus.Succeeded, (await Run(new PipelineOptions { From = T0, Until = T0.AddDays(1) })).Status);
        var next = await Run(new PipelineOptions { Until = T0.AddDays(3) });

        Assert.True(next.Status == PipelineStatus.Succeeded, next.Error?.ToString());
        Assert.Equal(Enumerable.Range(11, 11).Select(i => (long)i), Written().Select(c => c.Id).Where(id => id > 10).Order()); // ids 1..10: the failed run's page and the backfill's re-load
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_windowed_backfill_gives_an_input_without_a_start_its_first_watermark_and_replay_a_window_it_gave_up_on(bool failing)
    {
        // Without a stored watermark or an Initial, ordinary runs of a windowed input cannot start: a backfill that reads it whole gives
        // it its first watermark. A window it gives up on goes to replay (ordinary runs would not read it), and the input gets none.
        var api = Search("tw-first-" + failing);
        api.AddDaily(days: 3, perDay: 12);
        if (failing)
        {
            api.FailOnce = (T0.AddDays(1), 1);
        }

        await using var store = new InMemoryStateStore();
        string deadLetters = Path.Combine(_dir.Path, "tw-first.dead-letter.jsonl");
        var options = new PipelineOptions { StateStore = store, OnError = ErrorMode.DeadLetter, DeadLetterPath = deadLetters };

        async Task<PipelineResult> Run(PipelineOptions o)
        {
            await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes", Batching = new OutputBatchOptions { BatchSize = 10 } });
            return await new Pipeline<Scenario, Change>("windows", new UninitialisedWindowedChanges(At), output, o).ExecuteAsync(api.Input);
        }

        var backfill = await Run(options with { From = T0, Until = T0.AddDays(3) });
        var ordinary = await Run(options with { Until = T0.AddDays(3) });

        if (!failing)
        {
            Assert.Equal((PipelineStatus.Succeeded, PipelineStatus.Succeeded), (backfill.Status, ordinary.Status));
            Assert.Equal(Enumerable.Range(1, 36).Select(i => (long)i), Written().Select(c => c.Id).Order());
            return;
        }

        Assert.Equal(PipelineStatus.PartialSuccess, backfill.Status);
        Assert.Contains("needs a start", ordinary.Error?.Message, StringComparison.Ordinal);
        var entry = System.Text.Json.JsonSerializer.Deserialize(Assert.Single(File.ReadAllLines(deadLetters)), RuntimeJsonContext.Default.DeadLetterEntry)!;
        Assert.Equal((DeadLetterEntry.InputSkipped, T0.AddDays(1).UtcDateTime.ToString("O", CultureInfo.InvariantCulture), T0.AddDays(2).UtcDateTime.ToString("O", CultureInfo.InvariantCulture)), (entry.Skipped, entry.Since, entry.Until));
        Assert.Equal(24, Written().Count); // days 0 and 2; day 1 is replay's
    }

    [Fact]
    public async Task A_window_page_whose_record_cannot_be_written_fails_the_run_while_another_window_waits_to_be_counted()
    {
        // Window 1 (day 0) has one record; window 2 (day 1) fails (404) a little later, while window 1's page is being written.
        using var secondFailed = new ManualResetEventSlim();
        var input = Map("tw-gate", async ctx =>
        {
            var since = DateTimeOffset.Parse(ctx.Request.Query["since"].ToString(), CultureInfo.InvariantCulture);
            if (since == T0.AddDays(1))
            {
                await Task.Delay(100);
                await Reply.Json(ctx, """{"message":"gone"}""", 404);
                secondFailed.Set();
                return;
            }

            await Reply.Json(ctx, """{"items":[{"id":1,"name":"a","updated_at":"2026-04-01T01:00:00+00:00"}],"next":null}""");
        });

        // Writing window 1's record fails (here the output's PartitionBy throws, as a full disk would) once window 2's failure waits.
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new()
        {
            Directory = _dir.Path,
            Name = "tw-gate",
            PartitionBy = _ =>
            {
                secondFailed.Wait(TimeSpan.FromSeconds(5));
                Thread.Sleep(200);
                throw new IOException("cannot write the record");
            },
        });
        var pipeline = new Pipeline<Scenario, Change>("tw-gate", new ContinuingWindowedChanges(At), output, new PipelineOptions { StateStore = new InMemoryStateStore(), Until = T0.AddDays(2) });

        var result = await pipeline.ExecuteAsync(input).WithDeadline(10);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Contains("cannot write the record", result.Error!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_window_deeper_than_MaxResults_is_halved_before_anything_of_it_is_written()
    {
        var api = Search("tw-deep");
        api.AddDaily(days: 8, perDay: 5);
        api.AddSpread(T0.AddDays(2), TimeSpan.FromDays(1), 40); // day 3 is busy: 45 results

        var result = await RunAsync(new CappedWindowedChanges(At), api, new InMemoryStateStore(), until: T0.AddDays(8));

        Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
        Assert.Equal(80, result.Records);
        Assert.Equal(api.Rows.Select(r => r.Id).Order(), Written().Select(c => c.Id).Order());
        // [0d,4d) holds 60 > 25: halved; [2d,4d) holds 50: halved; [2d,3d) holds 45: halved into 12-hour windows of 23 and 22.
        var windows = api.Requests.Select(r => (r.Since - T0, r.Until - T0)).Distinct().ToHashSet();
        Assert.Contains((TimeSpan.Zero, TimeSpan.FromDays(4)), windows);
        Assert.Contains((TimeSpan.FromDays(2), TimeSpan.FromDays(4)), windows);
        Assert.Contains((TimeSpan.FromDays(2), TimeSpan.FromDays(2.5)), windows);
        Assert.Contains((TimeSpan.FromDays(2.5), TimeSpan.FromDays(3)), windows);
        Assert.Contains((TimeSpan.FromDays(4), TimeSpan.FromDays(8)), windows);
        // An oversized window is asked for its first page only; nothing of it reaches the output (no duplicates above).
        Assert.All(api.Requests.Where(r => r.Total > 25), r => Assert.Equal(1, r.Page));
        Assert.Equal(api.Requests.Count, result.Requests); // those first pages included

    }

    [Fact]
    public async Task The_records_and_pages_metrics_do_not_count_the_first_page_of_a_window_that_is_halved()
    {
        var api = Search("tw-deep-metrics");
        api.AddDaily(days: 8, perDay: 5);
        api.AddSpread(T0.AddDays(2), TimeSpan.FromDays(1), 40); // day 3 is busy: 45 results

        var measured = new System.Collections.Concurrent.ConcurrentQueue<(string Name, long Value)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name is ApiPipelineMetrics.Records or ApiPipelineMetrics.Pages)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == ApiPipelineTags.Extractor && Equals(tag.Value, "CappedWindowedChanges"))
                {
                    measured.Enqueue((instrument.Name, value));
                }
            }
        });
        listener.Start();

        var result = await RunAsync(new CappedWindowedChanges(At), api, new InMemoryStateStore(), until: T0.AddDays(8));

        Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
        Assert.Equal(80, result.Records);
        // The first pages of [0d,4d), [2d,4d) and [2d,3d) are read only to learn the windows are too deep: nothing of them is
        // extracted into the run (the summary counts 80 records); the metrics, and the CLI's progress line, agree.
        Assert.Equal(result.Records, measured.Where(m => m.Name == ApiPipelineMetrics.Records).Sum(m => m.Value));
        Assert.Equal(result.Pages, measured.Where(m => m.Name == ApiPipelineMetrics.Pages).Sum(m => m.Value));
    }

    [Fact]
    public async Task A_split_window_resumed_after_its_total_shrank_goes_on_in_its_halves()
    {
        // [0d,4d) holds 30 > 25 results and is halved; one window at a time, so the first half is finished when the second commits
        // its first page and fails. Before the resume six records of the first half are deleted at the source, so the window now
        // reports 24: taken whole again, it would write what both halves committed a second time.
        var api = Search("tw-split-shrank");
        api.AddSpread(T0, TimeSpan.FromDays(4), 30);
        api.FailOnce = (T0.AddDays(2), 2);
        await using var store = new InMemoryStateStore();
        var oneAtATime = At with { TimeWindows = new TimeWindowOptions { Size = TimeSpan.FromDays(4), MaxConcurrent = 1, MaxResults = 25 } };

        var failed = await RunAsync(new CappedWindowedChanges(oneAtATime), api, store, until: T0.AddDays(4));
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        api.RemoveWhere(r => r.Id <= 6);
        var resumed = await RunAsync(new CappedWindowedChanges(oneAtATime), api, store, until: T0.AddDays(4));

        Assert.Equal(PipelineStatus.Succeeded, resumed.Status);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), Written().Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_window_continued_from_its_checkpoint_is_not_split_when_its_total_has_grown()
    {
        var api = Search("tw-grown");
        api.AddSpread(T0, TimeSpan.FromDays(2), 20); // 20 results in [0d, 4d): under MaxResults (25)
        api.FailOnce = (T0, 2);
        await using var store = new InMemoryStateStore();

        var failed = await RunAsync(new CappedWindowedChanges(At), api, store, until: T0.AddDays(4));
        Assert.Equal((PipelineStatus.Failed, 10L), (failed.Status, failed.Records));

        // Ten more, after the others: the window now reports 30. Its first page is written, so it is continued, not halved.
        api.AddSpread(T0.AddDays(3), TimeSpan.FromDays(0.5), 10);
        var resumed = await RunAsync(new CappedWindowedChanges(At), api, store, until: T0.AddDays(4));

        Assert.True(resumed.Status == PipelineStatus.Succeeded, resumed.Error?.ToString());
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), Written().Select(c => c.Id).Order());
    }

    [Fact]
    public async Task A_window_that_cannot_be_split_further_fails_with_TooManyResults_and_writes_nothing_of_it()
    {
        var api = Search("tw-tooDeep");
        api.AddSpread(T0.AddSeconds(1), TimeSpan.Zero, 5); // five records at the same instant
        var extractor = new CappedWindowedChanges(At with { TimeWindows = new TimeWindowOptions { Size = TimeSpan.FromSeconds(4), MaxResults = 2 } });

        var result = await RunAsync(extractor, api, new InMemoryStateStore(), until: T0.AddSeconds(4));

        Assert.Equal(PipelineStatus.Failed, result.Status);
        var error = Assert.IsType<ExtractionException>(result.Error);
        Assert.Equal(ExtractionErrorKind.TooManyResults, error.Kind);
        Assert.Contains("reports 5 results, more than MaxResults (2), and is already the smallest window (1s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("[2026-04-01T00:00:01.0000000+00:00, 2026-04-01T00:00:02.0000000+00:00)", error.Message, StringComparison.Ordinal);
        Assert.Empty(Written());
        Assert.Null(result.Watermark);
    }

    [Fact]
    public async Task Under_Continue_a_window_that_cannot_be_split_is_a_counted_failure_and_the_other_windows_are_written()
    {
        var api = Search("tw-tooDeepContinue");
        api.AddSpread(T0.AddSeconds(1), TimeSpan.Zero, 5);
        api.AddSpread(T0.AddSeconds(3), TimeSpan.Zero, 1);
        var extractor = new CappedWindowedChanges(At with { TimeWindows = new TimeWindowOptions { Size = TimeSpan.FromSeconds(4), MaxResults = 2 } });
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes" });

        var result = await new Pipeline<Scenario, Change>("windows", extractor, output, new PipelineOptions { StateStore = new InMemoryStateStore(), Until = T0.AddSeconds(4), OnError = ErrorMode.Continue }).ExecuteAsync(api.Input);

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal(ExtractionErrorKind.TooManyResults, Assert.Single(result.Errors).Kind);
        Assert.Equal(1, result.Failures);
        Assert.Equal([6L], Written().Select(c => c.Id));
        Assert.Null(result.Watermark);
    }

    [Fact]
    public async Task A_failed_window_resumes_at_its_failed_page_and_finished_windows_are_not_read_again()
    {
        var api = Search("tw-resume");
        api.AddDaily(days: 6, perDay: 24);
        api.FailOnce = (T0.AddDays(3), 2); // day 4, page 2
        await using var store = new InMemoryStateStore();
        // One window at a time, so that the windows before the failure are exactly the finished ones.
        var oneAtATime = At with { TimeWindows = new TimeWindowOptions { Size = TimeSpan.FromDays(1), MaxConcurrent = 1 } };

        var failed = await RunAsync(new WindowedChanges(oneAtATime), api, store, until: T0.AddDays(6));
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        Assert.Null(failed.Watermark);

        var firstRun = api.Requests.ToList();
        var finished = Completed(firstRun);
        var resumed = await RunAsync(new WindowedChanges(oneAtATime), api, store, until: T0.AddDays(6));

        Assert.True(resumed.Status == PipelineStatus.Succeeded, resumed.Error?.ToString());
        Assert.True(resumed.Resumed);
        Assert.Equal(Enumerable.Range(1, 144).Select(i => (long)i), Written().Select(c => c.Id).Order());
        var again = api.Requests.Skip(firstRun.Count).ToList();
        Assert.DoesNotContain(again, r => finished.Contains(r.Since));
        Assert.Contains(again, r => r.Since == T0.AddDays(3) && r.Page == 2);
        Assert.DoesNotContain(again, r => r.Since == T0.AddDays(3) && r.Page == 1);
        Assert.Equal(api.Rows.Max(r => r.UpdatedAt), resumed.Watermark?.Timestamp);
    }

    [Fact]
    public async Task An_input_with_an_unfinished_window_keeps_its_watermark_until_a_later_run_finishes_its_windows()
    {
        var b = Search("tw-unfinished-b");
        var a = Search("tw-unfinished-a");
        b.AddDaily(days: 6, perDay: 24);
        a.AddDaily(days: 6, perDay: 2);
        b.FailOnce = (T0.AddDays(3), 2); // day 4, page 2
        await using var store = new InMemoryStateStore();
        var oneAtATime = At with { TimeWindows = new TimeWindowOptions { Size = TimeSpan.FromDays(1), MaxConcurrent = 1 } };

        // B fails in its fourth window; a run of A alone then completes the run B left, but not B's windows.
        Assert.Equal(PipelineStatus.Failed, (await RunAsync(new WindowedChanges(oneAtATime), b, store, until: T0.AddDays(6))).Status);
        var finished = Completed(b.Requests);
        var other = await RunAsync(new WindowedChanges(oneAtATime), a, store, until: T0.AddDays(6));
        Assert.True(other.Status == PipelineStatus.Succeeded, other.Error?.ToString());
        Assert.Equal(a.Rows.Max(r => r.UpdatedAt), other.Watermark?.Timestamp);

        // B's next run continues its unfinished window at the failed page and reads no finished window again.
        int before = b.Requests.Count;
        var continued = await RunAsync(new WindowedChanges(oneAtATime), b, store, until: T0.AddDays(6));
        Assert.True(continued.Status == PipelineStatus.Succeeded, continued.Error?.ToString());
        var again = b.Requests.Skip(before).ToList();
        Assert.DoesNotContain(again, r => finished.Contains(r.Since));
        Assert.Contains(again, r => r.Since == T0.AddDays(3) && r.Page == 2);
        Assert.DoesNotContain(again, r => r.Since == T0.AddDays(3) && r.Page == 1);
        Assert.Equal(144 + 12, Written().Count);
        Assert.Equal(b.Rows.Max(r => r.UpdatedAt), continued.Watermark?.Timestamp);
    }

    /// <summary>The windows whose four pages were all served in <paramref name="requests"/> (and so were committed by the failed run).</summary>
    private static HashSet<DateTimeOffset> Completed(IEnumerable<SearchRequest> requests)
        => [.. requests.Where(r => r.Status == 200).GroupBy(r => r.Since).Where(g => g.Select(r => r.Page).Distinct().Count() == 4).Select(g => g.Key)];

    private SearchApi Search(string name, TimeSpan latency = default)
    {
        var api = new SearchApi(new Scenario(name), latency);
        Api.Map("/" + name + "/search", api.Serve);
        return api;
    }

    private async Task<PipelineResult> RunAsync(IExtractor<Scenario, Change> extractor, SearchApi api, IStateStore store, DateTimeOffset until)
    {
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes", Batching = new OutputBatchOptions { BatchSize = 10 } });
        return await new Pipeline<Scenario, Change>("windows", extractor, output, new PipelineOptions { StateStore = store, Until = until }).ExecuteAsync(api.Input);
    }

    /// <summary>
    /// A search API over <paramref name="rows"/> at <c>/{name}/search</c> that returns at most 25 results of a query, reporting the full
    /// total (as GitHub's search does with 1,000); <paramref name="fault"/> answers a request itself (returning true) given its start and page.
    /// </summary>
    private void CappedSearch(string name, List<Change> rows, Func<HttpContext, DateTimeOffset, int, Task<bool>> fault)
        => Api.Map("/" + name + "/search", async context =>
        {
            var query = context.Request.Query;
            var since = DateTimeOffset.Parse(query["since"].ToString(), CultureInfo.InvariantCulture);
            var until = DateTimeOffset.Parse(query["until"].ToString(), CultureInfo.InvariantCulture);
            int page = int.Parse(query["page"].ToString(), CultureInfo.InvariantCulture);
            int size = int.Parse(query["per_page"].ToString(), CultureInfo.InvariantCulture);
            if (await fault(context, since, page))
            {
                return;
            }

            var matching = rows.Where(r => r.UpdatedAt >= since && r.UpdatedAt < until).OrderBy(r => r.UpdatedAt).ToList();
            var served = matching.Take(25).Skip((page - 1) * size).Take(size).Select(r => System.Text.Json.JsonSerializer.Serialize(r, ChangeJson.Default.Change));
            await Reply.Json(context, $"{{\"total_count\":{matching.Count},\"items\":[{string.Join(",", served)}]}}");
        });

    private List<Change> Written()
        => !Directory.Exists(Path.Combine(_dir.Path, "changes"))
            ? []
            : [.. Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes"), "*.jsonl", SearchOption.AllDirectories)
                .SelectMany(File.ReadLines)
                .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, ChangeJson.Default.Change)!)];

    private sealed record SearchRequest(DateTimeOffset Since, DateTimeOffset Until, int Page, long Total, int Status);

    /// <summary>The rows, a request log and the most requests it saw at once.</summary>
    private sealed class SearchApi(Scenario input, TimeSpan latency)
    {
        private readonly Lock _gate = new();
        private readonly List<Change> _rows = [];
        private readonly List<SearchRequest> _requests = [];
        private int _inFlight;
        private int _maxInFlight;

        public Scenario Input { get; } = input;

        public (DateTimeOffset Since, int Page)? FailOnce { get; set; }

        public void RemoveWhere(Predicate<Change> match)
        {
            lock (_gate)
            {
                _rows.RemoveAll(match);
            }
        }

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public IReadOnlyList<Change> Rows
        {
            get
            {
                lock (_gate)
                {
                    return [.. _rows];
                }
            }
        }

        public IReadOnlyList<SearchRequest> Requests
        {
            get
            {
                lock (_gate)
                {
                    return [.. _requests];
                }
            }
        }

        /// <summary><paramref name="perDay"/> records a day, evenly spread, for <paramref name="days"/> days from day <paramref name="startDay"/>.</summary>
        public void AddDaily(int days, int perDay, int startDay = 0)
        {
            for (int d = startDay; d < startDay + days; d++)
            {
                AddSpread(T0.AddDays(d), TimeSpan.FromDays(1), perDay);
            }
        }

        /// <summary><paramref name="count"/> records spread evenly over <paramref name="span"/> from <paramref name="start"/>.</summary>
        public void AddSpread(DateTimeOffset start, TimeSpan span, int count)
        {
            lock (_gate)
            {
                for (int i = 0; i < count; i++)
                {
                    long id = _rows.Count + 1;
                    _rows.Add(new Change(id, $"change-{id}", start + (span * i / count)));
                }
            }
        }

        public async Task Serve(HttpContext context)
        {
            int now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }

            try
            {
                if (latency > TimeSpan.Zero)
                {
                    await Task.Delay(latency);
                }

                var query = context.Request.Query;
                var since = DateTimeOffset.Parse(query["since"].ToString(), CultureInfo.InvariantCulture);
                var until = DateTimeOffset.Parse(query["until"].ToString(), CultureInfo.InvariantCulture);
                int page = int.Parse(query["page"].ToString(), CultureInfo.InvariantCulture);
                int size = int.Parse(query["per_page"].ToString(), CultureInfo.InvariantCulture);
                Change[] matching;
                bool fail;
                lock (_gate)
                {
                    matching = [.. _rows.Where(r => r.UpdatedAt >= since && r.UpdatedAt < until).OrderBy(r => r.UpdatedAt).ThenBy(r => r.Id)];
                    fail = FailOnce == (since, page);
                    if (fail)
                    {
                        FailOnce = null;
                    }

                    _requests.Add(new SearchRequest(since, until, page, matching.Length, fail ? 500 : 200));
                }

                if (fail)
                {
                    await Reply.Json(context, """{"message":"boom"}""", 500);
                    return;
                }

                var rows = matching.Skip((page - 1) * size).Take(size).Select(r => System.Text.Json.JsonSerializer.Serialize(r, ChangeJson.Default.Change));
                await Reply.Json(context, $"{{\"total_count\":{matching.Length},\"items\":[{string.Join(",", rows)}]}}");
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    /// <summary>
    /// ExtractorOptions.TimeWindows on an extractor whose [Watermark] has no UntilParam is refused when the extractor is created (what
    /// APP0008 checks for [TimeWindows]): each window would otherwise ask for the whole rest of the range.
    /// </summary>
    [Fact]
    public void Time_windows_given_at_run_time_need_the_watermarks_UntilParam()
    {
        var options = At with { TimeWindows = new TimeWindowOptions { Size = TimeSpan.FromDays(1) } };

        var error = Assert.Throws<ArgumentException>(() => new Changes(options));

        Assert.Contains("Extractor 'Changes': TimeWindows needs a timestamp [Watermark] with Param and UntilParam", error.Message, StringComparison.Ordinal);
    }
}
