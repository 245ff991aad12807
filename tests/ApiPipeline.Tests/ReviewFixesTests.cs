using ApiPipeline.Tests.Resilience;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>Failing tests from the review of the day's fixes; each proves one product bug.</summary>
public sealed class ReviewFixesTests
{
    private static readonly ICredentialSource Secrets = CredentialSource.Create(name => name switch
    {
        "APIPIPELINE_TEST_CLIENT_ID" => "client-42",
        "APIPIPELINE_TEST_CLIENT_SECRET" => "cl13nt-s3cr3t-5566",
        _ => null,
    });

    [Fact]
    public void ReviewFixes_link_header_ignores_a_second_rel_parameter_of_one_link()
    {
        // RFC 8288 §3.3 (LinkHeader.cs says it reads RFC 8288 headers): "The rel parameter MUST NOT appear more than once in a given
        // link-value; occurrences after the first MUST be ignored by parsers." This link's relation is "prev" only; following it as the
        // next page goes back a page (a loop, or records read twice).
        Assert.Null(LinkHeader.Find("<https://a/1>; rel=\"prev\"; rel=\"next\"".AsSpan(), "next"));
        Assert.Equal("https://a/3", LinkHeader.Find("<https://a/1>; rel=\"prev\"; rel=\"next\", <https://a/3>; rel=\"next\"".AsSpan(), "next"));
    }

    [Fact]
    public async Task ReviewFixes_an_oauth_token_request_to_the_limited_host_takes_the_rate_limiters_tokens()
    {
        // docs/resilience.md ([RateLimited]): "Requests are spaced at most Burst + RequestsPerSecond × t in any period t, so a server
        // allowing R requests per second ... sees no 429", and the token endpoint often lives on the API's own host (/oauth/token).
        // HttpExtractor sends POST TokenUrl (Authenticator.FetchAsync, via _auth.ApplyAsync) inside the page's attempt on the page's single
        // token: two requests to the limited host on one token. Here the host's bucket (4/s, burst 1) is emptied by a first request, so
        // every later request must wait for its own 250 ms tick; the token request and the first page arrive together instead.
        var arrivals = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var api = Faults.PageApi(2);
        await using var server = await FaultServer.StartAsync((ctx, i) =>
        {
            arrivals.TryAdd(ctx.Request.Path, System.Diagnostics.Stopwatch.GetTimestamp());
            return ctx.Request.Path == "/token"
                ? Faults.Json(ctx, """{"access_token":"token-1","token_type":"Bearer","expires_in":3600}""")
                : api(ctx, i);
        });
        var limit = new RateLimitOptions { RequestsPerSecond = 4 };
        await new PlainRows(server.Options with { Resilience = PlainRows.Definition.Resilience with { RateLimit = limit } }).PagesAsync(new Shard("prime")).Within(10);
        var options = server.Options with
        {
            Credentials = Secrets,
            Auth = OAuthRows.Definition.Auth! with { TokenUrl = server.BaseUrl + "/token" },
            Resilience = OAuthRows.Definition.Resilience with { RateLimit = limit },
        };

        var pages = await new OAuthRows(options).PagesAsync(new Shard("a")).Within(10);

        Assert.Equal(Extract.Range(1, 2), pages.Ids());
        var gap = System.Diagnostics.Stopwatch.GetElapsedTime(arrivals["/token"], arrivals["/a/items"]);
        Assert.True(gap >= TimeSpan.FromMilliseconds(150), $"the token request and the first page went out {gap.TotalMilliseconds:0} ms apart on one token of a 4/s bucket");
    }

    [Fact]
    public async Task ReviewFixes_a_prepare_that_failed_at_the_directory_flush_leaves_its_records_out_of_the_next_commit()
    {
        // README (JSONL output): "each file is written under a hidden temporary name, flushed to disk and renamed at commit"; and
        // Pipeline.ExecuteCoreAsync commits what is pending at the end of a run "even after a failure". JsonlOutput.PrepareCommitAsync
        // closes the files and clears _open before FlushDirectories; when the directory flush fails (an I/O error), PendingRecords still
        // counts the records but the next preparation has no file for them: it reports 2 records, renames nothing, and the temporary
        // file is orphaned (deleted by the next run's recovery) while the state store records the batch as committed: data lost.
        using var temp = new TempDirectory();
        bool fail = true;
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = temp.Path, Name = "items" })
        {
            FlushDirectory = directory =>
            {
                if (fail)
                {
                    fail = false;
                    throw new IOException("simulated disk error");
                }

                DurableDirectory.Flush(directory);
            },
        };
        await output.WriteAsync(new Item[] { new(1, "a"), new(2, "b") });
        await Assert.ThrowsAsync<IOException>(async () => await output.PrepareCommitAsync());

        var prepared = await output.PrepareCommitAsync();
        await output.CompleteCommitAsync(prepared);

        Assert.Equal(2, prepared.Records);
        Assert.Equal(["items/part-00001.jsonl"], temp.Files());
    }
    [Fact]
    public async Task ReviewFixes_a_commit_after_a_failed_file_flush_reports_the_disk_error_not_object_disposed()
    {
        // PrepareCommitAsync flushes and disposes each open part in turn, and only clears _open after the loop: when the second part's
        // fsync fails (a disk error, injected here by swapping in a stream whose Flush(true) throws IOException, as a full disk would),
        // the first part stays in _open disposed. The run's end-of-run commit ("what is pending can be committed even after a failure",
        // Pipeline.ExecuteCoreAsync) calls PrepareCommitAsync again and gets ObjectDisposedException from the first part, which hides the
        // disk error the user needs to see; expected: the IOException again (the disk is still failing).
        using var temp = new TempDirectory();
        var jan1 = new DateTimeOffset(2024, 1, 1, 10, 0, 0, TimeSpan.Zero);
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = temp.Path, Name = "items", PartitionBy = i => i.CreatedAt });
        await output.WriteAsync(new Item[] { new(1, "a", jan1), new(2, "b") });
        var open = (System.Collections.IDictionary)typeof(JsonlOutput<Item>).GetField("_open", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(output)!;
        object last = open[open.Keys.Cast<int>().Max()]!;
        var streamField = last.GetType().GetField("Stream")!;
        var original = (FileStream)streamField.GetValue(last)!;
        streamField.SetValue(last, new FailingFlushStream(original.SafeFileHandle));

        await Assert.ThrowsAsync<IOException>(async () => await output.PrepareCommitAsync());
        var again = await Record.ExceptionAsync(async () => await output.PrepareCommitAsync());

        Assert.IsType<IOException>(again);
    }

    [Fact]
    public async Task ReviewFixes_a_redirect_hop_refused_by_a_long_host_pause_carries_the_remaining_wait()
    {
        // docs/resilience.md (Adaptation): "A pause longer than MaxRetryAfter is not waited: the request fails as RateLimited with the
        // remaining wait", and the Waits-beyond-the-cap sample waits ExtractionException.RetryAfter before resuming. A redirect hop to the
        // limited host waits for the limiter too (HttpExtractor.HopLeaseAsync); when another request's 429 has paused the host for an
        // hour meanwhile, the hop's lease is refused with that wait as its RetryAfter metadata, but HopLeaseAsync throws RateLimited
        // without it: RetryAfter is null, so a caller following the documented pattern cannot tell how long to wait.
        var aArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await FaultServer.StartAsync(async (ctx, i) =>
        {
            switch (ctx.Request.Path.Value)
            {
                case "/a/items":
                    aArrived.TrySetResult();
                    await release.Task;
                    ctx.Response.StatusCode = 302;
                    ctx.Response.Headers.Location = "/a/moved";
                    return;
                case "/b/items":
                    await Faults.TooManySeconds(ctx, 3600);
                    return;
                default:
                    await Faults.Json(ctx, Faults.Page(1, 0));
                    return;
            }
        });
        var options = server.Options with { Resilience = PlainRows.Definition.Resilience with { RateLimit = new RateLimitOptions { MaxConcurrent = 10 } } };

        var a = new PlainRows(options).PagesUntilErrorAsync(new Shard("a"));
        await aArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var (_, b) = await new PlainRows(options).PagesUntilErrorAsync(new Shard("b")).Within(10);
        Assert.Equal(ExtractionErrorKind.RateLimited, b.Kind); // the host is now paused for an hour
        release.SetResult();
        var (_, error) = await a.Within(10);

        Assert.Equal(ExtractionErrorKind.RateLimited, error.Kind);
        Assert.NotNull(error.RetryAfter);
        Assert.InRange(error.RetryAfter!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
    }

    private sealed class FailingFlushStream(Microsoft.Win32.SafeHandles.SafeFileHandle handle) : FileStream(handle, FileAccess.Write)
    {
        public override void Flush(bool flushToDisk) => throw new IOException("No space left on device (simulated)");
    }
}

/// <summary>Review tests that need the shared local API (ApiFixture).</summary>
public sealed class ReviewFixesIncrementalTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<PipelineResult> RunAsync(Scenario input, IStateStore store)
    {
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes", Batching = new OutputBatchOptions { BatchSize = 10 } });
        return await new Pipeline<Scenario, Change>("review-future", new Changes(At), output, new PipelineOptions { StateStore = store }).ExecuteAsync(input);
    }

    [Fact]
    public async Task ReviewFixes_one_record_dated_in_the_future_does_not_hide_every_later_change()
    {
        // One row carries a timestamp years after the run (a typo, a "valid until" date, a clock gone wrong). The run moves the stored
        // watermark to it (RunCheckpointer.CompleteAsync takes the newest value committed, whatever the clock says), so every later run
        // asks ?since=<that date - lag> and never reads the changes made meanwhile: they are lost silently, run after run, with status
        // Succeeded. A time-windowed input ends its range at the run's start (PlanWindows: "to the backfill's end or the run's start")
        // and so is immune; the plain incremental path should not let the watermark pass the run's start either.
        var table = new ChangeTable();
        Api.Map("/review-future/changes", table.Serve);
        var input = new Scenario("review-future");
        table.Add(3, TimeSpan.FromMinutes(1));
        table.Add(1, TimeSpan.Zero, DateTimeOffset.UtcNow.AddYears(10));
        await using var store = new InMemoryStateStore();

        var first = await RunAsync(input, store);
        Assert.Equal((PipelineStatus.Succeeded, 4L), (first.Status, first.Records));

        table.Add(3, TimeSpan.FromMinutes(1), ChangeTable.T0.AddHours(1));
        var second = await RunAsync(input, store);

        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal(3, second.Records); // the three changes made after the first run
    }
}
