using Microsoft.Extensions.Logging;
using System.Text.Json;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// A record of a chain step's page that does not fit the step's record type: under <see cref="ErrorMode.DeadLetter"/> it goes to the
/// dead-letter file alone, as a pipeline's does, and the rest of its page goes on to the next step and the output; under any other mode
/// it still fails its page.
/// </summary>
public sealed class ChainMisfitTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private const string KeyName = "APIPIPELINE_CHAIN_MISFIT_KEY";
    private const string Key = "misfit-k3y-7a6b5c4d";

    // Parent 3 of the five has an id that is not a number.
    private const string Bad = """{"id":"three","name":"parent-3"}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DeadLetter_mode_dead_letters_a_misfit_record_alone_and_the_rest_of_its_page_reaches_the_next_step(bool stateStore)
    {
        using var temp = new TempDirectory();
        await using var store = new InMemoryStateStore();
        var (api, input) = Serve("chain-misfit-" + (stateStore ? "state" : "plain"));
        string deadLetters = Path.Combine(temp.Path, "chain.dead-letter.jsonl");
        var output = new MemoryOutput<Child>();
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(logs)));
        var options = Options() with { OnError = ErrorMode.DeadLetter, DeadLetterPath = deadLetters, StateStore = stateStore ? store : null, LoggerFactory = logging };

        var result = await new SequentialChildren(options).ExecuteAsync(input, output).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.PartialSuccess, ChainAssert.Describe(result));
        Assert.Equal(deadLetters, result.DeadLetterFile);
        Assert.Equal((4L, 1L, 1L), (result.Steps[0].Records, result.Steps[0].Failures, result.Steps[0].DeadLettered));
        Assert.Equal(4, api.ChildRequests); // the other four parents went on to the children step
        ChainAssert.ExactlyOnce(api.AllChildren().Where(c => c.ParentId != 3), output.Committed);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(("Parents", false), (failure.Step, failure.Fatal));
        Assert.Equal(ExtractionErrorKind.RecordMismatch, Assert.IsType<ExtractionException>(failure.Error).Kind);

        string line = Assert.Single(await File.ReadAllLinesAsync(deadLetters));
        Assert.DoesNotContain(Key, line, StringComparison.Ordinal);
        var e = JsonDocument.Parse(line).RootElement;
        Assert.Equal("SequentialChildren/Parents", e.GetProperty("pipeline").GetString()); // the step
        Assert.Equal("RecordMismatch", e.GetProperty("kind").GetString());
        Assert.Equal("record", e.GetProperty("skipped").GetString());
        Assert.Equal(1, e.GetProperty("page").GetInt32());
        Assert.Equal(Key, Requests(input.Name).First(r => r.Path.EndsWith("/parents", StringComparison.Ordinal)).Q("api_key"));
        Assert.Equal(Url($"/{input.Name}/parents?page=1&per_page=100"), e.GetProperty("url").GetString()); // the key the request sent is not shown
        Assert.Equal(Bad, e.GetProperty("record").GetRawText());
        string reason = e.GetProperty("error").GetString()!;
        Assert.Contains("record 2 of 'items' does not fit Parent", reason, StringComparison.Ordinal);
        Assert.Contains("$.id", reason, StringComparison.Ordinal); // the field
        Assert.Contains("(Cannot get the value of a token type 'String' as a number.)", reason, StringComparison.Ordinal); // what it expected
        Assert.False(e.TryGetProperty("resume", out _)); // its page was written: nothing to request again
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));

        // Logged as a pipeline's misfit is, named by its chain and step, without the key.
        string skipped = Assert.Single(logs, l => l.StartsWith("Warning 2006 ", StringComparison.Ordinal));
        Assert.Contains("chain 'SequentialChildren/Parents': a record of page 1 of input #0 skipped after 1 attempt(s) (RecordMismatch): ", skipped, StringComparison.Ordinal);
        Assert.Contains("record 2 of 'items' does not fit Parent", skipped, StringComparison.Ordinal);
        Assert.Equal($"Warning 3002 chain 'SequentialChildren/Parents': failure goes to the dead-letter file {deadLetters} with the next commit ", Assert.Single(logs, l => l.StartsWith("Warning 3002 ", StringComparison.Ordinal)));
        Assert.All(logs, l => Assert.DoesNotContain(Key, l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_misfit_record_dead_lettered_by_a_replay_names_its_input_as_the_runs_entry_does()
    {
        using var temp = new TempDirectory();
        var (_, input) = Serve("chain-misfit-replay");
        var options = Options() with { OnError = ErrorMode.DeadLetter, DeadLetterPath = Path.Combine(temp.Path, "chain.dead-letter.jsonl") };
        await new SequentialChildren(options).ExecuteAsync(input, new MemoryOutput<Child>()).WithDeadline(30);
        string? runs = JsonDocument.Parse(Assert.Single(await File.ReadAllLinesAsync(options.DeadLetterPath!))).RootElement.GetProperty("input").GetString();
        var executor = new ChainExecutor<Scenario, Child>(SequentialChildren.Definition, options: options);
        var replay = new ChainReplay(1, input, new PageCheckpoint(Url($"/{input.Name}/parents?page=1&per_page=100"), 1, 0), pageOnly: true, null);

        var result = await executor.ReplayAsync(replay, input, new MemoryOutput<Child>(), CancellationToken.None).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.PartialSuccess, ChainAssert.Describe(result));
        var entry = Assert.Single(replay.DeadLetters); // the misfit again, kept by the replay
        Assert.Equal(DeadLetterEntry.RecordSkipped, entry.Skipped);
        Assert.NotNull(runs);
        Assert.Equal(runs, entry.Input);
    }

    [Theory]
    [InlineData(ErrorMode.FailFast)]
    [InlineData(ErrorMode.Continue)]
    public async Task Without_DeadLetter_mode_a_misfit_record_still_fails_its_page(ErrorMode mode)
    {
        var (api, input) = Serve("chain-misfit-" + mode.ToString().ToLowerInvariant());
        var output = new MemoryOutput<Child>();

        var result = await new SequentialChildren(Options() with { OnError = mode }).ExecuteAsync(input, output).WithDeadline(30);

        Assert.Equal(mode == ErrorMode.FailFast ? PipelineStatus.Failed : PipelineStatus.PartialSuccess, result.Status);
        var failure = Assert.Single(result.Failures);
        Assert.Equal("Parents", failure.Step);
        var error = Assert.IsType<ExtractionException>(failure.Error);
        Assert.Equal(ExtractionErrorKind.RecordMismatch, error.Kind);
        Assert.DoesNotContain(Key, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(0L, result.Steps[0].DeadLettered);
        Assert.Equal(0, api.ChildRequests); // none of the page's records went on
        Assert.Empty(output.Committed);
    }

    /// <summary>The chain tests' API, whose parents page holds <see cref="Bad"/> among four good parents.</summary>
    private (ChainApi Api, Scenario Input) Serve(string scenario)
    {
        var api = new ChainApi(parents: 5, childPages: 1)
        {
            ChildDelay = TimeSpan.Zero,
            Fail = (target, _) => target.StartsWith($"/{scenario}/parents?", StringComparison.Ordinal)
                ? (200, $$"""{"items":[{"id":1,"name":"parent-1"},{"id":2,"name":"parent-2"},{{Bad}},{"id":4,"name":"parent-4"},{"id":5,"name":"parent-5"}],"total_pages":1}""")
                : null,
        };
        return (api, Map(scenario, api.Handle));
    }

    /// <summary>The parents step sends a key in its query (<c>api_key</c>), which the entry's URL must not show.</summary>
    private ChainOptions Options() => new()
    {
        Extractor = At,
        Steps = new Dictionary<string, ExtractorOptions>
        {
            ["Parents"] = At with
            {
                Auth = new AuthOptions { Kind = AuthKind.ApiKey, Secret = KeyName, QueryParam = "api_key" },
                Credentials = CredentialSource.Create(name => name == KeyName ? Key : null),
            },
        },
    };
}
