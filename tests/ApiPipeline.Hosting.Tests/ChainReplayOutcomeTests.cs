using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// <c>replay</c> of a chain step's entry through the later steps, against the chain's output folder and state (a crashed run's recorded
/// batch), the replay's exit code, and the run metric.
/// </summary>
public sealed class ChainReplayOutcomeTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    private string DeadLetters => Path.Combine(Output, "shop.dead-letter.jsonl");

    private static bool MembersPage2OfGroup2(string target) => Asks(target, "/shops/acme/groups/2/members", "page=2");

    private static Func<string, bool> DetailOf(int member) => target => Asks(target, "/shops/acme/details", $"member={member}");

    private static bool Asks(string target, string path, string parameter)
        => target.StartsWith(path + "?", StringComparison.Ordinal) && ("&" + target[(path.Length + 1)..] + "&").Contains("&" + parameter + "&", StringComparison.Ordinal);

    /// <summary>
    /// A chain run that stopped between recording its output batch in the state store and renaming the batch's files (a crash, here an
    /// output whose rename fails) leaves the batch's temporary files in <c>&lt;output&gt;/shop/</c> for the next run to roll forward. A
    /// replay writing into that folder would delete them: it leaves the entry, and says to run the chain first; replayed after the run,
    /// or with the run first, the output is whole.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_chain_replay_before_the_resume_of_a_crashed_chain_run_does_not_lose_the_runs_recorded_batch(bool replayFirst)
    {
        var clean = await CleanRunAsync();

        // The chain run as `run shop --input owner=acme --output out` makes it (same state file, chain id, dead-letter file, entry
        // context), whose final output commit is recorded and then "crashes" before the rename.
        Server.Unavailable = MembersPage2OfGroup2;
        var store = await SqliteStateStore.OpenAsync(Path.Combine(Output, ".state", "apipipeline.db"));
        await using (store.ConfigureAwait(false))
        {
            var jsonl = new JsonlOutput<Detail>(TestJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = Output, Name = "shop" });
            var executor = new ChainExecutor<Shop, Detail>(ShopChain.Definition, null, new ChainOptions
            {
                ChainId = "shop",
                Extractor = new ExtractorOptions { BaseUrl = Server.BaseUrl },
                StateStore = store,
                DeadLetterPath = DeadLetters,
                DeadLetterInput = PipelineRunner.DeadLetterInput(new Dictionary<string, string> { ["Owner"] = "acme" }),
            });
            var result = await executor.ExecuteAsync(new Shop("acme"), new CrashingOutput<Detail>(jsonl));
            Assert.Equal(PipelineStatus.Failed, result.Status);
        }

        Server.Unavailable = null;
        Assert.Single(await File.ReadAllLinesAsync(DeadLetters));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "shop"), ".part-*.jsonl.tmp"));

        if (replayFirst)
        {
            var (refused, said, _) = await CliTests.Cli(Config(), "replay", DeadLetters, "--output", Output);
            Assert.Equal(ExitCodes.Failure, refused);
            Assert.Contains("the last run of 'shop' stopped before its files were in place", said, StringComparison.Ordinal);
            Assert.Single(await File.ReadAllLinesAsync(DeadLetters));
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "shop"), ".part-*.jsonl.tmp"));
        }

        // The chain's run is resumed (rolling its recorded batch forward), then the entry is replayed (its two members' details).
        foreach (var command in new[] { "run", "replay" })
        {
            var (code, text, error) = command == "replay"
                ? await CliTests.Cli(Config(), "replay", DeadLetters, "--output", Output)
                : await CliTests.Cli(Config(), "run", "shop", "--input", "owner=acme", "--output", Output);
            Assert.True(code is ExitCodes.Success or ExitCodes.PartialSuccess, command + ": " + text + error);
        }

        // The 13 records of the crashed run's recorded batch, and the replay's 2.
        Assert.Equal(clean, Records(Output));
    }

    /// <summary>
    /// A later step's failure under <c>Continue</c> during a replay loses that input's records (no entry is left for it), as a run's would;
    /// the replay says so with exit code 2 (partial success: some inputs skipped), as the run does.
    /// </summary>
    [Fact]
    public async Task A_replay_whose_later_step_skips_an_input_under_Continue_exits_with_partial_success()
    {
        var clean = await CleanRunAsync();
        await FailingRunAsync();

        Server.Unavailable = DetailOf(203);
        var (code, text, error) = await CliTests.Cli(Config(ErrorMode.Continue), "replay", DeadLetters, "--output", Output);

        Assert.Equal(clean.Count - 1, Records(Output).Count); // member 203's detail is lost
        Assert.False(File.Exists(DeadLetters));               // and nothing is left to replay it from
        Assert.Contains("note: ", text, StringComparison.Ordinal);
        Assert.True(code == ExitCodes.PartialSuccess, $"exit code {code}: " + text + error);
    }

    /// <summary>
    /// A replay is not a run of the chain: a chain step's entry replayed through the later steps (here failing, its entry staying) counts
    /// no run in <c>apipipeline.runs</c>, as a pipeline's entry replayed does not, so alerts on a chain's failed runs do not fire for it.
    /// </summary>
    [Fact]
    public async Task A_chain_step_entrys_replay_is_not_counted_as_a_run_of_the_chain()
    {
        await CleanRunAsync();
        await FailingRunAsync();

        var runs = new List<string>();
        using (var listener = new System.Diagnostics.Metrics.MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name == ApiPipelineMetrics.Runs)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                var shown = string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
                if (shown.Contains("=shop", StringComparison.Ordinal))
                {
                    lock (runs)
                    {
                        runs.Add(shown);
                    }
                }
            });
            listener.Start();

            Server.Unavailable = DetailOf(203); // the later step fails fast: the replay fails, its entry stays
            var (code, text, error) = await CliTests.Cli(Config(), "replay", DeadLetters, "--output", Output);
            Server.Unavailable = null;
            Assert.True(code == ExitCodes.Failure, text + error);
        }

        Assert.Empty(runs);
    }

    private IConfiguration Config(ErrorMode? onError = null) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ApiPipeline:Extractors:shop:BaseUrl"] = Server.BaseUrl,
        ["ApiPipeline:Extractors:shop:OnError"] = onError?.ToString(),
    }).Build();

    private async Task<List<string>> CleanRunAsync()
    {
        string clean = Path.Combine(Dir.Path, "clean");
        var (code, text, error) = await CliTests.Cli(Config(), "run", "shop", "--input", "owner=acme", "--output", clean);
        Assert.True(code == ExitCodes.Success, text + error);
        var records = Records(clean);
        Assert.Equal(15, records.Count);
        return records;
    }

    private async Task<string> FailingRunAsync()
    {
        Server.Unavailable = MembersPage2OfGroup2;
        var (code, text, error) = await CliTests.Cli(Config(), "run", "shop", "--input", "owner=acme", "--output", Output);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Assert.Equal(13, Records(Output).Count);
        Server.Unavailable = null;
        return Assert.Single(await File.ReadAllLinesAsync(DeadLetters));
    }

    private static List<string> Records(string output)
        => [.. Directory.EnumerateFiles(Path.Combine(output, "shop"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).Order(StringComparer.Ordinal)];

    /// <summary>
    /// A JSON Lines output whose commit is recorded and then stops before its files are renamed, as a process killed right there would:
    /// the temporary files stay (nothing discards them).
    /// </summary>
    private sealed class CrashingOutput<T>(JsonlOutput<T> inner) : IOutput<T>
    {
        public OutputBatchOptions Batching => inner.Batching;

        public long PendingRecords => inner.PendingRecords;

        public long PendingBytes => inner.PendingBytes;

        public ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default) => inner.WriteAsync(records, cancellationToken);

        public ValueTask<PreparedCommit> PrepareCommitAsync(CancellationToken cancellationToken = default) => inner.PrepareCommitAsync(cancellationToken);

        public ValueTask<OutputCommit> CompleteCommitAsync(PreparedCommit prepared, CancellationToken cancellationToken = default)
            => throw new IOException("the process died before the rename");

        public ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default) => inner.CommitAsync(cancellationToken);

        public ValueTask RecoverAsync(PreparedCommit? lastPrepared, CancellationToken cancellationToken = default) => inner.RecoverAsync(lastPrepared, cancellationToken);

        public ValueTask DisposeAsync() => default;
    }
}
