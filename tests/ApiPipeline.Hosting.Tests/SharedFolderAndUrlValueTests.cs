using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// What runs that share an output folder leave each other, and the URL values of a chain input an entry carries (masked for a
/// password, a token user name over http-based schemes, or a secret query value, whatever the scheme).
/// </summary>
public sealed class SharedFolderAndUrlValueTests : ServerTests
{
    /// <summary>A websocket or FTP URL with an access token in its query: the token is masked in the entry, as in an http(s) URL.</summary>
    [Theory]
    [InlineData("wss://stream.example.com/feed?access_token=s3cr3t-t0ken")]
    [InlineData("ftp://files.example.com/export.csv?api_key=s3cr3t-t0ken")]
    public void The_chain_input_an_entry_carries_masks_a_secret_query_value_of_a_non_http_url(string url)
        => Assert.DoesNotContain("s3cr3t-t0ken", PipelineRunner.DeadLetterInput(new Dictionary<string, string> { ["Source"] = url }).GetRawText(), StringComparison.Ordinal);

    /// <summary>
    /// A token given as a URL's user name is masked over http(s) and what is built on it: WebSocket URLs (ws/wss, an HTTP upgrade that
    /// sends user info as Basic credentials like http(s)) and git-over-https remotes (<c>git+https://TOKEN@github.com/…</c>).
    /// </summary>
    [Theory]
    [InlineData("wss://ghp_s3cr3tt0ken@stream.example.com/feed")]
    [InlineData("git+https://ghp_s3cr3tt0ken@github.com/acme/app.git")]
    public void The_chain_input_an_entry_carries_masks_a_token_user_name_of_an_http_based_url(string url)
        => Assert.DoesNotContain("s3cr3tt0ken", PipelineRunner.DeadLetterInput(new Dictionary<string, string> { ["Source"] = url }).GetRawText(), StringComparison.Ordinal);

    /// <summary>
    /// Two chain ids (two shops of <see cref="ShopChain"/>, each under its own id, as <c>ExecuteParallelChainsAsync</c> with
    /// <c>LoadedChain.CreateOutput()</c> per input runs them) take turns in one output folder. The run of <c>shop-acme</c> "crashes" after recording its batch and before the rename;
    /// then another chain id runs there, a new run that writes nothing (its shop has no groups) or its own 15 details; then
    /// <c>shop-acme</c> resumes and puts its 15 details in place: a new run neither clears the folder nor takes the waiting batch's part
    /// numbers, which another chain id's resume still needs.
    /// </summary>
    [Theory]
    [InlineData("empty", 0)]
    [InlineData("beta", 15)]
    public async Task A_new_chain_run_does_not_delete_another_chain_ids_recorded_batch_in_the_folder(string other, int otherRecords)
    {
        string output = SharedFolder;

        var store = await SqliteStateStore.OpenAsync(Path.Combine(output, ".state", "apipipeline.db"));
        await using (store.ConfigureAwait(false))
        {
            var crashed = await Executor(store, "shop-acme").ExecuteAsync(new Shop("acme"), new ApiPipeline.Tests.CrashOnComplete<Detail>(Shared()));
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(output, "shop"), ".part-*.jsonl.tmp"));

            Server.Respond = otherRecords == 0 ? context => TestServer.Reply(context, """{"data":[]}""", 200) : null;
            var second = Shared();
            await using (second.ConfigureAwait(false))
            {
                var result = await Executor(store, "shop-" + other).ExecuteAsync(new Shop(other), second);
                Assert.Equal(PipelineStatus.Succeeded, result.Status);
                Assert.Equal(otherRecords, result.Records);
            }

            Server.Respond = null;
            var again = Shared();
            await using (again.ConfigureAwait(false))
            {
                var resumed = await Executor(store, "shop-acme").ExecuteAsync(new Shop("acme"), again);
                Assert.True(resumed.Resumed);
            }
        }

        var owners = Directory.EnumerateFiles(Path.Combine(output, "shop"), "*.jsonl").SelectMany(File.ReadLines).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("owner").GetString()).ToList();
        Assert.Equal(otherRecords, owners.Count(o => o == other));
        Assert.Equal(15, owners.Count(o => o == "acme")); // 3 groups x 5 members
    }

    /// <summary>
    /// Both chain ids "crash" after recording a batch in the shared folder; the first to resume removes only its own temporary files,
    /// so the other's resume still finds its batch and puts it in place.
    /// </summary>
    [Fact]
    public async Task A_chain_ids_resume_leaves_another_crashed_chain_ids_recorded_batch_in_the_folder()
    {
        string output = SharedFolder;

        var store = await SqliteStateStore.OpenAsync(Path.Combine(output, ".state", "apipipeline.db"));
        await using (store.ConfigureAwait(false))
        {
            foreach (var shop in new[] { "acme", "beta" })
            {
                var crashed = await Executor(store, "shop-" + shop).ExecuteAsync(new Shop(shop), new ApiPipeline.Tests.CrashOnComplete<Detail>(Shared()));
                Assert.Equal(PipelineStatus.Failed, crashed.Status);
            }

            Assert.Equal(2, Directory.EnumerateFiles(Path.Combine(output, "shop"), ".part-*.jsonl.tmp").Count());
            foreach (var shop in new[] { "acme", "beta" })
            {
                var again = Shared();
                await using (again.ConfigureAwait(false))
                {
                    var resumed = await Executor(store, "shop-" + shop).ExecuteAsync(new Shop(shop), again);
                    Assert.True(resumed.Resumed);
                    Assert.True(resumed.Status == PipelineStatus.Succeeded, resumed.Error?.ToString());
                }
            }
        }

        var owners = Directory.EnumerateFiles(Path.Combine(output, "shop"), "*.jsonl").SelectMany(File.ReadLines).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("owner").GetString()).ToList();
        Assert.Equal(15, owners.Count(o => o == "acme"));
        Assert.Equal(15, owners.Count(o => o == "beta"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(output, "shop"), ".part-*.jsonl.tmp"));
    }

    /// <summary>
    /// A resumed run of <c>shop-acme</c> puts its recorded batch in place and removes the other temporary parts a killed run of its own
    /// left in the shared folder, and leaves those of <c>shop-beta</c>.
    /// </summary>
    [Fact]
    public async Task A_resumed_chain_run_removes_its_own_leftover_temporary_parts_only()
    {
        string folder = Path.Combine(SharedFolder, "shop");
        await using var store = new InMemoryStateStore();
        var crashed = await Executor(store, "shop-acme").ExecuteAsync(new Shop("acme"), new ApiPipeline.Tests.CrashOnComplete<Detail>(Shared()));
        Assert.Equal(PipelineStatus.Failed, crashed.Status);
        string own = Path.Combine(folder, $".part-00009.{OwnerTag.Of(OwnerTag.Chain("shop-acme", store.Identity))}.0badf00d.jsonl.tmp");
        string others = Path.Combine(folder, $".part-00010.{OwnerTag.Of(OwnerTag.Chain("shop-beta", store.Identity))}.0badf00d.jsonl.tmp");
        File.WriteAllText(own, "{\"owner\":\"ac");
        File.WriteAllText(others, "{\"owner\":\"be");

        var output = Shared();
        await using (output.ConfigureAwait(false))
        {
            var resumed = await Executor(store, "shop-acme").ExecuteAsync(new Shop("acme"), output);
            Assert.True(resumed.Resumed);
            Assert.Equal(PipelineStatus.Succeeded, resumed.Status);
        }

        Assert.False(File.Exists(own));
        Assert.True(File.Exists(others));
        Assert.Equal(15, Directory.EnumerateFiles(folder, "part-*.jsonl").SelectMany(File.ReadLines).Count());
    }

    /// <summary>
    /// An output object reused for a second run of <c>shop-beta</c> (a new run: no recovery) counts the folder's parts again at every new
    /// part: it does not take the number of the batch <c>shop-acme</c> recorded in between, so acme's resume can rename its file.
    /// </summary>
    [Fact]
    public async Task A_reused_output_of_another_chain_id_does_not_take_a_recorded_batchs_part_number()
    {
        string output = SharedFolder;

        var store = await SqliteStateStore.OpenAsync(Path.Combine(output, ".state", "apipipeline.db"));
        await using (store.ConfigureAwait(false))
        {
            var reused = Shared();
            await using (reused.ConfigureAwait(false))
            {
                Assert.Equal(PipelineStatus.Succeeded, (await Executor(store, "shop-beta").ExecuteAsync(new Shop("beta"), reused)).Status);
                var crashed = await Executor(store, "shop-acme").ExecuteAsync(new Shop("acme"), new ApiPipeline.Tests.CrashOnComplete<Detail>(Shared()));
                Assert.Equal(PipelineStatus.Failed, crashed.Status);
                Assert.Equal(PipelineStatus.Succeeded, (await Executor(store, "shop-beta").ExecuteAsync(new Shop("beta"), reused)).Status);
            }

            var again = Shared();
            await using (again.ConfigureAwait(false))
            {
                var resumed = await Executor(store, "shop-acme").ExecuteAsync(new Shop("acme"), again);
                Assert.True(resumed.Resumed);
                Assert.True(resumed.Status == PipelineStatus.Succeeded, resumed.Error?.ToString());
            }
        }

        var owners = Directory.EnumerateFiles(Path.Combine(output, "shop"), "*.jsonl").SelectMany(File.ReadLines).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("owner").GetString()).ToList();
        Assert.Equal(30, owners.Count(o => o == "beta"));
        Assert.Equal(15, owners.Count(o => o == "acme"));
    }

    /// <summary>The output folder both chain ids write into: <c>out/shop</c>.</summary>
    private string SharedFolder => Path.Combine(Dir.Path, "out");

    private JsonlOutput<Detail> Shared() => new(TestJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = SharedFolder, Name = "shop" });

    /// <summary>A <see cref="ShopChain"/> run as chain id <paramref name="id"/>, with its state in <paramref name="store"/>.</summary>
    private ChainExecutor<Shop, Detail> Executor(IStateStore store, string id) => new(ShopChain.Definition, null, new ChainOptions
    {
        ChainId = id,
        Extractor = new ExtractorOptions { BaseUrl = Server.BaseUrl },
        StateStore = store,
        DeadLetterPath = Path.Combine(SharedFolder, "shop.dead-letter.jsonl"),
    });
}
