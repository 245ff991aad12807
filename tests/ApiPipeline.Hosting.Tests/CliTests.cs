using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

public sealed class CliTests : ServerTests
{
    internal static Task<(int Code, string Out, string Err)> Cli(IConfiguration? configuration, params string[] args)
        => Cli(configuration, CancellationToken.None, args);

    internal static async Task<(int Code, string Out, string Err)> Cli(IConfiguration? configuration, CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await PipelineHost.RunAsync(args, ApiPipelineRegistry.Instance, host =>
        {
            host.Out = output;
            host.Error = error;
            host.Configuration = configuration ?? new ConfigurationBuilder().Build();
            host.LoggerFactory = NullLoggerFactory.Instance;
            host.Progress = ProgressMode.None;
        }, cancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    private Task<(int Code, string Out, string Err)> Cli(params string[] args) => Cli(null, args);

    [Fact]
    public async Task Help_succeeds_and_names_every_command()
    {
        var (code, output, _) = await Cli("--help");
        Assert.Equal(ExitCodes.Success, code);
        foreach (var command in new[] { "run", "list", "state", "replay", "validate" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("run")]
    [InlineData("run", "Items", "--no-such-option")]
    [InlineData("run", "Items", "--progress", "sideways")]
    [InlineData("state")]
    [InlineData("state", "show")]
    [InlineData]
    public async Task Bad_command_lines_are_usage_errors(params string[] args)
    {
        var (code, _, error) = await Cli(args);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.NotEmpty(error);
    }

    [Fact]
    public async Task Replay_writes_a_dead_lettered_late_record_and_keeps_an_entry_without_one()
    {
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        await File.WriteAllLinesAsync(file,
        [
            """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"LateRecord","page":1,"url":"http://h/items?page=1","attempts":0,"skipped":"record","error":"late record","partition":"/items","watermark":"2026-04-01T00:15:30.0000000+00:00","storedWatermark":"2026-04-01T00:19:00.0000000+00:00","record":{"id":7,"name":"late","updated_at":"2026-04-01T00:15:30+00:00"}}""",
            """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"LateRecord","page":1,"url":"http://h/items?page=1","attempts":0,"skipped":"record","error":"late record","partition":"/items","watermark":"2026-04-01T00:15:31.0000000+00:00"}""",
        ]);

        var (code, text, error) = await Cli("replay", file, "--output", output);

        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Assert.Contains("1 of 2 entries replayed, 1 records", text, StringComparison.Ordinal);
        Assert.Contains("late record (watermark 2026-04-01T00:15:31.0000000+00:00, partition /items): the entry holds no record", text, StringComparison.Ordinal);
        var written = Directory.EnumerateFiles(Path.Combine(output, "items"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).ToList();
        Assert.Equal(7, System.Text.Json.JsonSerializer.Deserialize(Assert.Single(written), TestJson.Default.Item)!.Id);
        Assert.Single(await File.ReadAllLinesAsync(file));
    }

    [Fact]
    public async Task Replay_removes_the_entry_of_an_input_the_pipeline_continues_without_a_request()
    {
        // The input failed, and the pipeline's state kept its checkpoint: its next run reads the rest. Requesting it here too would
        // write it twice (the checkpoint's host does not even listen: a request would fail and keep the entry).
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        await File.WriteAllLinesAsync(file,
        [
            """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"HttpStatus","status":500,"page":2,"url":"http://127.0.0.1:9/items?page=2","attempts":1,"skipped":"continued","error":"boom","input":"Scenario { Name = a }","resume":{"url":"http://127.0.0.1:9/items?page=2","pageNumber":2,"recordsBefore":10}}""",
        ]);

        var (code, text, error) = await Cli("replay", file, "--output", output);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Contains("0 of 1 entries replayed, 0 records", text, StringComparison.Ordinal);
        Assert.Contains("removed: items/Items page 2 of Scenario { Name = a }: nothing to replay", text, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
        Assert.False(Directory.Exists(output) && Directory.EnumerateFiles(output, "*.jsonl", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Replay_removes_each_entry_once_its_records_are_written_so_a_second_replay_adds_nothing()
    {
        // The second entry cannot be replayed (its checkpoint is not absolute): the first one's record is written once, however
        // often the file is replayed, and the second stays with the reason.
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        string bad = """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"HttpStatus","page":2,"url":"http://h/items?page=2","attempts":1,"skipped":"page","error":"boom","resume":{"url":"/items?page=2","pageNumber":2,"recordsBefore":0}}""";
        await File.WriteAllLinesAsync(file,
        [
            """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"LateRecord","page":1,"url":"http://h/items?page=1","attempts":0,"skipped":"record","error":"late record","partition":"/items","watermark":"2026-04-01T00:15:30.0000000+00:00","record":{"id":7,"name":"late","updated_at":"2026-04-01T00:15:30+00:00"}}""",
            bad,
        ]);

        var (code, text, error) = await Cli("replay", file, "--output", output);
        var (again, text2, error2) = await Cli("replay", file, "--output", output);

        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Assert.Contains("items/Items page 2: cannot be replayed: ", text, StringComparison.Ordinal);
        Assert.True(again == ExitCodes.Failure, text2 + error2);
        Assert.Equal([bad], await File.ReadAllLinesAsync(file));
        var written = Directory.EnumerateFiles(Path.Combine(output, "items"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).ToList();
        Assert.Single(written);
    }

    [Fact]
    public async Task Replay_of_a_backfills_input_writes_only_within_the_entrys_bounds()
    {
        // The entry's bounds are Jan 13 (its "since") and Jan 15 (its "until"); this API has no range parameters and sends every
        // record, which the run had dropped as out of range or which ordinary runs write. Page 2 holds days 12..21, page 3 days
        // 22..26: only days 13 and 14 land.
        string file = Path.Combine(Dir.Path, "incremental.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        await File.WriteAllLinesAsync(file,
        [
            $$$"""{"at":"2026-04-01T00:30:00+00:00","pipeline":"incremental","extractor":"IncrementalItems","kind":"HttpStatus","status":503,"page":2,"url":"{{{Server.BaseUrl}}}/incremental?per_page=10&page=2","attempts":1,"skipped":"input","error":"down","since":"2026-01-13T00:00:00.0000000Z","until":"2026-01-15T00:00:00.0000000Z","resume":{"url":"{{{Server.BaseUrl}}}/incremental?per_page=10&page=2","pageNumber":2,"recordsBefore":10,"baseUrl":"{{{Server.BaseUrl}}}"}}""",
        ]);

        var (code, text, error) = await Cli("replay", file, "--output", output, "--base-url", Server.BaseUrl);

        Assert.True(code == ExitCodes.Success, text + error);
        var ids = Directory.EnumerateFiles(Path.Combine(output, "incremental"), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, TestJson.Default.Item)!.Id)
            .Order();
        Assert.Equal([12, 13], ids);
    }

    [Fact]
    public async Task Replay_follows_a_base_url_that_moved_since_the_page_failed()
    {
        // The page failed against a server that is gone (its port is not listening); the configured base URL is where the API is now.
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        await File.WriteAllLinesAsync(file,
        [
            """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"HttpStatus","status":503,"page":2,"url":"http://127.0.0.1:9/items?per_page=10&page=2","attempts":1,"skipped":"page","error":"gone","resume":{"url":"http://127.0.0.1:9/items?per_page=10&page=2","pageNumber":2,"recordsBefore":10,"baseUrl":"http://127.0.0.1:9/"}}""",
        ]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Defaults:BaseUrl"] = Server.BaseUrl }).Build();

        var (code, text, error) = await Cli(configuration, "replay", file, "--output", output);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Contains("1 of 1 entries replayed, 10 records", text, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task Replay_without_a_configured_base_url_requests_where_the_failed_run_did_not_the_compiled_default()
    {
        // The run had --base-url (or a pipeline file's base_url); the compiled default (http://localhost) is another API altogether.
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        await File.WriteAllLinesAsync(file,
        [
            $$$"""{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"HttpStatus","status":503,"page":2,"url":"{{{Server.BaseUrl}}}/items?per_page=10&page=2","attempts":1,"skipped":"page","error":"busy","resume":{"url":"{{{Server.BaseUrl}}}/items?per_page=10&page=2","pageNumber":2,"recordsBefore":10,"baseUrl":"{{{Server.BaseUrl}}}/"}}""",
        ]);

        var (code, text, error) = await Cli("replay", file, "--output", output);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Contains("1 of 1 entries replayed, 10 records", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_base_url_option_moves_the_pages_over_the_configured_base_url()
    {
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        await File.WriteAllLinesAsync(file,
        [
            """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"HttpStatus","status":503,"page":2,"url":"http://127.0.0.1:9/items?per_page=10&page=2","attempts":1,"skipped":"page","error":"gone","resume":{"url":"http://127.0.0.1:9/items?per_page=10&page=2","pageNumber":2,"recordsBefore":10,"baseUrl":"http://127.0.0.1:9/"}}""",
        ]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Defaults:BaseUrl"] = "http://127.0.0.1:9" }).Build();

        var (code, text, error) = await Cli(configuration, "replay", file, "--output", output, "--base-url", Server.BaseUrl);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Contains("1 of 1 entries replayed, 10 records", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("user:s3cr3t-value@api.example.com")]
    [InlineData("token:s3cr3t-value@127.0.0.1:5055/v1")]
    [InlineData("ftp://user:s3cr3t-value@api.example.com")]
    [InlineData("http://user:s3cr3t-value@api.example.com")]
    public async Task A_base_url_refused_for_its_form_does_not_show_its_credentials(string text)
    {
        var (code, _, error) = await Cli("run", "Items", "--base-url", text, "--output", Dir.Path);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains(text.StartsWith("http:", StringComparison.Ordinal) ? "carries a user name or password (user:password@host), which is never sent" : "is not an absolute http(s) URL", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_base_url_without_a_scheme_is_a_usage_error_that_leaves_the_file()
    {
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string line = """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"HttpStatus","status":503,"page":2,"url":"http://127.0.0.1:9/items?page=2","attempts":1,"skipped":"page","error":"gone","resume":{"url":"http://127.0.0.1:9/items?page=2","pageNumber":2,"recordsBefore":10}}""";
        await File.WriteAllLinesAsync(file, [line]);

        var (code, _, error) = await Cli("replay", file, "--base-url", "127.0.0.1:5055");

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--base-url '127.0.0.1:5055' is not an absolute http(s) URL: give it with its scheme, e.g. --base-url http://127.0.0.1:5055.", error, StringComparison.Ordinal);
        Assert.Equal([line], await File.ReadAllLinesAsync(file));
    }

    [Fact]
    public async Task Replay_sends_its_requests_through_the_hosts_client_of_the_entrys_extractor_or_chain()
    {
        // The host's clients (e.g. IHttpClientFactory's, with their handlers: auth, proxies, logging) are the ones runs use: the
        // extractor's for a pipeline's entry, the chain's for a chain step's entry (pipeline "<chain>/<step>").
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        string url = Server.BaseUrl + "/items?per_page=10&page=2";
        await File.WriteAllLinesAsync(file,
        [
            $$$"""{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"HttpStatus","status":503,"page":2,"url":"{{{url}}}","attempts":1,"skipped":"page","error":"gone","resume":{"url":"{{{url}}}","pageNumber":2,"recordsBefore":10}}""",
            $$$"""{"at":"2026-04-01T00:30:00+00:00","pipeline":"sync/Items","extractor":"Items","kind":"HttpStatus","status":503,"page":2,"url":"{{{url}}}","attempts":1,"skipped":"page","error":"gone","resume":{"url":"{{{url}}}","pageNumber":2,"recordsBefore":10}}""",
        ]);
        using var counting = new CountingHandler();
        var names = new List<string>();
        var writer = new StringWriter();
        var errors = new StringWriter();

        int code = await PipelineHost.RunAsync(["replay", file, "--output", output], ApiPipelineRegistry.Instance, host =>
        {
            host.Out = writer;
            host.Error = errors;
            host.Configuration = new ConfigurationBuilder().Build();
            host.LoggerFactory = NullLoggerFactory.Instance;
            host.HttpClients = name =>
            {
                names.Add(name);
                return new HttpClient(counting, disposeHandler: false);
            };
        });

        Assert.True(code == ExitCodes.Success, writer.ToString() + errors);
        Assert.Equal(["Items", "sync"], names);
        Assert.Equal(2, counting.Count);
    }

    [Fact]
    public async Task Replay_waits_for_entries_an_interrupted_run_has_not_appended_yet()
    {
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string line = """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"LateRecord","page":1,"url":"http://h/items?page=1","attempts":0,"skipped":"record","error":"late record","partition":"/items","watermark":"2026-04-01T00:15:30.0000000+00:00","record":{"id":7,"name":"late","updated_at":"2026-04-01T00:15:30+00:00"}}""";
        await File.WriteAllLinesAsync(file, [line]);
        string pending = file + ".0123456789abcdef.0123456789abcdef0123456789abcdef.tmp";
        await File.WriteAllLinesAsync(pending, [line]);

        var (code, text, error) = await Cli("replay", file, "--output", Path.Combine(Dir.Path, "out"));

        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Contains("has entries that are not in it yet (items.dead-letter.jsonl.0123456789abcdef.0123456789abcdef0123456789abcdef.tmp)", error, StringComparison.Ordinal);
        Assert.Equal([line], await File.ReadAllLinesAsync(file));

        File.Delete(pending);
        (code, text, error) = await Cli("replay", file, "--output", Path.Combine(Dir.Path, "out"));
        Assert.True(code == ExitCodes.Success, text + error);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task Replay_waits_while_another_process_holds_the_dead_letter_file()
    {
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string line = """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"LateRecord","page":1,"url":"http://h/items?page=1","attempts":0,"skipped":"record","error":"late record","partition":"/items","watermark":"2026-04-01T00:15:30.0000000+00:00","record":{"id":7,"name":"late","updated_at":"2026-04-01T00:15:30+00:00"}}""";
        await File.WriteAllLinesAsync(file, [line]);

        // A pipeline of another process appending its entries: replay must not read, and then rewrite, the file in the meantime.
        var held = new FileStream(file + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var replay = Cli("replay", file, "--output", Path.Combine(Dir.Path, "out"));
        await Task.Delay(300);
        Assert.False(replay.IsCompleted);
        await File.AppendAllLinesAsync(file, [line.Replace("\"id\":7", "\"id\":8", StringComparison.Ordinal)]);
        await held.DisposeAsync();

        var (code, text, error) = await replay.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Contains("2 of 2 entries replayed, 2 records", text, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Theory]
    [InlineData("items")]
    [InlineData("items/children")] // a chain step's entry: the chain's run holds the turn
    public async Task Replay_waits_while_a_run_of_the_pipeline_writes_to_its_output(string pipeline)
    {
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        string line = """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"LateRecord","page":1,"url":"http://h/items?page=1","attempts":0,"skipped":"record","error":"late record","partition":"/items","watermark":"2026-04-01T00:15:30.0000000+00:00","record":{"id":7,"name":"late","updated_at":"2026-04-01T00:15:30+00:00"}}""".Replace("\"pipeline\":\"items\"", $"\"pipeline\":\"{pipeline}\"", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(file, [line]);

        // A run of 'items' in another process holds its turn on the output folder: replay writes there only after it.
        Directory.CreateDirectory(output);
        var held = new FileStream(Path.Combine(output, ".items.run.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var replay = Cli("replay", file, "--output", output);
        await Task.Delay(300);
        Assert.False(replay.IsCompleted);
        Assert.False(Directory.Exists(Path.Combine(output, "items")));
        await held.DisposeAsync();

        var (code, text, error) = await replay.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(code == ExitCodes.Success, text + error);
        Assert.False(File.Exists(file));
        Assert.False(Directory.Exists(Path.Combine(output, ".items")));
    }

    [Fact]
    public async Task A_run_cancelled_while_it_waits_for_its_turn_says_so_and_exits_1()
    {
        // A run of 'Items' in another process holds the turn; the user presses Ctrl+C while this one waits.
        string output = Path.Combine(Dir.Path, "out");
        Directory.CreateDirectory(output);
        await using var held = new FileStream(Path.Combine(output, ".Items.run.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var (code, text, error) = await Cli(null, cts.Token, "run", "Items", "--base-url", Server.BaseUrl, "--output", output);

        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Equal("Cancelled.", error.Trim());
        Assert.Empty(Targets("/items"));
    }

    [Fact]
    public async Task A_run_waiting_for_another_run_of_its_pipeline_says_so_once_then_runs()
    {
        // A run of 'Items' in another process holds the turn: this one waits, and says so rather than look hung.
        string output = Path.Combine(Dir.Path, "out");
        Directory.CreateDirectory(output);
        string lockFile = Path.Combine(output, ".Items.run.lock");
        var held = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var writer = new StringWriter();
        var run = PipelineHost.RunAsync(["run", "Items", "--base-url", Server.BaseUrl, "--output", output], ApiPipelineRegistry.Instance, host =>
        {
            host.Out = writer;
            host.Error = new StringWriter();
            host.Configuration = new ConfigurationBuilder().Build();
            host.LoggerFactory = factory;
            host.Progress = ProgressMode.None;
        });

        for (int i = 0; i < 100 && !logs.Entries.Any(e => e.Id.Id == 5006); i++)
        {
            await Task.Delay(50);
        }

        await Task.Delay(300);
        bool finishedDuringOtherRun = run.IsCompleted;
        await held.DisposeAsync();
        int code = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(finishedDuringOtherRun);
        var waiting = Assert.Single(logs.Entries, e => e.Id.Id == 5006);
        Assert.Equal(LogLevel.Warning, waiting.Level);
        Assert.Equal($"Waiting for another run of 'Items' to finish (lock: {lockFile})", waiting.Message);
        Assert.True(code == ExitCodes.Success, writer.ToString());
    }

    [Fact]
    public async Task A_turn_held_in_this_process_makes_the_next_taker_say_once_that_it_waits()
    {
        // Two schedules of one pipeline in one process: the second waits on the first's turn, not on the lock file.
        string output = Path.Combine(Dir.Path, "out");
        var told = new List<string>();
        var first = await PipelineRunner.TurnAsync(output, "Items", CancellationToken.None);
        var second = PipelineRunner.TurnAsync(output, "Items", told.Add, CancellationToken.None).AsTask();
        await Task.Delay(300);
        bool tookItMeanwhile = second.IsCompleted;
        first.Dispose();
        using var taken = await second.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(tookItMeanwhile);
        Assert.Equal([Path.Combine(output, ".Items.run.lock")], told);
    }

    [Fact]
    public async Task A_run_cancelled_before_it_starts_says_so_and_exits_1()
    {
        var (code, text, error) = await Cli(null, new CancellationToken(canceled: true), "run", "Items", "--base-url", Server.BaseUrl, "--output", Dir.Path);

        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Equal("Cancelled.", error.Trim());
    }

    [Fact]
    public async Task A_replay_cancelled_while_it_waits_for_a_pipelines_turn_says_so_exits_1_and_leaves_the_file()
    {
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        Directory.CreateDirectory(output);
        string line = """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"LateRecord","page":1,"url":"http://h/items?page=1","attempts":0,"skipped":"record","error":"late record","partition":"/items","watermark":"2026-04-01T00:15:30.0000000+00:00","record":{"id":7,"name":"late","updated_at":"2026-04-01T00:15:30+00:00"}}""";
        await File.WriteAllLinesAsync(file, [line]);
        await using var held = new FileStream(Path.Combine(output, ".items.run.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var (code, text, error) = await Cli(null, cts.Token, "replay", file, "--output", output);

        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Equal("Cancelled.", error.Trim());
        Assert.Equal([line], await File.ReadAllLinesAsync(file));
    }

    [Theory]
    [InlineData("items", "")]
    [InlineData("items-chain/Items", "(through the chain's later steps, which did not receive it)")]
    public async Task Replay_keeps_a_record_that_did_not_fit_and_says_why(string owner, string chainNote)
    {
        // A pipeline's entry, and a chain step's (the same shape, its pipeline '<chain id>/<step>', with the chain context it carries).
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string chain = owner.Contains('/', StringComparison.Ordinal) ? ""","chain":{"input":{"Name":"a"}}""" : "";
        string line = $$"""{"at":"2026-04-01T00:30:00+00:00","pipeline":"{{owner}}","extractor":"Items","kind":"RecordMismatch","page":2,"url":"http://h/items?page=2","attempts":1,"skipped":"record","error":"record 1 of 'data' does not fit Item: The JSON value could not be converted to System.Int64. Path: $.id","record":{"id":"five"}{{chain}}}""";
        await File.WriteAllLinesAsync(file, [line]);

        var (code, text, error) = await Cli("replay", file, "--output", Path.Combine(Dir.Path, "out"));

        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Contains($"{owner}/Items page 2: a record that does not fit the record type (record 1 of 'data' does not fit Item", text, StringComparison.Ordinal);
        Assert.Contains("it cannot be replayed as it is: fix the record type (or the data), load the record from this line" + (chainNote.Length > 0 ? " " + chainNote : "") + ", then remove the line", text, StringComparison.Ordinal);
        Assert.Equal([line], await File.ReadAllLinesAsync(file));
    }

    [Fact]
    public async Task Running_something_unknown_is_a_usage_error_listing_what_exists()
    {
        var (code, _, error) = await Cli("run", "NoSuchPipeline", "--output", Dir.Path);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("NoSuchPipeline", error, StringComparison.Ordinal);
        Assert.Contains("Items", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_input_is_a_usage_error_naming_the_members()
    {
        var (code, _, error) = await Cli("run", "OwnerItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", "colour=red");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("colour", error, StringComparison.Ordinal);
        Assert.Contains("Owner", error, StringComparison.Ordinal);

        (code, _, error) = await Cli("run", "OwnerItems", "--base-url", Server.BaseUrl, "--output", Dir.Path);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("needs Owner", error, StringComparison.Ordinal);

        (code, _, error) = await Cli("run", "Items", "--base-url", Server.BaseUrl, "--from", "yesterday-ish");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--from", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_writes_the_records_and_prints_the_summary_with_exit_code_0()
    {
        var (code, output, error) = await Cli("run", "Items", "--base-url", Server.BaseUrl, "--output", Dir.Path);
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Contains("pipeline 'Items': succeeded", output, StringComparison.Ordinal);
        Assert.Matches(@"records\s+25", output);
        Assert.Matches(@"pages\s+4", output); // 10 + 10 + 5, then an empty page ends PageNumber paging
        var lines = Directory.GetFiles(Path.Combine(Dir.Path, "Items"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadAllLines).ToList();
        Assert.Equal(TestServer.TotalItems, lines.Count);
    }

    [Fact]
    public async Task Run_and_list_take_a_hand_written_extractor_by_its_registered_name()
    {
        var (code, output, error) = await Cli("list");
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Contains("countdown", output, StringComparison.Ordinal);

        (code, output, error) = await Cli("run", "countdown", "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db"));
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Contains("pipeline 'countdown': succeeded", output, StringComparison.Ordinal);
        var ids = Directory.GetFiles(Path.Combine(Dir.Path, "countdown"), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadAllLines)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, TestJson.Default.Item)!.Id)
            .Order()
            .ToList();
        Assert.Equal(Enumerable.Range(1, CountdownItems.Total), ids);

        // Its watermark is the instance's: --from is a backfill's start (items from 09:00 on are ids 10..12), not an input member.
        string backfill = Path.Combine(Dir.Path, "backfill");
        (code, output, error) = await Cli("run", "countdown", "--output", backfill, "--state", Path.Combine(Dir.Path, "backfill.db"), "--from", "2026-01-01T09:00:00Z");
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(backfill, "countdown"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadAllLines).Count());
    }

    [Fact]
    public async Task Pipeline_and_chain_files_run_a_hand_written_extractor_and_refuse_a_watermark_section_for_it()
    {
        string file = Path.Combine(Dir.Path, "countdown.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: yaml_countdown\nextractor:\n  class: countdown\noutput:\n  type: jsonl\n  config:\n    directory: {Dir.Path}\n");
        var (code, output, error) = await Cli("run", file, "--state", Path.Combine(Dir.Path, "state.db"));
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Equal(CountdownItems.Total, Directory.GetFiles(Path.Combine(Dir.Path, "yaml_countdown"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadAllLines).Count());

        string chain = Path.Combine(Dir.Path, "countdown-chain.yaml");
        await File.WriteAllTextAsync(chain, "chain_id: countdown_chain\nextractors:\n  - extractor_class: countdown\n");
        (code, output, error) = await Cli("run", chain, "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db"));
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Equal(CountdownItems.Total, Directory.GetFiles(Path.Combine(Dir.Path, "countdown_chain"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadAllLines).Count());

        await File.WriteAllTextAsync(file, "pipeline_id: yaml_countdown\nextractor:\n  class: countdown\nwatermark:\n  field: updated_at\n");
        (code, _, error) = await Cli("validate", file);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("extractor 'countdown' is hand-written (ApiPipeline.Hosting.Tests.CountdownItems): its watermark is its IExtractor.Watermark", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_binds_path_members_and_the_range_from_the_command_line()
    {
        var (code, output, error) = await Cli("run", "OwnerItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "-i", "owner=octo", "--input", "limit=5", "--from", "2026-01-02");
        Assert.True(code == ExitCodes.Success, output + error);
        string first;
        lock (Server.Targets)
        {
            first = Server.Targets.First(t => t.StartsWith("/owners/", StringComparison.Ordinal));
        }

        Assert.StartsWith("/owners/octo/items?", first, StringComparison.Ordinal);
        Assert.Contains("since=2026-01-02", first, StringComparison.Ordinal);
        Assert.Contains("limit=5", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_numeric_range_backfills_a_numeric_watermark_and_fills_whole_number_input_members()
    {
        var (code, output, error) = await Cli("run", "NumberedItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--from", "5", "--to", "20");
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Contains(Targets("/numbered"), t => t.Contains("after_id=5", StringComparison.Ordinal));
        var ids = Directory.GetFiles(Path.Combine(Dir.Path, "NumberedItems"), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadAllLines).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt32()).Order().ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.InRange(id, 5, 19));

        (code, output, error) = await Cli("run", "RangedItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--from", "100", "--to", "200");
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Contains(Targets("/ranged"), t => t.Contains("after_id=100", StringComparison.Ordinal) && t.Contains("before_id=200", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("NumberedItems", "2026-01-01", "is a point in time, but the watermark of 'NumberedItems' (Id) is a number")]
    [InlineData("IncrementalItems", "1000", "is a number, but the watermark of 'IncrementalItems' (UpdatedAt) is a point in time")]
    [InlineData("OwnerItems", "1000", "needs a whole-number member of OwnerRef")]
    [InlineData("Items", "soon", "neither a whole number nor an ISO 8601 date or date-time")]
    public async Task A_range_of_the_wrong_kind_is_a_usage_error_that_says_what_to_give(string target, string from, string message)
    {
        var (code, _, error) = await Cli("run", target, "--base-url", Server.BaseUrl, "--output", Dir.Path, "-i", "owner=octo", "--from", from);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.5")]   // a mistyped numeric watermark (was taken as 2026-01-05)
    [InlineData("12:00")] // a time of day without a date (was taken as today)
    [InlineData("3/4")]   // a culture's date (was taken as March 4)
    [InlineData("2026-3-1")]
    [InlineData("2026-03-01 12:00")]
    public async Task A_range_value_that_is_neither_a_whole_number_nor_ISO_8601_is_a_usage_error_that_says_what_to_give(string text)
    {
        var (code, _, error) = await Cli("run", "Items", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--to", text);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains($"--to '{text}' is neither a whole number nor an ISO 8601 date or date-time", error, StringComparison.Ordinal);
        Assert.Contains("--to 2026-03-01T12:00:00Z", error, StringComparison.Ordinal);
        Assert.Empty(Targets("/items"));
    }

    [Theory]
    [InlineData("IncrementalItems", "2026-01-10", "2026-01-03", "after")]
    [InlineData("IncrementalItems", "2026-01-03", "2026-01-03T00:00:00Z", "the same as")]
    [InlineData("NumberedItems", "20", "5", "after")]
    [InlineData("RangedItems", "200", "100", "after")] // range members of the input
    public async Task A_range_whose_start_is_not_before_its_end_is_a_usage_error_showing_both(string target, string from, string to, string how)
    {
        var (code, output, error) = await Cli("run", target, "--base-url", Server.BaseUrl, "--output", Dir.Path, "--from", from, "--to", to);

        Assert.True(code == ExitCodes.UsageError, output + error);
        Assert.Contains($"--from must be before --to, but --from {from} is {how} --to {to}", error, StringComparison.Ordinal);
        Assert.Equal(0, Server.Requests);
    }

    [Theory]
    [InlineData("127.0.0.1:5055", "http://127.0.0.1:5055")]
    [InlineData("localhost:5055", "http://localhost:5055")] // parses as a URI whose scheme is 'localhost'
    [InlineData("api.example.com/v1?api_key=s3cr3t-value", "http://api.example.com/v1?api_key=***")]
    [InlineData("ftp://files.example.com", "http://files.example.com")]
    public async Task A_base_url_that_is_not_an_absolute_http_url_is_a_usage_error_with_an_example(string text, string example)
    {
        var (code, _, error) = await Cli("run", "Items", "--base-url", text, "--output", Dir.Path);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--base-url '", error, StringComparison.Ordinal);
        Assert.Contains("' is not an absolute http(s) URL: give it with its scheme, e.g. --base-url " + example + ".", error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-03-01", "2026-03-01T00:00:00+00:00")]
    [InlineData("2026-03-01T12:30", "2026-03-01T12:30:00+00:00")]
    [InlineData("2026-03-01T12:30:15", "2026-03-01T12:30:15+00:00")]
    [InlineData("2026-03-01T12:30:15Z", "2026-03-01T12:30:15+00:00")]
    [InlineData("2026-03-01T12:30:15.250Z", "2026-03-01T12:30:15.2500000+00:00")]
    [InlineData("2026-03-01T12:30:15+02:00", "2026-03-01T12:30:15+02:00")]
    [InlineData("2026-03-01T12:30+0200", "2026-03-01T12:30:00+02:00")]
    [InlineData("2026-03-01T12:30:15-05", "2026-03-01T12:30:15-05:00")]
    public void A_range_value_in_ISO_8601_is_a_point_in_time_in_UTC_unless_an_offset_is_given(string text, string expected)
    {
        var instant = DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(WatermarkValue.FromTimestamp(instant), PipelineHost.RangeValue(text, "--from"));
    }

    private List<string> Targets(string prefix)
    {
        lock (Server.Targets)
        {
            return [.. Server.Targets.Where(t => t.StartsWith(prefix, StringComparison.Ordinal))];
        }
    }

    [Fact]
    public async Task A_run_with_skipped_failures_exits_2_and_a_failed_run_exits_1()
    {
        var (code, output, _) = await Cli("run", "FlakyItems", "--base-url", Server.BaseUrl, "--output", Dir.Path);
        Assert.Equal(ExitCodes.PartialSuccess, code);
        Assert.Contains("partial", output, StringComparison.Ordinal);

        (code, output, _) = await Cli("run", "MissingItems", "--base-url", Server.BaseUrl, "--output", Dir.Path);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("failed", output, StringComparison.Ordinal);
        Assert.Contains("404", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_failing_on_a_refused_connection_logs_why_without_a_stack_trace()
    {
        // Nothing listens on port 9: an expected failure, whose message (and its inner exceptions') says it all.
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var output = new StringWriter();
        int code = await PipelineHost.RunAsync(["run", "Items", "--base-url", "http://127.0.0.1:9/?api_key=s3cr3t-value", "--output", Dir.Path], ApiPipelineRegistry.Instance, host =>
        {
            host.Out = output;
            host.Error = new StringWriter();
            host.Configuration = new ConfigurationBuilder().Build();
            host.LoggerFactory = factory;
            host.Progress = ProgressMode.None;
        });

        Assert.True(code == ExitCodes.Failure, output.ToString());
        var failed = Assert.Single(logs.Entries, e => e.Id.Id == 1003);
        Assert.Null(failed.Error);
        Assert.Contains("pipeline 'Items' failed after 0 records: Extractor 'Items', page 1 (GET http://127.0.0.1:9/", failed.Message, StringComparison.Ordinal);
        Assert.Contains("the request failed: Connection refused", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unexpected_failure_is_logged_with_its_exception_and_an_expected_one_with_its_inner_messages()
    {
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var logger = factory.CreateLogger("ApiPipeline");
        var summary = new RunSummary { Kind = "pipeline", Name = "p", Outcome = PipelineStatus.Failed };
        var bug = new InvalidOperationException("a bug");
        var store = new StateStoreException("The state file 'x.db' is not a state database.", new InvalidDataException("file is not a database"));
        var step = new ChainStepException("c", "s", 2, 0, null, "the step failed", new ExtractionException(ExtractionErrorKind.Timeout, "e", 1, "http://h/", "timed out"));

        summary.LogTo(logger, bug);
        summary.LogTo(logger, store);
        summary.LogTo(logger, step);
        summary.LogTo(logger, new ChainStepException("c", "s", 2, 0, null, "the mapping threw", bug));

        var failed = logs.Entries.Where(e => e.Id.Id == 1003).ToList();
        Assert.Equal(4, failed.Count);
        Assert.Same(bug, failed[0].Error);
        Assert.Null(failed[1].Error);
        Assert.EndsWith("The state file 'x.db' is not a state database. ---> file is not a database", failed[1].Message, StringComparison.Ordinal);
        Assert.Null(failed[2].Error);
        Assert.EndsWith("the step failed ---> Extractor 'e', page 1 (GET http://h/): timed out", failed[2].Message, StringComparison.Ordinal);
        Assert.NotNull(failed[3].Error);
    }

    [Fact]
    public async Task Configuration_supplies_base_urls_and_inputs()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Output"] = Dir.Path,
            ["ApiPipeline:Extractors:OwnerItems:BaseUrl"] = Server.BaseUrl,
            ["ApiPipeline:Extractors:OwnerItems:Input:owner"] = "from-config",
        }).Build();
        var (code, output, error) = await Cli(configuration, "run", "OwnerItems");
        Assert.True(code == ExitCodes.Success, output + error);
        lock (Server.Targets)
        {
            Assert.Contains(Server.Targets, t => t.StartsWith("/owners/from-config/items", StringComparison.Ordinal));
        }

        Assert.True(Directory.Exists(Path.Combine(Dir.Path, "OwnerItems")));
    }

    [Fact]
    public async Task List_shows_extractors_with_their_inputs_and_the_outputs()
    {
        var (code, output, _) = await Cli("list");
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("Items", output, StringComparison.Ordinal);
        Assert.Contains("metered", output, StringComparison.Ordinal);
        Assert.Contains("OwnerRef -> Item", output, StringComparison.Ordinal);
        Assert.Contains("Owner (string, required)", output, StringComparison.Ordinal);
        Assert.Contains("Outputs: jsonl, json", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_one_line_host_finds_the_registry_the_assembly_registered_when_it_loaded()
    {
        var output = new StringWriter();
        int code = await PipelineHost.RunAsync(["list"], host =>
        {
            host.Out = output;
            host.Error = new StringWriter();
            host.Configuration = new ConfigurationBuilder().Build();
            host.LoggerFactory = NullLoggerFactory.Instance;
            host.Progress = ProgressMode.None;
        });

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal(ApiPipelineRegistry.Instance.Extractors.Count, ComponentRegistry.Registered.Extractors.Count(e => ApiPipelineRegistry.Instance.Extractors.Contains(e)));
        Assert.Contains("OwnerRef -> Item", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_accepts_a_good_file_and_rejects_a_bad_one_with_its_line()
    {
        string good = Path.Combine(Dir.Path, "good.yaml");
        await File.WriteAllTextAsync(good, "pipeline_id: items\nextractor:\n  class: Items\n  batch_size: 5\noutput:\n  type: jsonl\n");
        var (code, output, _) = await Cli("validate", good);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("valid pipeline 'items'", output, StringComparison.Ordinal);

        string bad = Path.Combine(Dir.Path, "bad.yaml");
        await File.WriteAllTextAsync(bad, "pipeline_id: items\nextractor:\n  class: NoSuchExtractor\n");
        (code, _, var error) = await Cli("validate", bad);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("(3,", error, StringComparison.Ordinal);
        Assert.Contains("NoSuchExtractor", error, StringComparison.Ordinal);

        (code, _, _) = await Cli("validate", Path.Combine(Dir.Path, "absent.yaml"));
        Assert.Equal(ExitCodes.UsageError, code);
    }

    [Theory]
    [InlineData("pipeline_id: [issues\nextractor:\n  class: Items\n", 1, 14, "the list started with '[' here is never closed with ']'")]
    [InlineData("pipeline_id: [issues\n", 1, 14, "the list started with '[' here is never closed with ']'")]
    [InlineData("pipeline_id: items\nextractor: {\n  class: Items\n", 2, 12, "the mapping started with '{' here is never closed with '}'")]
    [InlineData("pipeline_id: items\nextractor: {class: Items\noutput:\n  type: jsonl\n", 2, 12, "the mapping started with '{' here is never closed with '}'")]
    [InlineData("pipeline_id: items\nextractor:\n\tclass: Items\n", 3, 1, "a tab indents this line; YAML indents with spaces only")]
    [InlineData("pipeline_id: items\nextractor:\n  class: Items\n  \tbatch_size: 5\n", 4, 3, "a tab indents this line; YAML indents with spaces only")]
    [InlineData("pipeline_id: items\nextractor:\n  class: Items\n  batch_size: 'five\n", 4, 15, "the quoted text starting here has no closing quote")]
    [InlineData("pipeline_id: items\nextractor:\n  class: Items\n batch_size: 5\n", 4, 2, "did not find expected key")]
    [InlineData("pipeline_id: items\nextractor: {\n  class: Items,\n  batch_size: 'five\n}\n", 4, 15, "the quoted text starting here has no closing quote")]
    [InlineData("pipeline_id: items\nsteps: [\n  \"bad \\q escape\",\n  b\n]\n", 3, 3, "unknown escape")]
    public async Task Validate_names_the_line_and_column_of_malformed_yaml_and_what_is_wrong(string yaml, int line, int column, string message)
    {
        string file = Path.Combine(Dir.Path, "t.yaml");
        await File.WriteAllTextAsync(file, yaml);

        var (code, _, error) = await Cli("validate", file);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.StartsWith($"{file}({line},{column}): not valid YAML: ", error, StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    /// <summary>
    /// A chain file is still a chain file when its keys are quoted or it is written as one flow mapping: both are plain YAML for the
    /// same mapping, and the file's parsed top-level keys say which it is.
    /// </summary>
    [Theory]
    [InlineData("chain_id: groups\nextractors:\n  - extractor_class: ShopGroups\n")]
    [InlineData("\"chain_id\": groups\n\"extractors\":\n  - extractor_class: ShopGroups\n")]
    [InlineData("{ chain_id: groups, extractors: [ { extractor_class: ShopGroups } ] }\n")]
    public async Task Validate_takes_a_chain_file_with_quoted_keys_or_in_flow_style_as_a_chain(string yaml)
    {
        string file = Path.Combine(Dir.Path, "chain.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var (code, output, error) = await Cli("validate", file);

        Assert.DoesNotContain("in the pipeline", error, StringComparison.Ordinal);
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Contains("valid chain 'groups'", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A pipeline file with a mistyped key, <c>extractors:</c> for <c>extractor:</c>, is still read as a pipeline file (its
    /// <c>pipeline_id</c> says so) and refused at the typo.
    /// </summary>
    [Fact]
    public async Task Validate_of_a_pipeline_file_with_a_mistyped_extractors_key_points_at_the_typo()
    {
        string file = Path.Combine(Dir.Path, "typo.yaml");
        await File.WriteAllTextAsync(file, "pipeline_id: items\nextractors:\n  class: Items\n");

        var (code, _, error) = await Cli("validate", file);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.DoesNotContain("unknown field 'pipeline_id'", error, StringComparison.Ordinal);
        Assert.StartsWith($"{file}(2,1): ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_accepts_a_pipeline_yaml_file()
    {
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: yaml_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\noutput:\n  type: jsonl\n  config:\n    directory: {Dir.Path}\n");
        var (code, output, error) = await Cli("run", file, "--state", Path.Combine(Dir.Path, "state.db"));
        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Contains("pipeline 'yaml_items': succeeded", output, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(Dir.Path, "yaml_items")));
    }

    [Fact]
    public async Task A_pipeline_files_configured_input_wins_over_its_extractors_and_the_defaults()
    {
        string file = Path.Combine(Dir.Path, "owned.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: owned_items\nextractor:\n  class: OwnerItems\n  base_url: {Server.BaseUrl}\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Defaults:Input:owner"] = "from-defaults",
            ["ApiPipeline:Extractors:OwnerItems:Input:owner"] = "from-extractor",
            ["ApiPipeline:Extractors:owned_items:Input:owner"] = "from-pipeline",
        }).Build();

        var (code, output, error) = await Cli(configuration, "run", file, "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db"));

        Assert.True(code == ExitCodes.Success, output + error);
        Assert.All(Server.Targets, t => Assert.StartsWith("/owners/from-pipeline/items", t, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_yaml_output_without_a_directory_goes_under_the_configured_output_folder()
    {
        string file = Path.Combine(Dir.Path, "undirected.yaml");
        string configured = Path.Combine(Dir.Path, "configured");
        await File.WriteAllTextAsync(file, $"pipeline_id: undirected_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\noutput:\n  type: jsonl\n  config:\n    name: undirected\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = configured }).Build();

        var (code, output, error) = await Cli(configuration, "run", file);

        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Equal(25, Directory.EnumerateFiles(Path.Combine(configured, "undirected"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).Count());
    }

    [Theory]
    [InlineData("pipeline", null, ExitCodes.Failure)] // Defaults: MaxRetries 0 over [Retry(MaxRetries = 2)]: page 2's one 500 ends the run
    [InlineData("pipeline", "error_handling:\n  max_retries: 1\n", ExitCodes.Success)] // the file's setting wins over Defaults
    [InlineData("chain", null, ExitCodes.Failure)] // a chain's steps get Defaults over their attributes too
    public async Task Host_settings_apply_to_yaml_pipelines_and_chains_under_the_files_own(string kind, string? fileSettings, int expected)
    {
        string file = Path.Combine(Dir.Path, kind + ".yaml");
        await File.WriteAllTextAsync(file, kind == "pipeline"
            ? $"pipeline_id: metered_file\nextractor:\n  class: MeteredItems\n  base_url: {Server.BaseUrl}\n{fileSettings}"
            : "chain_id: metered_chain\nextractors:\n  - extractor_class: MeteredItems\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Defaults:MaxRetries"] = "0",
            ["ApiPipeline:Extractors:metered_chain:BaseUrl"] = Server.BaseUrl,
        }).Build();

        var (code, output, error) = await Cli(configuration, "run", file, "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db"));

        Assert.True(code == expected, output + error);
    }

    [Theory]
    [InlineData("window_size: 1h", "since=2026-01-25T23:00:00")]
    [InlineData("enabled: false", null)]
    public async Task Two_runs_of_a_yaml_incremental_pipeline_use_the_state_store_and_the_files_watermark(string setting, string? secondSince)
    {
        string file = Path.Combine(Dir.Path, "incremental.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: yaml_incremental\nextractor:\n  class: IncrementalItems\n  base_url: {Server.BaseUrl}\nwatermark:\n  field: updated_at\n  {setting}\n");
        string[] run = ["run", file, "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db")];

        var (code, output, error) = await Cli(run);
        Assert.True(code == ExitCodes.Success, output + error);
        var first = Incremental();
        Assert.Equal(4, first.Count); // pages 1-3 and the empty page 4
        Assert.DoesNotContain(first, t => t.Contains("since=", StringComparison.Ordinal));

        (code, output, error) = await Cli(run);
        Assert.True(code == ExitCodes.Success, output + error);
        var second = Incremental().Skip(first.Count).ToList();
        Assert.NotEmpty(second);
        if (secondSince is null)
        {
            Assert.DoesNotContain(second, t => t.Contains("since=", StringComparison.Ordinal));
        }
        else
        {
            // The stored watermark (the newest updated_at, 2026-01-26) minus the file's window_size.
            Assert.All(second, t => Assert.Contains(secondSince, Uri.UnescapeDataString(t), StringComparison.Ordinal));
        }

        List<string> Incremental()
        {
            lock (Server.Targets)
            {
                return [.. Server.Targets.Where(t => t.StartsWith("/incremental", StringComparison.Ordinal))];
            }
        }
    }

    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task A_from_whose_member_was_given_with_input_says_it_is_given_twice()
    {
        var (code, output, error) = await Cli("run", "OwnerItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", "owner=a", "--input", "since=2026-02-01", "--from", "2026-01-01");

        Assert.True(code == ExitCodes.UsageError, output + error);
        Assert.DoesNotContain("needs a date member", error, StringComparison.Ordinal);
        Assert.Contains("OwnerRef.Since, which the input already gives (with --input", error, StringComparison.Ordinal);
        Assert.Empty(Server.Targets);
    }

    [Fact]
    public async Task A_from_whose_member_the_settings_give_names_the_configured_input()
    {
        // No --input: the member --from sets is given by the extractor's configured Input, which the message names too.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Extractors:OwnerItems:Input:owner"] = "a",
            ["ApiPipeline:Extractors:OwnerItems:Input:since"] = "2026-02-01",
        }).Build();

        var (code, output, error) = await Cli(configuration, "run", "OwnerItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--from", "2026-01-01");

        Assert.True(code == ExitCodes.UsageError, output + error);
        Assert.Contains("or in the configured Input", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_names_the_folder_run_writes_a_file_without_a_directory_to()
    {
        string file = Path.Combine(Dir.Path, "undirected.yaml");
        string configured = Path.Combine(Dir.Path, "configured");
        await File.WriteAllTextAsync(file, $"pipeline_id: undirected_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\noutput:\n  type: jsonl\n  config:\n    name: undirected\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = configured }).Build();

        var run = await Cli(configuration, "run", file);
        Assert.True(run.Code == ExitCodes.Success, run.Out + run.Err);
        Assert.True(Directory.Exists(Path.Combine(configured, "undirected")));

        var (code, output, error) = await Cli(configuration, "validate", file);

        Assert.True(code == ExitCodes.Success, output + error);
        Assert.DoesNotContain("to out/undirected", output, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(configured, "undirected"), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_range_for_a_pipeline_file_whose_watermark_is_off_is_refused()
    {
        // The file's pipeline has no watermark: a range would be half applied (the start sent as the watermark parameter, no end).
        string file = Path.Combine(Dir.Path, "off.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: off\nextractor:\n  class: IncrementalItems\n  base_url: {Server.BaseUrl}\nwatermark: {{ enabled: false, field: updated_at }}\n");

        var (code, output, error) = await Cli("run", file, "--output", Dir.Path, "--from", "2026-01-05", "--to", "2026-01-10");

        Assert.True(code == ExitCodes.UsageError, output + error);
        Assert.Contains("enabled: false", error, StringComparison.Ordinal);
        Assert.Empty(Server.Targets);
        Assert.False(Directory.Exists(Path.Combine(Dir.Path, "off")));
    }
}


/// <summary>Replay against a run that writes into the same output folder: the two take their locks in one order.</summary>
public sealed class ReplayTurnOrderTests : ServerTests
{
    /// <summary>Page 1, then (once released) a page that fails: under DeadLetter its entry is appended at the run's commit.</summary>
    private sealed class GatedItems(Task release, TaskCompletionSource started) : IExtractor<NoInput, Item>
    {
        public string Name => "gated";

        public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            started.TrySetResult();
            yield return new Page<Item>(1, "gated:1", [new Item(100, "first", DateTimeOffset.UnixEpoch)], new PageCheckpoint("gated:2", 2, 1), 0);
            await release.WaitAsync(cancellationToken);
            yield return new Page<Item>(2, "gated:2", [], null, 0)
            {
                Error = new ExtractionException(ExtractionErrorKind.Transport, Name, 2, "gated:2", "down") { Resume = new PageCheckpoint("gated:2", 2, 1) },
            };
        }
    }

    [Fact]
    public async Task Replay_and_a_run_writing_into_the_same_folder_do_not_deadlock()
    {
        // A program runs a pipeline into out/items (a library run: no CLI run turn) with the dead-letter file items.dead-letter.jsonl.
        // Meanwhile replay of that file writes a late record of 'items'. The run holds the folder's turn and appends to the file at its
        // commit; replay holds the file while it rewrites it. Replay takes the folder's turn before the file, as runs do.
        string file = Path.Combine(Dir.Path, "items.dead-letter.jsonl");
        string output = Path.Combine(Dir.Path, "out");
        string line = """{"at":"2026-04-01T00:30:00+00:00","pipeline":"items","extractor":"Items","kind":"LateRecord","page":1,"url":"http://h/items?page=1","attempts":0,"skipped":"record","error":"late record","partition":"/items","watermark":"2026-04-01T00:15:30.0000000+00:00","record":{"id":7,"name":"late","updated_at":"2026-04-01T00:15:30+00:00"}}""";
        await File.WriteAllLinesAsync(file, [line]);
        using var stop = new CancellationTokenSource();
        var release = new TaskCompletionSource();
        var started = new TaskCompletionSource();
        await using var sink = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = output, Name = "items" });
        var pipeline = new Pipeline<NoInput, Item>("loader", new GatedItems(release.Task, started), sink, new PipelineOptions { OnError = ErrorMode.DeadLetter, DeadLetterPath = file });

        var run = pipeline.ExecuteAsync(NoInput.Value, stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var replay = CliTests.Cli(null, stop.Token, "replay", file, "--output", output);
        await Task.Delay(1000);
        release.SetResult();

        try
        {
            await Task.WhenAll(run, replay).WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            stop.Cancel();
        }

        Assert.Equal(PipelineStatus.PartialSuccess, (await run).Status);
        var (code, text, error) = await replay;
        Assert.True(code is ExitCodes.Success or ExitCodes.PartialSuccess, text + error);
        Assert.Contains(7, Directory.EnumerateFiles(Path.Combine(output, "items"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).Select(l => System.Text.Json.JsonSerializer.Deserialize(l, TestJson.Default.Item)!.Id));
    }
}
