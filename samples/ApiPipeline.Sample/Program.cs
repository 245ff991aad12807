using System.Globalization;
using ApiPipeline;
using ApiPipeline.DemoApi;
using ApiPipeline.Hosting;
using ApiPipeline.Sample;

// Usage: dotnet run --project samples/ApiPipeline.Sample [-- --base-url URL] [--owner O] [--repo R] [--out DIR] [--state FILE]
//                                                        [--issues N] [--latency-ms N]
// Without --base-url the built-in demo API is started on 127.0.0.1 and both pipelines run against it. Runs are incremental and
// crash-safe: state (checkpoints, watermarks) is kept in <out>/.state/sample.db, so a second run only loads what changed, and an
// interrupted run resumes where it stopped.
var options = SampleOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: ApiPipeline.Sample [--base-url URL] [--owner OWNER] [--repo REPO] [--out DIR] [--state FILE] [--issues N] [--latency-ms N]");
    return 64;
}

if (File.Exists(options.OutputDirectory))
{
    Console.Error.WriteLine($"--out '{options.OutputDirectory}' is a file; give a folder (it is created if missing).");
    return 64;
}

// Ctrl+C (or SIGTERM) stops the run at the next page: what was committed stays, and the next run resumes from there.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
{
    signal.Cancel = true;
    stop.Cancel();
});

await using var demo = options.BaseUrl is null
    ? await DemoApi.StartAsync(new DemoApiOptions { Issues = options.Issues, Latency = TimeSpan.FromMilliseconds(options.LatencyMs) })
    : null;
string baseUrl = options.BaseUrl ?? demo!.BaseUrl;
Console.WriteLine(demo is null ? $"API: {UrlRedactor.Redact(baseUrl)}" : $"Demo API started at {baseUrl}");

SqliteStateStore opened;
try
{
    opened = await SqliteStateStore.OpenAsync(options.StatePath ?? Path.Combine(options.OutputDirectory, ".state", "sample.db"));
}
catch (StateStoreException ex)
{
    Console.Error.WriteLine(ex.Message); // names the file and what is wrong with it
    return 1;
}

await using var state = opened;
var pipelineOptions = new PipelineOptions { StateStore = state };
var extractorOptions = new ExtractorOptions { BaseUrl = baseUrl };
var manager = new PipelineManager();

await using var issuesOut = new JsonlOutput<Issue>(SampleJson.Default.Issue, new JsonlOutputOptions<Issue>
{
    Directory = options.OutputDirectory,
    Name = "issues",
    PartitionBy = issue => issue.UpdatedAt,
});
await using var eventsOut = new JsonlOutput<Event>(SampleJson.Default.Event, new JsonlOutputOptions<Event>
{
    Directory = options.OutputDirectory,
    Name = "events",
    PartitionBy = e => e.CreatedAt,
});
manager.RegisterPipeline("issues", new GitHubIssues(extractorOptions), issuesOut, pipelineOptions);
manager.RegisterPipeline("events", new Events(extractorOptions), eventsOut, pipelineOptions);

// Live progress on a terminal (plain lines when output is redirected), read from ApiPipeline's own metrics.
var results = new List<PipelineResult>();
using (new RunProgress("sample"))
{
    results.Add(await manager.ExecutePipelineAsync("issues", new RepoRef(options.Owner, options.Repo), stop.Token));
    if (!stop.IsCancellationRequested)
    {
        results.Add(await manager.ExecutePipelineAsync("events", NoInput.Value, stop.Token));
    }
}

Console.WriteLine();
foreach (var r in results)
{
    Console.Write(RunSummary.From(r).ToText());
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  duplicates  {r.Duplicates,12:N0}   dropped (read again by the watermark lag){(r.Resumed ? "; resumed an interrupted run" : "")}"));
}

Console.WriteLine($"Output: {Path.GetFullPath(options.OutputDirectory)}");
foreach (var failed in results.Where(r => r.Status != PipelineStatus.Succeeded))
{
    Console.Error.WriteLine($"{failed.PipelineId}: {failed.Error?.Message}");
}

if (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Interrupted: what was committed is kept; run the same command again to resume.");
    return 130;
}

return results.All(r => r.Status == PipelineStatus.Succeeded) ? 0 : 1;

/// <summary>The sample's command line.</summary>
internal sealed record SampleOptions(string? BaseUrl, string Owner, string Repo, string OutputDirectory, string? StatePath, int Issues, int LatencyMs)
{
    public static SampleOptions? Parse(string[] args)
    {
        var o = new SampleOptions(null, "octo-org", "demo", "out", null, 2_500, 0);
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            if (value is null)
            {
                return null;
            }

            switch (args[i])
            {
                case "--base-url" when Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.UserInfo.Length == 0: o = o with { BaseUrl = value }; break;
                case "--owner": o = o with { Owner = value }; break;
                case "--repo": o = o with { Repo = value }; break;
                case "--out": o = o with { OutputDirectory = value }; break;
                case "--state": o = o with { StatePath = value }; break;
                case "--issues" when int.TryParse(value, CultureInfo.InvariantCulture, out int n) && n >= 0: o = o with { Issues = n }; break;
                case "--latency-ms" when int.TryParse(value, CultureInfo.InvariantCulture, out int ms) && ms >= 0: o = o with { LatencyMs = ms }; break;
                default: return null;
            }

            i++;
        }

        return o;
    }
}
