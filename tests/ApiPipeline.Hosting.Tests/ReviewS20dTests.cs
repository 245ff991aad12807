using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// A search API that returns at most 25 results per query (reporting the full total), in 4-day windows with MaxResults 25; no Initial,
/// so ordinary runs need a backfill first and a window a backfill gives up on is replay's.
/// </summary>
[Extractor("http://localhost", "/capped/search", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "items", TotalPath = "total_count")]
[Watermark(nameof(Item.UpdatedAt), Param = "since", UntilParam = "until")]
[TimeWindows(Size = "4d", MaxConcurrent = 1, MaxResults = 25)]
[OnError(ErrorMode.DeadLetter)]
[Retry(MaxRetries = 0)]
public sealed partial class ReviewCappedWindows : IExtractor<NoInput, Item>;

/// <summary>Review s20d: failing tests of the third review's fixes.</summary>
public sealed class ReviewS20dTests : ServerTests
{
    private static List<int> Ids(string folder)
        => !Directory.Exists(folder)
            ? []
            : [.. Directory.EnumerateFiles(folder, "*.jsonl", SearchOption.AllDirectories)
                .SelectMany(File.ReadLines)
                .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, TestJson.Default.Item)!.Id)
                .Order()];

    /// <summary>
    /// A pipeline file whose output names its own directory (<c>data</c>) keeps its state where the host's runs do (the host's Output,
    /// <c>out/.state</c>), and its dead-letter file beside its folder in <c>data</c>; replaying that file into the folder the run writes
    /// (<c>--output data</c>) reads the state from <c>data/.state</c>, which does not exist, so no recorded batch is rolled forward, and
    /// the replay's writer then deletes the temporary files of the batch the crashed run recorded. The pipeline's resume finds them gone
    /// (as if a loader had taken them) and its 25 records are lost. Before the fix replay refused while temporary parts were there.
    /// </summary>
    [Fact]
    public async Task Replay_into_a_pipeline_files_own_directory_keeps_the_batch_its_crashed_run_recorded()
    {
        string hostOutput = Path.Combine(Dir.Path, "out");
        string data = Path.Combine(Dir.Path, "data");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = hostOutput }).Build();
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: file_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\noutput:\n  type: jsonl\n  config:\n    directory: {data}\n");

        // The run `run items.yaml` makes (its state in the host's Output, its records in data/file_items), "crashing" after its batch
        // was recorded and before the rename.
        var store = await SqliteStateStore.OpenAsync(Path.Combine(hostOutput, ".state", "apipipeline.db"));
        await using (store.ConfigureAwait(false))
        {
            var jsonl = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = data, Name = "file_items" });
            await using (jsonl.ConfigureAwait(false))
            {
                var result = await new Pipeline<NoInput, Item>("file_items", new Items(new ExtractorOptions { BaseUrl = Server.BaseUrl }), new ApiPipeline.Tests.CrashOnComplete<Item>(jsonl), new PipelineOptions { StateStore = store })
                    .ExecuteAsync(NoInput.Value);
                Assert.Equal(PipelineStatus.Failed, result.Status);
            }
        }

        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(data, "file_items"), ".part-*.jsonl.tmp"));

        // An entry of the pipeline in its dead-letter file: a late record (written without a request).
        string deadLetters = Path.Combine(data, "file_items.dead-letter.jsonl");
        await File.WriteAllLinesAsync(deadLetters,
        [
            """{"at":"2026-04-01T00:30:00+00:00","pipeline":"file_items","extractor":"Items","kind":"LateRecord","page":1,"url":"http://h/items?page=1","attempts":0,"skipped":"record","error":"late record","partition":"/items","watermark":"2026-04-01T00:15:30.0000000+00:00","record":{"id":100,"name":"late","updated_at":"2026-04-01T00:15:30+00:00"}}""",
        ]);

        var (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters, "--output", data);
        var (resumed, text2, error2) = await CliTests.Cli(configuration, "run", file);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.True(resumed == ExitCodes.Success, text2 + error2);
        Assert.Equal([.. Enumerable.Range(1, 25), 100], Ids(Path.Combine(data, "file_items")));
    }

    /// <summary>
    /// A backfill's window whose first page fails now fails the window (fix 2): the window, below where ordinary runs start (none, here),
    /// is handed to replay as an <c>"input"</c> entry with the window's bounds. Its first page's total was never compared with MaxResults,
    /// and replay does not compare it either: it reads the 4-day window whole, which the API caps at 25 of its 30 results, removes the
    /// entry and exits 0. The 5 results past the cap are lost without a word (a run halves such a window).
    /// </summary>
    [Fact]
    public async Task Replay_of_a_backfill_window_whose_first_page_failed_does_not_lose_results_past_MaxResults()
    {
        var t0 = new DateTimeOffset(2026, 1, 3, 0, 0, 0, TimeSpan.Zero); // a multiple of 4 days since the Unix epoch: one aligned window
        var rows = Enumerable.Range(1, 30).Select(i => new Item(i, $"item {i}", t0 + (TimeSpan.FromDays(4) * (i - 1) / 30))).ToList();
        int failed = 0;
        await using var api = await CappedApi.StartAsync(async context =>
        {
            var query = context.Request.Query;
            var since = DateTimeOffset.Parse(query["since"].ToString(), CultureInfo.InvariantCulture);
            var until = DateTimeOffset.Parse(query["until"].ToString(), CultureInfo.InvariantCulture);
            int page = int.Parse(query["page"].ToString(), CultureInfo.InvariantCulture);
            int size = int.Parse(query["per_page"].ToString(), CultureInfo.InvariantCulture);
            if (since == t0 && until == t0.AddDays(4) && page == 1 && Interlocked.Exchange(ref failed, 1) == 0)
            {
                await CappedApi.Reply(context, """{"message":"boom"}""", 503);
                return;
            }

            var matching = rows.Where(r => r.UpdatedAt >= since && r.UpdatedAt < until).OrderBy(r => r.UpdatedAt).ToList();
            var served = matching.Take(25).Skip((page - 1) * size).Take(size).Select(r => System.Text.Json.JsonSerializer.Serialize(r, TestJson.Default.Item));
            await CappedApi.Reply(context, $"{{\"total_count\":{matching.Count},\"items\":[{string.Join(",", served)}]}}", 200);
        });

        string output = Path.Combine(Dir.Path, "out");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Extractors:ReviewCappedWindows:BaseUrl"] = api.BaseUrl }).Build();
        var (code, text, error) = await CliTests.Cli(configuration, "run", "ReviewCappedWindows", "--from", "2026-01-03", "--to", "2026-01-07", "--output", output);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(output, "ReviewCappedWindows.dead-letter.jsonl");
        Assert.Contains("\"skipped\":\"input\"", Assert.Single(await File.ReadAllLinesAsync(deadLetters)), StringComparison.Ordinal);

        var (replayed, text2, error2) = await CliTests.Cli(configuration, "replay", deadLetters, "--output", output);

        // Either every record lands, or the entry stays (with the reason); not 25 of 30 with the entry gone.
        Assert.True(Ids(Path.Combine(output, "ReviewCappedWindows")).SequenceEqual(Enumerable.Range(1, 30)) || File.Exists(deadLetters),
            $"replay exit {replayed}, records {string.Join(",", Ids(Path.Combine(output, "ReviewCappedWindows")))}, entry left: {File.Exists(deadLetters)}\n{text2}{error2}");
    }

    /// <summary>
    /// The chain input an entry carries now masks any URL value with user info, of any scheme (fix in <c>WithoutUrlSecrets</c>): but a user
    /// name alone is no password (docs/chains.md: "a URL value holding a secret-looking query parameter or a password"). An ssh remote
    /// (<c>ssh://git@host/…</c>) or a <c>mailto:</c> address becomes <c>***</c>, so replay cannot rebuild the chain input and falls back to
    /// writing the step's records without the later steps.
    /// </summary>
    [Theory]
    [InlineData("ssh://git@github.com/acme/app.git")]
    [InlineData("mailto:alice@example.com")]
    public void The_chain_input_an_entry_carries_keeps_a_url_value_with_a_user_name_and_no_password(string url)
        => Assert.Equal($"{{\"Source\":\"{url}\"}}", PipelineRunner.DeadLetterInput(new Dictionary<string, string> { ["Source"] = url }).GetRawText());

    /// <summary>A Kestrel server on 127.0.0.1 answering every request with <paramref name="handler"/>.</summary>
    private sealed class CappedApi : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private CappedApi(WebApplication app) => _app = app;

        public string BaseUrl { get; private set; } = "";

        public static async Task<CappedApi> StartAsync(RequestDelegate handler)
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"], ContentRootPath = AppContext.BaseDirectory });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.Run(handler);
            await app.StartAsync();
            return new CappedApi(app) { BaseUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/') };
        }

        public static async Task Reply(HttpContext context, string json, int status)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(json);
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
