using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// Whose temporary parts a run's recovery removes: its own (its id with its state store), never those of a run of the same id with
/// another state store or none; and a killed replay's, which are the run's whose folder it wrote into.
/// </summary>
public sealed class TemporaryPartOwnerTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    /// <summary>
    /// The stateful run of chain id <c>shop</c> (as the CLI's <c>run shop</c> makes it) records its batch in the state store and dies
    /// before the rename. Then a run of the same chain id without a state store writes into the same folder (the keyed <c>IChain</c> that
    /// <c>AddApiPipeline</c> registers is one), reading nothing this time. Its recovery removes only its own (stateless) leftovers, so the
    /// stateful run's resume puts the 15 recorded details in place.
    /// </summary>
    [Fact]
    public async Task A_stateless_run_of_the_same_chain_id_does_not_delete_the_batch_its_stateful_run_recorded()
    {
        var store = await SqliteStateStore.OpenAsync(Path.Combine(Output, ".state", "apipipeline.db"));
        await using (store.ConfigureAwait(false))
        {
            var crashed = await Executor(store).ExecuteAsync(new Shop("acme"), new ApiPipeline.Tests.CrashOnComplete<Detail>(ShopOutput()));
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "shop"), ".part-*.jsonl.tmp"));

            // The stateless run of the same chain id (nothing to read this time).
            Server.Respond = context => TestServer.Reply(context, """{"data":[]}""", 200);
            var stateless = ShopOutput();
            await using (stateless.ConfigureAwait(false))
            {
                var result = await Executor(null).ExecuteAsync(new Shop("acme"), stateless);
                Assert.Equal((PipelineStatus.Succeeded, 0L), (result.Status, result.Records));
            }

            await ResumeAsync(store);
        }

        Assert.Equal(15, Details("acme")); // 3 groups x 5 members, recorded once, never lost
    }

    /// <summary>
    /// <c>run shop --state a.db</c> records its batch and dies before the rename; then <c>run shop</c> with the default state file (or the
    /// same chain file with its own output directory run from another host, whose state file differs) starts a new run of chain id
    /// <c>shop</c> into the same folder. Its recovery leaves the batch a.db recorded, which the resume with a.db puts in place.
    /// </summary>
    [Fact]
    public async Task A_new_run_of_the_same_chain_id_with_another_state_file_does_not_delete_the_batch_recorded_in_the_first()
    {
        var first = await SqliteStateStore.OpenAsync(Path.Combine(Dir.Path, "a.db"));
        await using (first.ConfigureAwait(false))
        {
            var crashed = await Executor(first).ExecuteAsync(new Shop("acme"), new ApiPipeline.Tests.CrashOnComplete<Detail>(ShopOutput()));
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "shop"), ".part-*.jsonl.tmp"));

            // A new run of chain id "shop" with the default state file (nothing to read this time).
            var other = await SqliteStateStore.OpenAsync(Path.Combine(Output, ".state", "apipipeline.db"));
            await using (other.ConfigureAwait(false))
            {
                Server.Respond = context => TestServer.Reply(context, """{"data":[]}""", 200);
                var output = ShopOutput();
                await using (output.ConfigureAwait(false))
                {
                    var result = await Executor(other).ExecuteAsync(new Shop("acme"), output);
                    Assert.Equal((PipelineStatus.Succeeded, false, 0L), (result.Status, result.Resumed, result.Records));
                }
            }

            await ResumeAsync(first);
        }

        Assert.Equal(15, Details("acme"));
    }

    /// <summary>
    /// The same for pipelines: <c>items</c> run with a.db records its batch and dies before the rename; a run of <c>items</c> with another
    /// state file starts and leaves that batch, which the resume with a.db puts in place: all 25 items.
    /// </summary>
    [Fact]
    public async Task A_pipeline_run_with_another_state_file_does_not_delete_the_batch_recorded_in_the_first()
    {
        var first = await SqliteStateStore.OpenAsync(Path.Combine(Dir.Path, "a.db"));
        await using (first.ConfigureAwait(false))
        {
            var crashed = await ItemsPipeline(new ApiPipeline.Tests.CrashOnComplete<Item>(ItemsOutput()), first).ExecuteAsync(NoInput.Value);
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "items"), ".part-*.jsonl.tmp"));

            var other = await SqliteStateStore.OpenAsync(Path.Combine(Output, ".state", "apipipeline.db"));
            await using (other.ConfigureAwait(false))
            {
                Server.Respond = context => TestServer.Reply(context, """{"data":[]}""", 200);
                var output = ItemsOutput();
                await using (output.ConfigureAwait(false))
                {
                    var result = await ItemsPipeline(output, other).ExecuteAsync(NoInput.Value);
                    Assert.Equal((PipelineStatus.Succeeded, 0L), (result.Status, result.Records));
                }
            }

            Server.Respond = null;
            var again = ItemsOutput();
            await using (again.ConfigureAwait(false))
            {
                var resumed = await ItemsPipeline(again, first).ExecuteAsync(NoInput.Value);
                Assert.True(resumed.Resumed);
                Assert.True(resumed.Status == PipelineStatus.Succeeded, resumed.Error?.ToString());
            }
        }

        Assert.Equal(Enumerable.Range(1, 25), Ids(Path.Combine(Output, "items")));
    }

    /// <summary>
    /// The same with two in-memory stores: each is a store of its own identity, so a run of <c>items</c> with the second leaves the batch
    /// the first recorded, and the resume with the first puts it in place.
    /// </summary>
    [Fact]
    public async Task A_pipeline_run_with_another_in_memory_store_does_not_delete_the_batch_recorded_in_the_first()
    {
        var first = new InMemoryStateStore();
        var crashed = await ItemsPipeline(new ApiPipeline.Tests.CrashOnComplete<Item>(ItemsOutput()), first).ExecuteAsync(NoInput.Value);
        Assert.Equal(PipelineStatus.Failed, crashed.Status);
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "items"), ".part-*.jsonl.tmp"));

        var other = new InMemoryStateStore();
        Server.Respond = context => TestServer.Reply(context, """{"data":[]}""", 200);
        var output = ItemsOutput();
        await using (output.ConfigureAwait(false))
        {
            var result = await ItemsPipeline(output, other).ExecuteAsync(NoInput.Value);
            Assert.Equal((PipelineStatus.Succeeded, 0L), (result.Status, result.Records));
        }

        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "items"), ".part-*.jsonl.tmp"));

        Server.Respond = null;
        var again = ItemsOutput();
        await using (again.ConfigureAwait(false))
        {
            var resumed = await ItemsPipeline(again, first).ExecuteAsync(NoInput.Value);
            Assert.True(resumed.Resumed);
            Assert.True(resumed.Status == PipelineStatus.Succeeded, resumed.Error?.ToString());
        }

        Assert.Equal(Enumerable.Range(1, 25), Ids(Path.Combine(Output, "items")));
    }

    private JsonlOutput<Item> ItemsOutput() => new(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = Output, Name = "items" });

    private Pipeline<NoInput, Item> ItemsPipeline(IOutput<Item> output, IStateStore store)
        => new("items", new Items(new ExtractorOptions { BaseUrl = Server.BaseUrl }), output, new PipelineOptions { StateStore = store });

    /// <summary>
    /// A chain file (<c>chain_id: groupitems</c>, with or without an <c>output</c> section) whose step <c>Items</c> dead-letters group 2's
    /// input; its entry is <c>groupitems/Items</c>, which replay writes (as the step's own records) into <c>out/groupitems/Items/</c>, a
    /// folder only replays of that step's entries write. The replay is killed while it reads page 2 (simulated: the temporary part on disk
    /// at that moment is put back after the failed replay disposed its writer, as a killed process would have left it). The next replay
    /// of the file removes that part before it writes, and completes the entry.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_next_replay_removes_the_temporary_part_a_killed_replay_of_a_chain_files_entry_left(bool outputSection)
    {
        string phase = "run";
        var snapshot = new List<string>();
        Server.Respond = async context =>
        {
            string path = context.Request.Path.Value ?? "";
            string page = context.Request.Query["page"].ToString() is { Length: > 0 } p ? p : "1";
            if (path == "/shops/acme/groups")
            {
                await TestServer.Reply(context, page == "1" ? """{"data":[{"id":1,"name":"g1"},{"id":2,"name":"g2"}]}""" : """{"data":[]}""", 200);
                return;
            }

            if (path == "/shops/acme/groups/1/items")
            {
                await TestServer.Reply(context, page == "1" ? """{"total":2,"data":[{"id":101,"name":"a","updated_at":"2026-01-01T00:00:00Z"},{"id":102,"name":"b","updated_at":"2026-01-02T00:00:00Z"}]}""" : """{"total":2,"data":[]}""", 200);
                return;
            }

            // Group 2: 12 items, 10 per page; its first request (the first run's) fails, so its input is dead-lettered.
            if (phase == "run")
            {
                phase = "replay";
                await TestServer.Reply(context, """{"message":"unavailable"}""", 503);
                return;
            }

            if (page != "1" && phase == "replay")
            {
                // The replay wrote page 1 into its temporary part and asks for page 2: the process is killed here.
                for (int i = 0; i < 100 && !Directory.EnumerateFiles(Path.Combine(Output, "groupitems"), ".part-*.jsonl.tmp", SearchOption.AllDirectories).Any(); i++)
                {
                    await Task.Delay(50);
                }

                foreach (var temp in Directory.EnumerateFiles(Path.Combine(Output, "groupitems"), ".part-*.jsonl.tmp", SearchOption.AllDirectories))
                {
                    snapshot.Add(temp); // its name; the open file cannot be read (FileShare.None)
                }

                await TestServer.Reply(context, """{"message":"unavailable"}""", 503);
                return;
            }

            var ids = page == "1" ? Enumerable.Range(201, 10) : page == "2" ? Enumerable.Range(211, 2) : [];
            await TestServer.Reply(context, $$"""{"total":12,"data":[{{string.Join(",", ids.Select(id => $$"""{"id":{{id}},"name":"x","updated_at":"2026-01-01T00:00:00Z"}"""))}}]}""", 200);
        };

        var (file, configuration) = await GroupItemsChainFileAsync();
        if (outputSection)
        {
            await File.AppendAllTextAsync(file, "\noutput:\n  type: jsonl\n  config:\n    name: grouped\n");
        }

        var (code, text, error) = await CliTests.Cli(configuration, "run", file, "--input", "owner=acme", "--output", Output);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Directory.EnumerateFiles(Output, "*.dead-letter.jsonl").Single();
        Assert.Contains("\"pipeline\":\"groupitems/Items\"", Assert.Single(await File.ReadAllLinesAsync(deadLetters)), StringComparison.Ordinal);

        (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters, "--output", Output);
        Assert.True(code == ExitCodes.Failure, text + error);

        // What the killed replay left on disk (its writer never got to dispose).
        string leftover = Assert.Single(snapshot);
        Assert.StartsWith(Path.Combine(Output, "groupitems", "Items") + Path.DirectorySeparatorChar, leftover, StringComparison.Ordinal);
        File.WriteAllText(leftover, "{\"id\":201,\"name\":\"x\",\"updated_at\":\"2026-01-01T00:00:00Z\"}\n{\"id\":202,");

        // The next replay, with the API answering.
        phase = "after";
        (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters, "--output", Output);
        Assert.True(code == ExitCodes.Success, text + error);

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Output, "groupitems"), ".part-*.jsonl.tmp", SearchOption.AllDirectories));
        Assert.Equal([.. Enumerable.Range(201, 12)], Ids(Path.Combine(Output, "groupitems", "Items")));
    }

    /// <summary>The resume of chain id <c>shop</c> with <paramref name="store"/>, where the API answers again.</summary>
    private async Task ResumeAsync(IStateStore store)
    {
        Server.Respond = null;
        var again = ShopOutput();
        await using (again.ConfigureAwait(false))
        {
            var resumed = await Executor(store).ExecuteAsync(new Shop("acme"), again);
            Assert.True(resumed.Resumed);
            Assert.True(resumed.Status == PipelineStatus.Succeeded, resumed.Error?.ToString());
        }
    }

    /// <summary>The details of <paramref name="shop"/> in <c>out/shop</c>.</summary>
    private int Details(string shop)
        => Directory.EnumerateFiles(Path.Combine(Output, "shop"), "*.jsonl").SelectMany(File.ReadLines).Count(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("owner").GetString() == shop);

    private JsonlOutput<Detail> ShopOutput() => new(TestJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = Output, Name = "shop" });

    /// <summary>A <see cref="ShopChain"/> run as chain id <c>shop</c>, with its state in <paramref name="store"/> (none: stateless).</summary>
    private ChainExecutor<Shop, Detail> Executor(IStateStore? store) => new(ShopChain.Definition, null, new ChainOptions
    {
        ChainId = "shop",
        Extractor = new ExtractorOptions { BaseUrl = Server.BaseUrl },
        StateStore = store,
        DeadLetterPath = Path.Combine(Output, "shop.dead-letter.jsonl"),
    });
}
