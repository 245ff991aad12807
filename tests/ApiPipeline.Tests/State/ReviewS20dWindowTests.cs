using System.Globalization;

namespace ApiPipeline.Tests;

/// <summary>Review s20d: a time window's first page that fails after its retries, with MaxResults.</summary>
public sealed class ReviewS20dWindowTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private static readonly DateTimeOffset T0 = ChangeTable.T0;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// The window's first page is throttled (429, Retry-After 1 s: the retry waits a second) and then fails (500); the extractor's mode
    /// would skip it, and with MaxResults the window fails instead (fix 2: thrown from <c>WindowSink.EndPageAsync</c>). The page's
    /// throttled time never reaches the run: the skipped-page path and the FailFast path add <c>page.Throttled</c>, the new path does
    /// not (<c>RunSink.FailedAsync</c> counts only the attempts), so <c>PipelineResult.Throttled</c> says 0 after a 1-second 429 wait.
    /// </summary>
    [Fact]
    public async Task A_windows_failed_first_page_counts_its_throttled_time()
    {
        const string name = "s20d-throttled-first";
        var rows = Enumerable.Range(1, 10).Select(i => new Change(i, $"change-{i}", T0 + (TimeSpan.FromDays(4) * (i - 1) / 10))).ToList();
        int attempts = 0;
        Api.Map("/" + name + "/search", async context =>
        {
            var query = context.Request.Query;
            var since = DateTimeOffset.Parse(query["since"].ToString(), CultureInfo.InvariantCulture);
            var until = DateTimeOffset.Parse(query["until"].ToString(), CultureInfo.InvariantCulture);
            int page = int.Parse(query["page"].ToString(), CultureInfo.InvariantCulture);
            int size = int.Parse(query["per_page"].ToString(), CultureInfo.InvariantCulture);
            if (since == T0 && page == 1)
            {
                if (Interlocked.Increment(ref attempts) == 1)
                {
                    context.Response.Headers["Retry-After"] = "1";
                    await Reply.Json(context, """{"message":"slow down"}""", 429);
                }
                else
                {
                    await Reply.Json(context, """{"message":"boom"}""", 500);
                }

                return;
            }

            var matching = rows.Where(r => r.UpdatedAt >= since && r.UpdatedAt < until).OrderBy(r => r.UpdatedAt).ToList();
            var served = matching.Skip((page - 1) * size).Take(size).Select(r => System.Text.Json.JsonSerializer.Serialize(r, ChangeJson.Default.Change));
            await Reply.Json(context, $"{{\"total_count\":{matching.Count},\"items\":[{string.Join(",", served)}]}}");
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
}
