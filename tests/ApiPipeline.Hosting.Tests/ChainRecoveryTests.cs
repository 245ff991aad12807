using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// Every chain run recovers its output at its start, new or resumed, with a state store or without: cases where no resume ever comes,
/// and what a failed or killed run left must still be forgotten or removed.
/// </summary>
public sealed class ChainRecoveryTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    private string Folder => Path.Combine(Output, "shop");

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

        var lines = Directory.EnumerateFiles(Folder, "*.jsonl").SelectMany(File.ReadLines).ToList();
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
        string other = Path.Combine(Folder, $".part-00009.{OwnerTag.Of(OwnerTag.Owner("shop", store.Identity))}.0badf00d.jsonl.tmp");
        File.WriteAllText(other, "{\"owner\":\"ac");
        Assert.Equal(2, Directory.EnumerateFiles(Folder, ".part-*.jsonl.tmp").Count());

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

        Assert.Empty(Directory.EnumerateFiles(Folder, ".part-*.jsonl.tmp"));
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
        string writer = OwnerTag.Owner("shop", Path.GetFullPath(Path.Combine(Output, ".state", "apipipeline.db")));
        string leftover = Path.Combine(Folder, $".part-00099.{OwnerTag.Of(writer)}.0badf00d.jsonl.tmp");
        File.WriteAllText(leftover, "{\"id\":203,");

        (code, text, error) = await CliTests.Cli(Config(), "run", "shop", "--input", "owner=acme", "--output", Output);
        Assert.True(code == ExitCodes.Success, text + error);

        Assert.False(File.Exists(leftover), "the killed replay's temporary part is still in the chain's folder");
    }

    private IConfiguration Config() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ApiPipeline:Extractors:shop:BaseUrl"] = Server.BaseUrl,
    }).Build();

    private JsonlOutput<Detail> ShopOutput() => new(TestJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = Output, Name = "shop" });

    private ChainExecutor<Shop, Detail> Executor(IStateStore? store) => new(ShopChain.Definition, null, new ChainOptions
    {
        ChainId = "shop",
        Extractor = new ExtractorOptions { BaseUrl = Server.BaseUrl },
        StateStore = store,
        DeadLetterPath = Path.Combine(Output, "shop.dead-letter.jsonl"),
    });

    /// <summary>Forwards everything to a JsonlOutput; its <see cref="FailOn"/>-th write (0: none) throws before reaching it.</summary>
    private sealed class FailOnWrite<T>(JsonlOutput<T> inner) : IOutput<T>
    {
        private int _writes;

        public int FailOn { get; set; }

        public OutputBatchOptions Batching => inner.Batching;

        public long PendingRecords => inner.PendingRecords;

        public long PendingBytes => inner.PendingBytes;

        public ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default)
            => ++_writes == FailOn ? throw new IOException("simulated write failure") : inner.WriteAsync(records, cancellationToken);

        public ValueTask<PreparedCommit> PrepareCommitAsync(CancellationToken cancellationToken = default) => inner.PrepareCommitAsync(cancellationToken);

        public ValueTask<OutputCommit> CompleteCommitAsync(PreparedCommit prepared, CancellationToken cancellationToken = default) => inner.CompleteCommitAsync(prepared, cancellationToken);

        public ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default) => inner.CommitAsync(cancellationToken);

        public ValueTask RecoverAsync(string owner, PreparedCommit? lastPrepared, CancellationToken cancellationToken = default) => inner.RecoverAsync(owner, lastPrepared, cancellationToken);

        public void WriteAs(string owner) => inner.WriteAs(owner);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
