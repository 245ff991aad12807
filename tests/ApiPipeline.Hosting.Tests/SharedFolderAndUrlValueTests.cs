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
    /// Two chain ids (two shops of <see cref="ShopChain"/>, as <c>ExecuteParallelChainsAsync</c> with <c>LoadedChain.CreateOutput()</c> per input
    /// runs them) take turns in one output folder. The run of <c>shop/acme</c> "crashes" after recording its batch and before the rename;
    /// then <c>shop/empty</c> runs there and writes nothing; then <c>shop/acme</c> resumes and puts its 15 details in place: a new chain
    /// run does not clear a folder another chain id's resume still needs.
    /// </summary>
    [Fact]
    public async Task A_chain_run_that_writes_nothing_does_not_delete_another_chain_ids_recorded_batch_in_the_folder()
    {
        string output = Path.Combine(Dir.Path, "out");
        JsonlOutput<Detail> Shared() => new(TestJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = output, Name = "shop" });
        ChainExecutor<Shop, Detail> Executor(IStateStore store, string id) => new(ShopChain.Definition, null, new ChainOptions
        {
            ChainId = id,
            Extractor = new ExtractorOptions { BaseUrl = Server.BaseUrl },
            StateStore = store,
            DeadLetterPath = Path.Combine(output, "shop.dead-letter.jsonl"),
        });

        var store = await SqliteStateStore.OpenAsync(Path.Combine(output, ".state", "apipipeline.db"));
        await using (store.ConfigureAwait(false))
        {
            var crashed = await Executor(store, "shop/acme").ExecuteAsync(new Shop("acme"), new ApiPipeline.Tests.CrashOnComplete<Detail>(Shared()));
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(output, "shop"), ".part-*.jsonl.tmp"));

            // Another chain id into the same folder, whose shop has no groups: nothing to write.
            Server.Respond = context => TestServer.Reply(context, """{"data":[]}""", 200);
            var empty = Shared();
            await using (empty.ConfigureAwait(false))
            {
                var nothing = await Executor(store, "shop/empty").ExecuteAsync(new Shop("empty"), empty);
                Assert.Equal(PipelineStatus.Succeeded, nothing.Status);
                Assert.Equal(0, nothing.Records);
            }

            Server.Respond = null;
            var again = Shared();
            await using (again.ConfigureAwait(false))
            {
                var resumed = await Executor(store, "shop/acme").ExecuteAsync(new Shop("acme"), again);
                Assert.True(resumed.Resumed);
            }
        }

        int details = Directory.EnumerateFiles(Path.Combine(output, "shop"), "*.jsonl").SelectMany(File.ReadLines).Count();
        Assert.Equal(15, details); // 3 groups x 5 members
    }

    /// <summary>
    /// As above, but the other chain id's new run writes records: its writer, opening the shared folder, deletes the temporary parts it
    /// finds there, among them the batch <c>shop/acme</c> recorded and its resume was to put in place; that resume reads nothing again
    /// (its state says the batch is committed), so acme's 15 details are lost.
    /// </summary>
    [Fact]
    public async Task A_chain_run_that_writes_records_does_not_delete_another_chain_ids_recorded_batch_in_the_folder()
    {
        string output = Path.Combine(Dir.Path, "out");
        JsonlOutput<Detail> Shared() => new(TestJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = output, Name = "shop" });
        ChainExecutor<Shop, Detail> Executor(IStateStore store, string id) => new(ShopChain.Definition, null, new ChainOptions
        {
            ChainId = id,
            Extractor = new ExtractorOptions { BaseUrl = Server.BaseUrl },
            StateStore = store,
            DeadLetterPath = Path.Combine(output, "shop.dead-letter.jsonl"),
        });

        var store = await SqliteStateStore.OpenAsync(Path.Combine(output, ".state", "apipipeline.db"));
        await using (store.ConfigureAwait(false))
        {
            var crashed = await Executor(store, "shop/acme").ExecuteAsync(new Shop("acme"), new ApiPipeline.Tests.CrashOnComplete<Detail>(Shared()));
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(output, "shop"), ".part-*.jsonl.tmp"));

            // Another chain id into the same folder, a new run that writes its own 15 details.
            var beta = Shared();
            await using (beta.ConfigureAwait(false))
            {
                var other = await Executor(store, "shop/beta").ExecuteAsync(new Shop("beta"), beta);
                Assert.Equal(PipelineStatus.Succeeded, other.Status);
                Assert.Equal(15, other.Records);
            }

            var again = Shared();
            await using (again.ConfigureAwait(false))
            {
                var resumed = await Executor(store, "shop/acme").ExecuteAsync(new Shop("acme"), again);
                Assert.True(resumed.Resumed);
            }
        }

        var owners = Directory.EnumerateFiles(Path.Combine(output, "shop"), "*.jsonl").SelectMany(File.ReadLines).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("owner").GetString()).ToList();
        Assert.Equal(15, owners.Count(o => o == "beta"));
        Assert.Equal(15, owners.Count(o => o == "acme")); // 3 groups x 5 members each
    }
}
