using System.Text.Json;
using System.Text.Json.Serialization;
using ApiPipeline;
using ApiPipeline.DemoApi;

// Runs two generated extractors (Link header and cursor pagination) against the demo API, through pipelines into JSONL,
// and checks that every record arrived exactly once. Exit code 0 on success.
const int IssueCount = 1_234;
const int EventCount = 2_345;
await using var api = await DemoApi.StartAsync(new DemoApiOptions { Issues = IssueCount, Events = EventCount });
string outDir = Path.Combine(Path.GetTempPath(), "apipipeline-aot-" + Environment.ProcessId);
var options = new ExtractorOptions { BaseUrl = api.BaseUrl };
var failures = new List<string>();
try
{
    await using (var issuesOut = new JsonlOutput<Issue>(SmokeJson.Default.Issue, new() { Directory = outDir, Name = "issues", PartitionBy = i => i.UpdatedAt }))
    {
        var result = await new Pipeline<RepoRef, Issue>("issues", new Issues(options), issuesOut).ExecuteAsync(new RepoRef("octo", "smoke"));
        Check(result, IssueCount);
    }

    await using (var eventsOut = new JsonlOutput<Event>(SmokeJson.Default.Event, new() { Directory = outDir, Name = "events" }))
    {
        var result = await new Pipeline<NoInput, Event>("events", new Events(options), eventsOut).ExecuteAsync(NoInput.Value);
        Check(result, EventCount);
    }

    // Passthrough (issue 9): the same issues landed as the API sent them, partitioned through the fields record.
    await using (var rawOut = new JsonlOutput<RawRecord<IssueKeys>>(RawRecord.TypeInfo(SmokeJson.Default.IssueKeys), new() { Directory = outDir, Name = "issues-raw", PartitionBy = r => r.Fields.UpdatedAt }))
    {
        var result = await new Pipeline<RepoRef, RawRecord<IssueKeys>>("issues-raw", new IssuesRaw(options), rawOut).ExecuteAsync(new RepoRef("octo", "smoke"));
        Check(result, IssueCount);
    }

    int rawLines = Directory.EnumerateFiles(Path.Combine(outDir, "issues-raw"), "*.jsonl", SearchOption.AllDirectories)
        .SelectMany(File.ReadLines).Select(line => JsonSerializer.Deserialize(line, SmokeJson.Default.Issue)!.Id).Distinct().Count();
    if (rawLines != IssueCount)
    {
        failures.Add($"expected {IssueCount} distinct passthrough issues, found {rawLines}");
    }

    var ids = new HashSet<long>();
    foreach (var file in Directory.EnumerateFiles(Path.Combine(outDir, "issues"), "*.jsonl", SearchOption.AllDirectories))
    {
        foreach (var line in File.ReadLines(file))
        {
            var issue = JsonSerializer.Deserialize(line, SmokeJson.Default.Issue)!;
            if (!ids.Add(issue.Id))
            {
                failures.Add($"issue {issue.Id} written twice");
            }
        }
    }

    if (ids.Count != IssueCount)
    {
        failures.Add($"expected {IssueCount} distinct issues in the output, found {ids.Count}");
    }
}
finally
{
    Directory.Delete(outDir, recursive: true);
}

foreach (var failure in failures)
{
    Console.Error.WriteLine("FAIL: " + failure);
}

Console.WriteLine(failures.Count == 0 ? "AOT smoke test passed" : "AOT smoke test failed");
return failures.Count == 0 ? 0 : 1;

void Check(PipelineResult result, int expected)
{
    Console.WriteLine($"{result.PipelineId}: {result.Status}, {result.Records} records, {result.Pages} pages, {result.Files.Count} files");
    if (result.Status != PipelineStatus.Succeeded || result.Records != expected)
    {
        failures.Add($"{result.PipelineId}: expected Succeeded with {expected} records, got {result.Status} with {result.Records} ({result.Error?.Message})");
    }
}

public sealed record Issue(long Id, int Number, string Title, DateTimeOffset UpdatedAt);

public sealed record Event(long Id, string Type, DateTimeOffset CreatedAt);

public sealed record RepoRef(string Owner, string Repo);

public sealed record IssueKeys(long Id, DateTimeOffset UpdatedAt);

[JsonSerializable(typeof(Issue))]
[JsonSerializable(typeof(Event))]
[JsonSerializable(typeof(IssueKeys))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class SmokeJson : JsonSerializerContext;

[Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(SmokeJson))]
[Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
public sealed partial class Issues : IExtractor<RepoRef, Issue>;

[Extractor("https://api.example.com", "/v1/events", Json = typeof(SmokeJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "meta.next_cursor", PageSize = 250)]
public sealed partial class Events : IExtractor<NoInput, Event>;

[Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(SmokeJson))]
[Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
public sealed partial class IssuesRaw : IExtractor<RepoRef, RawRecord<IssueKeys>>;
