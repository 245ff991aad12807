using System.Globalization;
using Microsoft.Extensions.Configuration;
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
public sealed partial class CappedWindowItems : IExtractor<NoInput, Item>;

/// <summary>
/// Replay against what runs leave behind: a crashed run's recorded batch in a folder whose state replay cannot see, a time window
/// that failed on its first page, and URL values of a chain input.
/// </summary>
public sealed class ReplayLeftoverTests : ServerTests
{
    /// <summary>
    /// A pipeline file whose output names its own directory (<c>data</c>) keeps its state where the host's runs do (<c>out/.state</c>);
    /// replaying its dead-letter file into <c>data</c> reads <c>data/.state</c>, which names no batch of the pipeline, while the batch its
    /// crashed run recorded waits in <c>data/file_items</c>. Replay writes there all the same without touching the batch's files, and once
    /// the pipeline has resumed every record is there.
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

        // The state replay reads (data/.state) names no batch of the pipeline: its writer leaves the batch's files alone and numbers its
        // own part after them, and the pipeline's resume puts the batch in place.
        var (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters, "--output", data);
        Assert.True(code == ExitCodes.Success, text + error);
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(data, "file_items"), ".part-*.jsonl.tmp"));

        var (resumed, text2, error2) = await CliTests.Cli(configuration, "run", file);

        Assert.True(resumed == ExitCodes.Success, text2 + error2);
        Assert.Equal([.. Enumerable.Range(1, 25), 100], Ids(Path.Combine(data, "file_items")));
    }

    /// <summary>
    /// A backfill's window whose first page fails fails the window, handed to replay as an <c>"input"</c> entry with the window's bounds.
    /// Read as one query, the window would lose what lies past the API's cap (a run halves it): replay leaves the entry, with the backfill
    /// that reads it.
    /// </summary>
    [Fact]
    public async Task Replay_of_a_backfill_window_whose_first_page_failed_does_not_lose_results_past_MaxResults()
    {
        var t0 = new DateTimeOffset(2026, 1, 3, 0, 0, 0, TimeSpan.Zero); // a multiple of 4 days since the Unix epoch: one aligned window
        var rows = Enumerable.Range(1, 30).Select(i => new Item(i, $"item {i}", t0 + (TimeSpan.FromDays(4) * (i - 1) / 30))).ToList();
        int failed = 0;
        Server.Respond = async context =>
        {
            var query = context.Request.Query;
            var since = DateTimeOffset.Parse(query["since"].ToString(), CultureInfo.InvariantCulture);
            var until = DateTimeOffset.Parse(query["until"].ToString(), CultureInfo.InvariantCulture);
            int page = int.Parse(query["page"].ToString(), CultureInfo.InvariantCulture);
            int size = int.Parse(query["per_page"].ToString(), CultureInfo.InvariantCulture);
            if (since == t0 && until == t0.AddDays(4) && page == 1 && Interlocked.Exchange(ref failed, 1) == 0)
            {
                await TestServer.Reply(context, """{"message":"boom"}""", 503);
                return;
            }

            var matching = rows.Where(r => r.UpdatedAt >= since && r.UpdatedAt < until).OrderBy(r => r.UpdatedAt).ToList();
            var served = matching.Take(25).Skip((page - 1) * size).Take(size).Select(r => System.Text.Json.JsonSerializer.Serialize(r, TestJson.Default.Item));
            await TestServer.Reply(context, $"{{\"total_count\":{matching.Count},\"items\":[{string.Join(",", served)}]}}", 200);
        };

        string output = Path.Combine(Dir.Path, "out");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Extractors:CappedWindowItems:BaseUrl"] = Server.BaseUrl }).Build();
        var (code, text, error) = await CliTests.Cli(configuration, "run", "CappedWindowItems", "--from", "2026-01-03", "--to", "2026-01-07", "--output", output);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(output, "CappedWindowItems.dead-letter.jsonl");
        Assert.Contains("\"skipped\":\"input\"", Assert.Single(await File.ReadAllLinesAsync(deadLetters)), StringComparison.Ordinal);

        var (replayed, text2, error2) = await CliTests.Cli(configuration, "replay", deadLetters, "--output", output);

        // Not 25 of 30 with the entry gone: the entry stays, with the backfill that reads the window.
        Assert.True(replayed == ExitCodes.Failure, text2 + error2);
        Assert.Contains("run a backfill over its range --from 2026-01-03", text2, StringComparison.Ordinal);
        Assert.Single(await File.ReadAllLinesAsync(deadLetters));
        Assert.Empty(Ids(Path.Combine(output, "CappedWindowItems")));
    }

    /// <summary>
    /// The chain input an entry carries masks a URL value's password, whatever the scheme, but a user name alone is no password: an ssh
    /// remote (<c>ssh://git@host/…</c>) or a <c>mailto:</c> address is kept, so replay can build the chain input again.
    /// </summary>
    [Theory]
    [InlineData("ssh://git@github.com/acme/app.git")]
    [InlineData("mailto:alice@example.com")]
    public void The_chain_input_an_entry_carries_keeps_a_url_value_with_a_user_name_and_no_password(string url)
        => Assert.Equal($"{{\"Source\":\"{url}\"}}", PipelineRunner.DeadLetterInput(new Dictionary<string, string> { ["Source"] = url }).GetRawText());

    /// <summary>
    /// Replay tags its temporary parts with the state file's identity (its path with symbolic links resolved), as the runs whose
    /// recovery cleans up after it do: a --state under a linked folder is one owner for both.
    /// </summary>
    [Fact]
    public async Task Replay_writes_as_the_owner_a_run_recovers_when_the_state_folder_is_a_link()
    {
        string real = Directory.CreateDirectory(Path.Combine(Dir.Path, "real")).FullName;
        string link = Path.Combine(Dir.Path, "link");
        Directory.CreateSymbolicLink(link, real);
        string statePath = Path.Combine(link, "state.db");
        string identity;
        await using (var store = await SqliteStateStore.OpenAsync(statePath))
        {
            identity = store.Identity;
        }

        var entry = new DeadLetterEntry(DateTimeOffset.UnixEpoch, "issues", "Issues", "HttpStatus", 500, 2, "http://127.0.0.1/x?page=2", 1, DeadLetterEntry.PageSkipped, "boom", null, null, null, null);

        Assert.Equal(OwnerTag.Pipeline("issues", identity), DeadLetterReplay.Writer(entry, statePath));
        Assert.Equal(Path.Combine(real, "state.db"), identity);
    }
}
