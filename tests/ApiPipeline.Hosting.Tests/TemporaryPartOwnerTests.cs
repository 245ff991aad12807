using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// Whose temporary parts a run's recovery removes: its own (its id with its state store), never those of a run of the same id with
/// another state store or none; a killed replay's, which are the run's whose folder it wrote into; and, since every chain run recovers
/// at its start, what a failed or killed run left when no resume ever comes.
/// </summary>
public sealed class TemporaryPartOwnerTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    private string ShopFolder => Path.Combine(Output, "shop");

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
            var other = await SqliteStateStore.OpenAsync(Path.Combine(Output, ".state", "apipipeline.db"));
            await using (other.ConfigureAwait(false))
            {
                await CrashRunAnotherAndResumeAsync(first, other);
            }
        }
    }

    /// <summary>The same with two in-memory stores: each is a store of its own identity.</summary>
    [Fact]
    public Task A_pipeline_run_with_another_in_memory_store_does_not_delete_the_batch_recorded_in_the_first()
        => CrashRunAnotherAndResumeAsync(new InMemoryStateStore(), new InMemoryStateStore());

    /// <summary>
    /// Pipeline <c>items</c> (the CLI's <c>run items</c>: its folder <c>out/items</c>, the default state file) records its batch and dies
    /// before the rename. Then a chain whose id is also <c>items</c> (a chain file's <c>chain_id: items</c>, which writes <c>out/items</c>
    /// with the same state file) starts a new run there, reading nothing. A pipeline's state and a chain's are kept apart, and so are
    /// their temporary files (owners <c>pipeline:items</c> and <c>chain:items</c>): the pipeline's resume puts its batch in place.
    /// </summary>
    [Fact]
    public async Task A_new_chain_run_whose_id_is_a_pipelines_does_not_delete_the_batch_the_pipeline_recorded()
    {
        var store = await SqliteStateStore.OpenAsync(Path.Combine(Output, ".state", "apipipeline.db"));
        await using (store.ConfigureAwait(false))
        {
            var crashed = await ItemsPipeline(new ApiPipeline.Tests.CrashOnComplete<Item>(ItemsOutput()), store).ExecuteAsync(NoInput.Value);
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "items"), ".part-*.jsonl.tmp"));

            // A new run of chain id "items" into out/items with the same state file (nothing to read this time).
            Server.Respond = context => TestServer.Reply(context, """{"data":[]}""", 200);
            var chainOutput = new JsonlOutput<Detail>(TestJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = Output, Name = "items" });
            await using (chainOutput.ConfigureAwait(false))
            {
                var chain = new ChainExecutor<Shop, Detail>(ShopChain.Definition, null, new ChainOptions
                {
                    ChainId = "items",
                    Extractor = new ExtractorOptions { BaseUrl = Server.BaseUrl },
                    StateStore = store,
                    DeadLetterPath = Path.Combine(Output, "items-chain.dead-letter.jsonl"),
                });
                var result = await chain.ExecuteAsync(new Shop("acme"), chainOutput);
                Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
                Assert.Equal((false, 0L), (result.Resumed, result.Records));
            }

            Server.Respond = null;
            var again = ItemsOutput();
            await using (again.ConfigureAwait(false))
            {
                var resumed = await ItemsPipeline(again, store).ExecuteAsync(NoInput.Value);
                Assert.True(resumed.Resumed);
                Assert.True(resumed.Status == PipelineStatus.Succeeded, resumed.Error?.ToString());
            }
        }

        Assert.Equal(Enumerable.Range(1, 25), Ids(Path.Combine(Output, "items")));
    }

    /// <summary>
    /// Pipeline <c>items</c> run with <paramref name="first"/> records its batch and dies before the rename; a run of <c>items</c> with
    /// <paramref name="other"/> (reading nothing) starts in the same folder and leaves that batch; the resume with <paramref name="first"/>
    /// puts it in place: all 25 items.
    /// </summary>
    private async Task CrashRunAnotherAndResumeAsync(IStateStore first, IStateStore other)
    {
        var crashed = await ItemsPipeline(new ApiPipeline.Tests.CrashOnComplete<Item>(ItemsOutput()), first).ExecuteAsync(NoInput.Value);
        Assert.Equal(PipelineStatus.Failed, crashed.Status);
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "items"), ".part-*.jsonl.tmp"));

        Server.Respond = context => TestServer.Reply(context, """{"data":[]}""", 200);
        var output = ItemsOutput();
        await using (output.ConfigureAwait(false))
        {
            var result = await ItemsPipeline(output, other).ExecuteAsync(NoInput.Value);
            Assert.Equal((PipelineStatus.Succeeded, 0L), (result.Status, result.Records));
        }

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

    /// <summary>
    /// A stateless run of chain <c>shop</c> fails while writing its last step's second page (the output's write throws after
    /// the first page went into the JsonlOutput's temporary part, uncommitted). The caller runs the chain again on the same output object
    /// (as <c>ExecuteAsync</c> allows; <see cref="IOutput{T}.RecoverAsync"/> documents that it "forgets what this instance wrote and did
    /// not commit (a run on it that failed before its commit)").
    /// The second run's recovery forgets the failed run's pending page, so it writes the 15 details once.
    /// </summary>
    [Fact]
    public async Task A_stateless_chain_run_on_a_reused_output_does_not_commit_what_a_failed_run_left_pending()
    {
        var inner = ShopOutput();
        await using (inner.ConfigureAwait(false))
        {
            var output = new FailOnWrite<Detail>(inner) { FailOn = 2 };
            var failed = await Executor(null).ExecuteAsync(new Shop("acme"), output);
            Assert.Equal(PipelineStatus.Failed, failed.Status);
            Assert.Equal(0, failed.Records);

            output.FailOn = 0;
            var again = await Executor(null).ExecuteAsync(new Shop("acme"), output);
            Assert.True(again.Status == PipelineStatus.Succeeded, again.Error?.ToString());
        }

        var lines = Directory.EnumerateFiles(ShopFolder, "*.jsonl").SelectMany(File.ReadLines).ToList();
        Assert.Equal(15, lines.Count); // 3 groups x 5 members, once each
        Assert.Equal(15, lines.Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>
    /// A stateful run of chain id <c>shop</c> for shop <c>acme</c> is killed after recording its batch (its temporary part stays
    /// on disk, and another temporary part of the same owner, such as an earlier killed attempt's, lies beside it). The next run is for
    /// another input (<c>beta</c>): it is refused with <see cref="ChainStateException"/>, which says to call ResetStateAsync; the user does,
    /// and runs <c>beta</c>. No run of that owner resumes any more (the reset dropped the unfinished run): that new run removes the
    /// owner's leftovers.
    /// </summary>
    [Fact]
    public async Task After_a_reset_the_next_chain_run_removes_the_leftover_temporary_parts_of_its_owner()
    {
        await using var store = new InMemoryStateStore();
        var crashed = await Executor(store).ExecuteAsync(new Shop("acme"), new ApiPipeline.Tests.CrashOnComplete<Detail>(ShopOutput()));
        Assert.Equal(PipelineStatus.Failed, crashed.Status);
        string other = Path.Combine(ShopFolder, $".part-00009.{OwnerTag.Of(OwnerTag.Chain("shop", store.Identity))}.0badf00d.jsonl.tmp");
        File.WriteAllText(other, "{\"owner\":\"ac");
        Assert.Equal(2, Directory.EnumerateFiles(ShopFolder, ".part-*.jsonl.tmp").Count());

        var refused = ShopOutput();
        await using (refused.ConfigureAwait(false))
        {
            await Assert.ThrowsAsync<ChainStateException>(() => Executor(store).ExecuteAsync(new Shop("beta"), refused));
        }

        await Executor(store).ResetStateAsync();
        var output = ShopOutput();
        await using (output.ConfigureAwait(false))
        {
            var result = await Executor(store).ExecuteAsync(new Shop("beta"), output);
            Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
            Assert.False(result.Resumed);
        }

        Assert.Empty(Directory.EnumerateFiles(ShopFolder, ".part-*.jsonl.tmp"));
    }

    /// <summary>
    /// <c>run shop</c> finishes with a dead-lettered page of step Members (PartialSuccess: a finished run, nothing to
    /// resume). <c>replay</c> of that entry goes through the chain's later steps into <c>out/shop/</c>, writing as the chain run with the
    /// default state file (DeadLetterReplay.Writer(throughChain: true)), and is killed before its commit: its temporary part stays, named
    /// for that owner. Then <c>run shop</c> runs again, a new run (the killed replay left no unfinished run in the state), and removes it.
    /// </summary>
    [Fact]
    public async Task The_chains_next_run_removes_what_a_killed_replay_through_its_later_steps_left()
    {
        Server.Unavailable = target => target.StartsWith("/shops/acme/groups/2/members?", StringComparison.Ordinal) && ("&" + target[(target.IndexOf('?') + 1)..] + "&").Contains("&page=2&", StringComparison.Ordinal);
        var (code, text, error) = await CliTests.Cli(Config(), "run", "shop", "--input", "owner=acme", "--output", Output);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Server.Unavailable = null;

        // What a replay through the chain's later steps, killed before its commit, leaves (its writer is the chain run's owner).
        string writer = OwnerTag.Chain("shop", Path.GetFullPath(Path.Combine(Output, ".state", "apipipeline.db")));
        string leftover = Path.Combine(ShopFolder, $".part-00099.{OwnerTag.Of(writer)}.0badf00d.jsonl.tmp");
        File.WriteAllText(leftover, "{\"id\":203,");

        (code, text, error) = await CliTests.Cli(Config(), "run", "shop", "--input", "owner=acme", "--output", Output);
        Assert.True(code == ExitCodes.Success, text + error);

        Assert.False(File.Exists(leftover), "the killed replay's temporary part is still in the chain's folder");
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

    private IConfiguration Config() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ApiPipeline:Extractors:shop:BaseUrl"] = Server.BaseUrl,
    }).Build();

    /// <summary>Forwards everything to a JsonlOutput; its <see cref="FailOn"/>-th write (0: none) throws before reaching it.</summary>
    private sealed class FailOnWrite<T>(JsonlOutput<T> inner) : ApiPipeline.Tests.ForwardingOutput<T>(inner)
    {
        private int _writes;

        public int FailOn { get; set; }

        public override ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default)
            => ++_writes == FailOn ? throw new IOException("simulated write failure") : base.WriteAsync(records, cancellationToken);
    }
}
