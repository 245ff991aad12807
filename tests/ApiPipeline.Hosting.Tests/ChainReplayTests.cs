using System.Text.Json.Nodes;
using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// <c>replay</c> of the dead-letter entries of a chain's steps (<see cref="ShopChain"/>: groups → members → details): the records of a
/// step before the last go through the later steps into the chain's output, as a run would have written them; what the replay says
/// (exit code, notes), what it counts, and how it puts in place the batch of a run of the chain that stopped before its files were.
/// </summary>
public sealed class ChainReplayTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    private string DeadLetters => Path.Combine(Output, "shop.dead-letter.jsonl");

    /// <summary>Page 2 of group 2's members (members 203 and 204).</summary>
    private static bool MembersPage2OfGroup2(string target) => Asks(target, "/shops/acme/groups/2/members", "page=2");

    private static Func<string, bool> DetailOf(int member) => target => Asks(target, "/shops/acme/details", $"member={member}");

    /// <summary>Whether <paramref name="target"/> (path and query) requests <paramref name="path"/> with <paramref name="parameter"/> in its query.</summary>
    private static bool Asks(string target, string path, string parameter)
        => target.StartsWith(path + "?", StringComparison.Ordinal) && ("&" + target[(path.Length + 1)..] + "&").Contains("&" + parameter + "&", StringComparison.Ordinal);

    [Fact]
    public async Task Replay_of_a_middle_steps_entry_takes_its_records_through_the_later_steps_into_the_chains_output()
    {
        var clean = await CleanRunAsync();
        var entry = await FailingRunAsync(Config());

        var (code, text, error) = await CliTests.Cli(Config(), "replay", DeadLetters, "--output", Output);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Equal(clean, Records(Output));
        Assert.Contains("1 of 1 entries replayed, 2 records in 3 pages", text, StringComparison.Ordinal);
        Assert.False(File.Exists(DeadLetters));

        // What the later steps read: the chain input (step 3's owner) and the group of step 1 the members descend from (its name).
        Assert.Contains("\"pipeline\":\"shop/Members\"", entry, StringComparison.Ordinal);
        Assert.Contains("\"chain\":{\"input\":{\"Owner\":\"acme\"},\"lineage\":[{\"step\":1,\"record\":{\"id\":2,\"name\":\"g2\"}}]}", entry, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_whose_later_step_fails_fast_writes_nothing_and_leaves_the_entry_for_the_next()
    {
        var clean = await CleanRunAsync();
        var entry = await FailingRunAsync(Config());

        // Member 203's detail fails; the step stops the chain (FailFast): member 204's detail, which succeeds, is not written either.
        Server.Unavailable = DetailOf(203);
        var (code, text, error) = await CliTests.Cli(Config(), "replay", DeadLetters, "--output", Output);

        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Contains("shop/Members/GroupMembers page 2: failed again: ", text, StringComparison.Ordinal);
        Assert.Equal([entry], await File.ReadAllLinesAsync(DeadLetters));
        Assert.Equal(clean.Count - 2, Records(Output).Count);

        Server.Unavailable = null;
        (code, text, error) = await CliTests.Cli(Config(), "replay", DeadLetters, "--output", Output);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Equal(clean, Records(Output));
        Assert.False(File.Exists(DeadLetters));
    }

    [Fact]
    public async Task Replay_whose_later_step_dead_letters_leaves_that_steps_entry_and_a_second_replay_writes_nothing_again()
    {
        var clean = await CleanRunAsync();
        await FailingRunAsync(Config(ErrorMode.DeadLetter));

        // Member 203's detail fails under DeadLetter: its entry takes the place of the one replayed; member 204's detail is written.
        Server.Unavailable = DetailOf(203);
        var (code, text, error) = await CliTests.Cli(Config(ErrorMode.DeadLetter), "replay", DeadLetters, "--output", Output);

        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Assert.Contains("1 of 1 entries replayed, 1 records", text, StringComparison.Ordinal);
        var later = Assert.Single(await File.ReadAllLinesAsync(DeadLetters));
        Assert.Contains("\"pipeline\":\"shop/Details\"", later, StringComparison.Ordinal);
        Assert.Contains("member=203", later, StringComparison.Ordinal);
        Assert.Equal(clean.Count - 1, Records(Output).Count);

        (code, text, error) = await CliTests.Cli(Config(ErrorMode.DeadLetter), "replay", DeadLetters, "--output", Output);

        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Contains("0 of 1 entries replayed, 0 records", text, StringComparison.Ordinal);
        Assert.Equal([later], await File.ReadAllLinesAsync(DeadLetters));
        Assert.Equal(clean.Count - 1, Records(Output).Count);

        Server.Unavailable = null;
        (code, text, error) = await CliTests.Cli(Config(ErrorMode.DeadLetter), "replay", DeadLetters, "--output", Output);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Equal(clean, Records(Output));
        Assert.False(File.Exists(DeadLetters));
    }

    [Theory]
    [InlineData("no chain", "the entry does not carry the chain input and earlier steps' records the later steps read")]
    [InlineData("masked input", "the chain input in the entry had a value masked")]
    public async Task Replay_of_an_entry_without_what_the_later_steps_read_writes_the_steps_records_and_says_so(string change, string why)
    {
        await CleanRunAsync();
        var entry = JsonNode.Parse(await FailingRunAsync(Config()))!.AsObject();
        if (change == "no chain")
        {
            entry.Remove("chain");
        }
        else
        {
            entry["chain"]!["input"]!["owner"] = "***";
        }

        await File.WriteAllLinesAsync(DeadLetters, [entry.ToJsonString()]);

        var (code, text, error) = await CliTests.Cli(Config(), "replay", DeadLetters, "--output", Output);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Contains("1 of 1 entries replayed, 2 records", text, StringComparison.Ordinal);
        Assert.Contains($"note: shop/Members/GroupMembers page 2: its records were written to '{Path.Combine(Output, "shop/Members")}', not taken through the later steps of chain 'shop' into its output: {why}", text, StringComparison.Ordinal);
        Assert.Equal(2, Directory.EnumerateFiles(Path.Combine(Output, "shop", "Members"), "*.jsonl").SelectMany(File.ReadLines).Count());
    }

    [Fact]
    public void The_chain_input_an_entry_carries_masks_the_values_of_members_whose_names_look_secret()
    {
        var input = PipelineRunner.DeadLetterInput(new Dictionary<string, string> { ["Owner"] = "acme", ["ApiToken"] = "s3cr3t-value" });

        Assert.Equal("""{"ApiToken":"***","Owner":"acme"}""", input.GetRawText());
    }

    [Fact]
    public void The_chain_input_an_entry_carries_masks_the_secrets_of_a_url_value()
    {
        var input = PipelineRunner.DeadLetterInput(new Dictionary<string, string>
        {
            ["Feed"] = "https://feeds.test/items?access_token=tok-123456",
            ["Mirror"] = "https://user:pw-456789@mirror.test/",
            ["Home"] = "https://home.test/?q=1",
        });

        Assert.Equal("""{"Feed":"https://feeds.test/items?access_token=***","Home":"https://home.test/?q=1","Mirror":"***"}""", input.GetRawText());
    }

    /// <summary>
    /// A chain run that stopped between recording its output batch in the state store and renaming the batch's files (a crash, here an
    /// output whose rename fails) leaves the batch's temporary files in <c>&lt;output&gt;/shop/</c> for the next run to roll forward. A
    /// replay writing into that folder first puts the batch in place, as the run would (its writer would delete the files otherwise):
    /// replayed before or after the chain's resume, the output is whole.
    /// </summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)] // the state file given with --state, to the run and the replay
    public async Task A_chain_replay_before_the_resume_of_a_crashed_chain_run_does_not_lose_the_runs_recorded_batch(bool replayFirst, bool stateElsewhere)
    {
        var clean = await CleanRunAsync();

        // The chain run as `run shop --input owner=acme --output out` makes it (same state file, chain id, dead-letter file, entry
        // context), whose final output commit is recorded and then "crashes" before the rename.
        Server.Unavailable = MembersPage2OfGroup2;
        string statePath = stateElsewhere ? Path.Combine(Dir.Path, "elsewhere.db") : Path.Combine(Output, ".state", "apipipeline.db");
        string[] state = stateElsewhere ? ["--state", statePath] : [];
        var store = await SqliteStateStore.OpenAsync(statePath);
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
            var result = await executor.ExecuteAsync(new Shop("acme"), new ApiPipeline.Tests.CrashOnComplete<Detail>(jsonl));
            Assert.Equal(PipelineStatus.Failed, result.Status);
        }

        Server.Unavailable = null;
        Assert.Single(await File.ReadAllLinesAsync(DeadLetters));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(Output, "shop"), ".part-*.jsonl.tmp"));

        // The entry is replayed (its two members' details) and the chain's run resumed, in either order.
        foreach (var command in replayFirst ? new[] { "replay", "run" } : ["run", "replay"])
        {
            var (code, text, error) = command == "replay"
                ? await CliTests.Cli(Config(), ["replay", DeadLetters, "--output", Output, .. state])
                : await CliTests.Cli(Config(), ["run", "shop", "--input", "owner=acme", "--output", Output, .. state]);
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
        await FailingRunAsync(Config());

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
        await FailingRunAsync(Config());

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

    /// <summary>
    /// A replay killed while it wrote a chain step's records to the fallback folder <c>&lt;output&gt;/shop/Members/</c> leaves a temporary
    /// part there: it does not stop the next replay, which writes into the chain's folder itself.
    /// </summary>
    [Fact]
    public async Task A_stale_temporary_part_in_a_chain_steps_fallback_folder_does_not_stop_a_replay()
    {
        await FailingRunAsync(Config());

        // What a replay killed half-way through writing <output>/shop/Members/ leaves.
        string fallback = Path.Combine(Output, "shop", "Members");
        Directory.CreateDirectory(fallback);
        await File.WriteAllTextAsync(Path.Combine(fallback, ".part-00001.0badf00d.jsonl.tmp"), "{\"id\":203}\n");

        var (code, text, error) = await CliTests.Cli(Config(), "replay", DeadLetters, "--output", Output);

        Assert.True(code == ExitCodes.Success, $"exit code {code}: " + text + error);
        Assert.False(File.Exists(DeadLetters));
    }

    [Fact]
    public async Task A_chain_steps_record_that_did_not_fit_is_dead_lettered_alone_and_replay_keeps_it_saying_why()
    {
        var clean = await CleanRunAsync();

        // Member 203 (page 2 of group 2's members, with member 204) has an id that is not a number.
        const string bad = """{"id":"m203","group_id":2}""";
        Server.Rewrite = (target, body) => MembersPage2OfGroup2(target) ? body.Replace("""{"id":203,"group_id":2}""", bad, StringComparison.Ordinal) : body;
        var (code, text, error) = await CliTests.Cli(Config(ErrorMode.DeadLetter), "run", "shop", "--input", "owner=acme", "--output", Output);
        Server.Rewrite = null;

        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Assert.Equal(clean.Where(r => !r.Contains("\"member_id\":203,", StringComparison.Ordinal)), Records(Output)); // member 204 went on
        string entry = Assert.Single(await File.ReadAllLinesAsync(DeadLetters));
        var e = JsonNode.Parse(entry)!;
        Assert.Equal(("shop/Members", "record", "RecordMismatch"), ((string?)e["pipeline"], (string?)e["skipped"], (string?)e["kind"]));
        Assert.Equal(bad, e["record"]!.ToJsonString());

        (code, text, error) = await CliTests.Cli(Config(ErrorMode.DeadLetter), "replay", DeadLetters, "--output", Output);

        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Contains("shop/Members/GroupMembers page 2: a record that does not fit the record type (", text, StringComparison.Ordinal);
        Assert.Contains("load the record from this line (through the chain's later steps, which did not receive it), then remove the line", text, StringComparison.Ordinal);
        Assert.Equal([entry], await File.ReadAllLinesAsync(DeadLetters));
        Assert.Equal(clean.Count - 1, Records(Output).Count);
    }

    [Fact]
    public async Task A_record_that_does_not_fit_during_a_replay_is_logged_under_the_replayed_entrys_input()
    {
        var (input, logs) = await ReplayWithAMisfitAsync();

        string skipped = Assert.Single(logs.Entries, e => e.Id.Id == 2006).Message;
        Assert.StartsWith($"chain 'shop/Members': a record of page 2 of input {input} skipped ", skipped, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_that_does_not_fit_during_a_replay_of_a_generated_extractors_entry_is_dead_lettered_under_its_input()
    {
        var (input, _) = await ReplayWithAMisfitAsync();

        var left = JsonNode.Parse(Assert.Single(await File.ReadAllLinesAsync(DeadLetters)))!;
        Assert.Equal(("record", input), ((string?)left["skipped"], (string?)left["input"]));
    }

    /// <summary>
    /// A run that dead-letters page 2 of group 2's members, then a replay of that entry whose page holds member 203 with an id that is
    /// not a number; returns the entry's input and the replay's logs.
    /// </summary>
    private async Task<(string Input, ListLoggerProvider Logs)> ReplayWithAMisfitAsync()
    {
        var entry = JsonNode.Parse(await FailingRunAsync(Config(ErrorMode.DeadLetter)))!;
        string input = (string?)entry["input"] ?? throw new InvalidOperationException("the entry names no input: " + entry.ToJsonString());

        Server.Rewrite = (target, body) => MembersPage2OfGroup2(target) ? body.Replace("""{"id":203,"group_id":2}""", """{"id":"m203","group_id":2}""", StringComparison.Ordinal) : body;
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var text = new StringWriter();
        int code = await PipelineHost.RunAsync(["replay", DeadLetters, "--output", Output], ApiPipelineRegistry.Instance, host =>
        {
            host.Out = text;
            host.Error = text;
            host.Configuration = Config(ErrorMode.DeadLetter);
            host.LoggerFactory = factory;
            host.Progress = ProgressMode.None;
        });
        Server.Rewrite = null;

        Assert.True(code == ExitCodes.PartialSuccess, $"exit code {code}: {text}");
        return (input, logs);
    }

    [Theory]
    [InlineData("postgres://etl:pw-456789@db.test:5432/shop")]
    [InlineData("sftp://etl:pw-456789@files.test/drop")]
    [InlineData("amqp://etl:pw-456789@queue.test/")]
    public void The_chain_input_an_entry_carries_masks_the_password_of_a_url_value_of_any_scheme(string url)
        => Assert.Equal("""{"Source":"***"}""", PipelineRunner.DeadLetterInput(new Dictionary<string, string> { ["Source"] = url }).GetRawText());

    private IConfiguration Config(ErrorMode? onError = null) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ApiPipeline:Extractors:shop:BaseUrl"] = Server.BaseUrl,
        ["ApiPipeline:Extractors:shop:OnError"] = onError?.ToString(),
    }).Build();

    /// <summary>The chain's records from a run where nothing fails, into a folder of their own.</summary>
    private async Task<List<string>> CleanRunAsync()
    {
        string clean = Path.Combine(Dir.Path, "clean");
        var (code, text, error) = await CliTests.Cli(Config(), "run", "shop", "--input", "owner=acme", "--output", clean);
        Assert.True(code == ExitCodes.Success, text + error);
        var records = Records(clean);
        Assert.Equal(15, records.Count);
        return records;
    }

    /// <summary>A run where page 2 of group 2's members fails: dead-lettered, the rest written; returns the entry.</summary>
    private async Task<string> FailingRunAsync(IConfiguration configuration)
    {
        Server.Unavailable = MembersPage2OfGroup2;
        var (code, text, error) = await CliTests.Cli(configuration, "run", "shop", "--input", "owner=acme", "--output", Output);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Assert.Equal(13, Records(Output).Count);
        Server.Unavailable = null;
        return Assert.Single(await File.ReadAllLinesAsync(DeadLetters));
    }

    /// <summary>Every record under the chain's output folder (in any folder inside it), sorted.</summary>
    private static List<string> Records(string output)
        => [.. Directory.EnumerateFiles(Path.Combine(output, "shop"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).Order(StringComparer.Ordinal)];
}
