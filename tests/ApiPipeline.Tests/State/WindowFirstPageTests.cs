using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>A failed first page of a time window with MaxResults, which the extractor would skip.</summary>
public sealed class WindowFirstPageTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
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
        Api.Map("/" + name + "/search", async context =>
        {
            var query = context.Request.Query;
            var since = DateTimeOffset.Parse(query["since"].ToString(), CultureInfo.InvariantCulture);
            var until = DateTimeOffset.Parse(query["until"].ToString(), CultureInfo.InvariantCulture);
            int page = int.Parse(query["page"].ToString(), CultureInfo.InvariantCulture);
            int size = int.Parse(query["per_page"].ToString(), CultureInfo.InvariantCulture);
            if (since == T0 && until == T0.AddDays(4) && page == 1 && Interlocked.Exchange(ref failed, 1) == 0)
            {
                await Reply.Json(context, """{"message":"boom"}""", 500);
                return;
            }

            var matching = rows.Where(r => r.UpdatedAt >= since && r.UpdatedAt < until).OrderBy(r => r.UpdatedAt).ToList();
            var served = matching.Take(25).Skip((page - 1) * size).Take(size).Select(r => System.Text.Json.JsonSerializer.Serialize(r, ChangeJson.Default.Change));
            await Reply.Json(context, $"{{\"total_count\":{matching.Count},\"items\":[{string.Join(",", served)}]}}");
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

    private List<Change> Written()
        => !Directory.Exists(Path.Combine(_dir.Path, "changes"))
            ? []
            : [.. Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes"), "*.jsonl", SearchOption.AllDirectories)
                .SelectMany(File.ReadLines)
                .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, ChangeJson.Default.Change)!)];
}
