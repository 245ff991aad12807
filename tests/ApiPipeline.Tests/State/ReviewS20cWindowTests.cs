using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>Review s20c: a failed page the extractor skips, inside a time window with MaxResults.</summary>
public sealed class ReviewS20cWindowTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private static readonly DateTimeOffset T0 = ChangeTable.T0;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A search API that returns at most 25 results of a query (reporting the full total), as GitHub's search does with 1,000: a window
    /// whose total is beyond MaxResults must be halved, or its results past the cap are lost. [0d,4d) holds 30. Its first page fails once
    /// and the extractor skips it (its own mode Skip, the next page is computable); the pipeline's mode (DeadLetter) dead-letters it.
    /// WindowSink checks the total on the window's first page only, and a skipped first page counts as the first: the window is read
    /// whole, and results 26–30 are neither written nor dead-lettered.
    /// </summary>
    [Fact]
    public async Task A_window_whose_first_page_the_extractor_skipped_is_still_halved_when_deeper_than_MaxResults()
    {
        const string name = "s20c-skip-first";
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
        await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "changes" });
        var result = await new Pipeline<Scenario, Change>("windows", extractor, output, new PipelineOptions
        {
            StateStore = new InMemoryStateStore(),
            Until = T0.AddDays(4),
            OnError = ErrorMode.DeadLetter,
            DeadLetterPath = deadLetters,
        }).ExecuteAsync(new Scenario(name));

        var written = Written().Select(c => c.Id).ToHashSet();
        var missing = Enumerable.Range(26, 5).Where(id => !written.Contains(id)).ToList();
        Assert.True(missing.Count == 0, $"status {result.Status}, written {string.Join(",", written.Order())}; results past the API's cap never read, nor dead-lettered: {string.Join(",", missing)}; dead letters: {(File.Exists(deadLetters) ? File.ReadAllText(deadLetters) : "none")}");
    }

    private List<Change> Written()
        => !Directory.Exists(Path.Combine(_dir.Path, "changes"))
            ? []
            : [.. Directory.EnumerateFiles(Path.Combine(_dir.Path, "changes"), "*.jsonl", SearchOption.AllDirectories)
                .SelectMany(File.ReadLines)
                .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, ChangeJson.Default.Change)!)];
}
