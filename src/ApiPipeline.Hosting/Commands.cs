using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApiPipeline.Hosting;

/// <summary>The commands of <see cref="PipelineHost"/>.</summary>
internal sealed class Commands(ComponentRegistry registry, PipelineHostOptions host)
{
    public Command Run()
    {
        var target = new Argument<string>("target") { Description = "An extractor (run as a pipeline into JSONL), a chain, or a pipeline/chain .yaml file." };
        var input = new Option<string[]>("--input", "-i") { Description = "An input member, name=value (repeatable): --input owner=dotnet --input repo=runtime.", AllowMultipleArgumentsPerToken = false };
        var from = new Option<string?>("--from") { Description = "The start of the range: a date or time (ISO 8601), or a whole number for a numeric watermark. Starts an incremental extractor there (a backfill), or fills the input's since/from/start member." };
        var to = new Option<string?>("--to") { Description = "The end of the range (exclusive), a date or time or a whole number as --from: ends an incremental extractor's run there, or fills the input's until/to/end member." };
        var output = OutputOption();
        var state = StateOption();
        var baseUrl = new Option<string?>("--base-url") { Description = "Replaces the base URL of every extractor of the run." };
        var progress = new Option<string?>("--progress") { Description = "auto (default), live, plain or none." };
        progress.AcceptOnlyFromAmong("auto", "live", "plain", "none");
        var command = new Command("run", "Runs a pipeline or chain to the end and prints its summary.") { target, input, from, to, output, state, baseUrl, progress };
        command.SetAction(Cancellable(async (parse, cancellationToken) =>
        {
            var writer = parse.InvocationConfiguration.Output;
            var errors = parse.InvocationConfiguration.Error;
            try
            {
                var settings = PipelineHost.Settings(host);
                var mode = parse.GetValue(progress) switch
                {
                    "live" => ProgressMode.Live,
                    "plain" => ProgressMode.Plain,
                    "none" => ProgressMode.None,
                    "auto" => ProgressMode.Auto,
                    _ => host.Progress,
                };
                if (mode == ProgressMode.Auto)
                {
                    mode = host.Out is null && RunProgress.IsInteractive() ? ProgressMode.Live : ProgressMode.Plain;
                }

                var range = PipelineHost.Range(parse.GetValue(from), parse.GetValue(to));
                var request = new RunRequest
                {
                    Target = parse.GetRequiredValue(target),
                    Input = parse.GetValue(input) is { Length: > 0 } pairs ? InputBinder.ParsePairs(pairs) : null,
                    From = range.From,
                    To = range.To,
                    Output = parse.GetValue(output),
                    State = parse.GetValue(state),
                    BaseUrl = PipelineHost.BaseUrl(parse.GetValue(baseUrl)),
                };

                using var ownLogs = host.LoggerFactory is null ? ConsoleLogs(mode) : null;
                var runner = new PipelineRunner(registry, settings, host.LoggerFactory ?? ownLogs, host.HttpClients, host.TimeProvider);
                RunSummary summary;
                using (new RunProgress(request.Target, writer, mode, timeProvider: host.TimeProvider))
                {
                    summary = await runner.RunAsync(request, cancellationToken).ConfigureAwait(false);
                }

                ownLogs?.Dispose();
                await writer.WriteLineAsync(summary.ToText()).ConfigureAwait(false);
                return summary.ExitCode;
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InputBindingException)
            {
                await errors.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }
            catch (Exception ex) when (ex is ConfigException or StateStoreException or ChainStateException or ArgumentException or FormatException or InvalidOperationException)
            {
                await errors.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        }));
        return command;
    }

    public Command List()
    {
        var command = new Command("list", "Lists the extractors, chains and output types this program knows.");
        command.SetAction(parse =>
        {
            var w = parse.InvocationConfiguration.Output;
            w.WriteLine("Extractors (run <name> as a pipeline into JSONL):");
            if (registry.Extractors.Count == 0)
            {
                w.WriteLine("  none");
            }

            foreach (var e in registry.Extractors.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                w.WriteLine($"  {e.Name,-24} {e.Input.TypeName} -> {e.Output.TypeName}   ({e.TypeName})");
                w.WriteLine($"  {"",-24} input: {InputBinder.Describe(e.Input)}");
            }

            w.WriteLine();
            w.WriteLine("Chains:");
            if (registry.Chains.Count == 0)
            {
                w.WriteLine("  none");
            }

            foreach (var c in registry.Chains.OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                w.WriteLine($"  {c.Name,-24} {c.InputType.Name} -> {c.OutputType.Name}   steps: {string.Join(" -> ", c.Definition.Steps.Select(s => $"{s.Name} ({s.Settings.Mode})"))}");
            }

            w.WriteLine();
            w.WriteLine($"Outputs: {string.Join(", ", registry.Outputs)}");
            return ExitCodes.Success;
        });
        return command;
    }

    public Command State()
    {
        var showName = new Argument<string>("name") { Description = "The pipeline (extractor) or chain." };
        var showState = StateOption();
        var showOutput = OutputOption();
        var show = new Command("show", "Shows the stored state of a pipeline or chain: last run, watermarks, checkpoints.") { showName, showState, showOutput };
        show.SetAction(Cancellable(async (parse, cancellationToken) =>
        {
            var w = parse.InvocationConfiguration.Output;
            string name = parse.GetRequiredValue(showName);
            string path = StatePath(parse.GetValue(showState), parse.GetValue(showOutput));
            try
            {
                if (await StateIdAsync(path, name, parse.InvocationConfiguration.Error, cancellationToken).ConfigureAwait(false) is not { } id)
                {
                    return ExitCodes.UsageError;
                }

                if (!HasStateFile(path))
                {
                    await w.WriteLineAsync($"No state file at {Path.GetFullPath(path)}: '{id}' has never run with it.").ConfigureAwait(false);
                    return ExitCodes.Success;
                }

                var store = await SqliteStateStore.OpenAsync(path, cancellationToken).ConfigureAwait(false);
                await using (store.ConfigureAwait(false))
                {
                    await w.WriteLineAsync(await StateText.DescribeAsync(store, id, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }
            catch (StateStoreException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        }));

        var resetName = new Argument<string>("name") { Description = "The pipeline (extractor) or chain." };
        var resetState = StateOption();
        var resetOutput = OutputOption();
        var reset = new Command("reset", "Forgets the stored state of a pipeline or chain: its next run starts from scratch.") { resetName, resetState, resetOutput };
        reset.SetAction(Cancellable(async (parse, cancellationToken) =>
        {
            var w = parse.InvocationConfiguration.Output;
            string name = parse.GetRequiredValue(resetName);
            string? outputDirectory = parse.GetValue(resetOutput);
            string path = StatePath(parse.GetValue(resetState), outputDirectory);
            try
            {
                if (await StateIdAsync(path, name, parse.InvocationConfiguration.Error, cancellationToken).ConfigureAwait(false) is not { } id)
                {
                    return ExitCodes.UsageError;
                }

                if (!HasStateFile(path))
                {
                    await w.WriteLineAsync($"No state file at {Path.GetFullPath(path)}: nothing to reset.").ConfigureAwait(false);
                    return ExitCodes.Success;
                }

                // A run of the pipeline, here or in another process, commits its journal and watermarks when it ends, which would undo
                // a reset made meanwhile: like replay, the reset takes the pipeline's turn before it opens the state to reset it, so it
                // comes before or after a run, never during one.
                var errors = parse.InvocationConfiguration.Error;
                using var turn = await PipelineRunner.TurnAsync(outputDirectory ?? PipelineHost.Settings(host).Output, id, lockFile => errors.WriteLine($"Waiting for another run of '{id}' to finish (lock: {lockFile})."), cancellationToken).ConfigureAwait(false);
                var store = await SqliteStateStore.OpenAsync(path, cancellationToken).ConfigureAwait(false);
                await using (store.ConfigureAwait(false))
                {
                    int scopes = await StateText.ResetAsync(store, id, cancellationToken).ConfigureAwait(false);
                    await w.WriteLineAsync(scopes == 0 ? $"'{id}' had no state in {store.Location}." : $"Reset '{id}': removed {scopes} scope(s) from {store.Location}; its next run starts from scratch.").ConfigureAwait(false);
                }

                return ExitCodes.Success;
            }
            catch (StateStoreException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        }));

        return new Command("state", "Shows or resets the stored state (watermarks, checkpoints, chain progress).") { show, reset };
    }

    public Command Replay()
    {
        var file = new Argument<string>("file") { Description = "A dead-letter file (<output>/<name>.dead-letter.jsonl)." };
        var output = OutputOption();
        var baseUrl = new Option<string?>("--base-url") { Description = "Requests the pages under this base URL (the API moved); by default, under the configured one, else where the run that failed requested them." };
        var state = StateOption();
        var command = new Command("replay", "Requests the failed pages of a dead-letter file again and writes their records; entries that fail again stay in the file.") { file, output, baseUrl, state };
        command.SetAction(Cancellable(async (parse, cancellationToken) =>
        {
            string path = parse.GetRequiredValue(file);
            if (!File.Exists(path))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"The dead-letter file '{path}' does not exist.").ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            string? moved;
            try
            {
                moved = PipelineHost.BaseUrl(parse.GetValue(baseUrl));
            }
            catch (InputBindingException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return ExitCodes.UsageError;
            }

            var settings = PipelineHost.Settings(host);
            string outputDirectory = parse.GetValue(output) ?? settings.Output;

            // Replay writes into the output folders of the entries' pipelines and chains (a chain step's entry into its chain's, a
            // pipeline file's pipeline's entry into the file's output): their runs, here or in another process, take turns with it.
            // Their locks come first, in the order a run takes them (a pipeline file's turn in its own directory, the CLI's run turns,
            // then the folders' own turns that any run into them takes), as a running pipeline takes its own before the dead-letter
            // file's when it appends.
            var pipelines = DeadLetterReplay.Owners(path);
            var files = DeadLetterReplay.PipelineFiles(path, registry, parse.GetValue(output), settings.Output);
            var folders = pipelines.Select(pipeline => (Folder: Path.Combine(outputDirectory, pipeline), Id: pipeline))
                .Concat(files.Values.Where(f => f.Folder is not null).Select(f => (Folder: f.Folder!, f.Pipeline!.Id)))
                .DistinctBy(f => PipelineRunner.Folder(f.Folder), FileLock.PathComparer);
            var turns = new List<FileLock>();
            try
            {
                // Ordered, as the pipelines' turns are: two replays naming the same files take them in one order.
                foreach (var (directory, id) in files.Values.Where(f => f.TurnDirectory is not null).Select(f => (Directory: f.TurnDirectory!, f.Pipeline!.Id)).Distinct().OrderBy(t => PipelineRunner.Folder(t.Directory), FileLock.PathComparer).ThenBy(t => t.Id, StringComparer.Ordinal))
                {
                    turns.Add(await PipelineRunner.TurnAsync(directory, id, cancellationToken).ConfigureAwait(false));
                }

                foreach (var pipeline in pipelines)
                {
                    turns.Add(await PipelineRunner.TurnAsync(outputDirectory, pipeline, cancellationToken).ConfigureAwait(false));
                }

                foreach (var (folder, id) in folders)
                {
                    turns.Add(await OutputTurn.TakeAsync(folder, "replay", id, null, cancellationToken).ConfigureAwait(false));
                }

                // Replay rewrites the file: no pipeline, here or in another process, appends to it meanwhile (they wait).
                using (await FileLock.AcquireAsync(path, cancellationToken).ConfigureAwait(false))
                {
                    if (DeadLetterWriter.Pending(path) is { Count: > 0 } pending)
                    {
                        // A batch of entries recorded but not yet appended would be appended after the rewrite, again.
                        await parse.InvocationConfiguration.Error.WriteLineAsync($"The dead-letter file '{path}' has entries that are not in it yet ({string.Join(", ", pending.Select(Path.GetFileName))}): a pipeline or chain is appending them, or was interrupted before it could. Let it finish, or run it again with the state file it ran with (its --state; its next start completes them, or removes those it never recorded), then replay. A file an earlier version named, which no run removes, can be deleted by hand once no run that writes this file is unfinished.").ConfigureAwait(false);
                        return ExitCodes.Failure;
                    }

                    using var ownLogs = host.LoggerFactory is null ? ConsoleLogs(ProgressMode.Plain) : null;
                    var runner = new PipelineRunner(registry, settings, host.LoggerFactory ?? ownLogs, host.HttpClients, host.TimeProvider);
                    var result = await DeadLetterReplay.RunAsync(runner, path, outputDirectory, StatePath(parse.GetValue(state), parse.GetValue(output)), pipelines, files, moved, cancellationToken).ConfigureAwait(false);
                    await parse.InvocationConfiguration.Output.WriteLineAsync(result.ToText()).ConfigureAwait(false);
                    return result.ExitCode;
                }
            }
            finally
            {
                foreach (var turn in turns)
                {
                    turn.Dispose();
                }
            }
        }));
        return command;
    }

    public Command Validate()
    {
        var file = new Argument<string>("file") { Description = "A pipeline or chain YAML file." };
        var command = new Command("validate", "Checks a pipeline or chain YAML file against the extractors of this program.") { file };
        command.SetAction(parse =>
        {
            // Where run writes: the file's own directory, else the configured output folder.
            string Folder(OutputConfig output) => output.HasDirectory ? output.Directory : PipelineHost.Settings(host).Output;
            string path = parse.GetRequiredValue(file);
            if (!File.Exists(path))
            {
                parse.InvocationConfiguration.Error.WriteLine($"The file '{path}' does not exist.");
                return ExitCodes.UsageError;
            }

            try
            {
                if (ConfigFiles.LoadChainOrPipeline(path, registry, out var chain, out var pipeline))
                {
                    parse.InvocationConfiguration.Output.WriteLine($"{path}: valid chain '{chain.Id}' ({chain.InputType.Name} -> {chain.OutputType.Name}), steps: {string.Join(" -> ", chain.Definition.Steps.Select(s => s.Name))}{(chain.Output is null ? "" : $", output {chain.Output.Type} to {Path.Combine(Folder(chain.Output), chain.Output.Name)}")}");
                }
                else
                {
                    parse.InvocationConfiguration.Output.WriteLine($"{path}: valid pipeline '{pipeline.Id}', extractor {pipeline.Extractor.Name} ({pipeline.Extractor.Input.TypeName} -> {pipeline.Extractor.Output.TypeName}){(pipeline.Output is null ? "" : $", output {pipeline.Output.Type} to {Path.Combine(Folder(pipeline.Output), pipeline.Output.Name)}")}");
                }

                return ExitCodes.Success;
            }
            catch (ConfigException ex)
            {
                parse.InvocationConfiguration.Error.WriteLine(ex.Message);
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    /// <summary>
    /// <paramref name="action"/>, which when cancelled (Ctrl+C, or the token given to <see cref="PipelineHost.RunAsync(string[], ComponentRegistry, Action{PipelineHostOptions}?, CancellationToken)"/>)
    /// before it could end on its own terms (e.g. while it waits for a pipeline's turn) prints "Cancelled." and exits with
    /// <see cref="ExitCodes.Failure"/> instead of throwing. System.CommandLine passes actions a token linked to the given one that
    /// Ctrl+C and SIGTERM cancel too, so that token is the one checked.
    /// </summary>
    private static Func<ParseResult, CancellationToken, Task<int>> Cancellable(Func<ParseResult, CancellationToken, Task<int>> action) => async (parse, cancellationToken) =>
    {
        try
        {
            return await action(parse, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    };

    private static Option<string?> OutputOption() => new("--output", "-o") { Description = "The output folder (default: ApiPipeline:Output, else ./out)." };

    private static Option<string?> StateOption() => new("--state") { Description = "The SQLite state file (default: <output>/.state/apipipeline.db)." };

    /// <summary>Whether <paramref name="path"/> is a state file (an empty file is none: SQLite would make it one).</summary>
    private static bool HasStateFile(string path) => File.Exists(path) && new FileInfo(path).Length > 0;

    /// <summary>
    /// The id that the state <paramref name="name"/> means is stored under: the name itself when the state file holds state of it
    /// (whatever ran with it: an extractor, a chain, a pipeline file's <c>pipeline_id</c>), else the id <c>run</c> keeps the state of
    /// the extractor or chain it names under, resolved as <c>run</c> resolves it (name, class name or full class name).
    /// <see langword="null"/> when it names nothing, after writing to <paramref name="errors"/> what does exist.
    /// </summary>
    private async Task<string?> StateIdAsync(string path, string name, TextWriter errors, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> stored = [];
        if (HasStateFile(path))
        {
            var store = await SqliteStateStore.OpenAsync(path, cancellationToken).ConfigureAwait(false);
            await using (store.ConfigureAwait(false))
            {
                if (await StateText.HasStateAsync(store, name, cancellationToken).ConfigureAwait(false))
                {
                    return name;
                }

                stored = await StateText.IdsAsync(store, cancellationToken).ConfigureAwait(false);
            }
        }

        if (registry.FindExtractor(name, out string problem) is { } extractor)
        {
            return extractor.Name;
        }

        if (PipelineRunner.FindChain(registry, name) is { } chain)
        {
            return chain.Name;
        }

        await errors.WriteLineAsync($"Nothing is called '{name}': {problem}; chains: {PipelineRunner.ChainNames(registry)}; with state in {Path.GetFullPath(path)}: {(stored.Count == 0 ? "none" : string.Join(", ", stored))}.").ConfigureAwait(false);
        return null;
    }

    private string StatePath(string? state, string? output)
    {
        if (state is not null)
        {
            return state;
        }

        var settings = PipelineHost.Settings(host);
        return output is null ? settings.StatePath : Path.Combine(output, ".state", "apipipeline.db");
    }

    /// <summary>Console logs: one line each; only warnings and errors while a live line is drawn.</summary>
    private static ILoggerFactory ConsoleLogs(ProgressMode mode) => Microsoft.Extensions.Logging.LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(mode == ProgressMode.Live ? LogLevel.Warning : LogLevel.Information);
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.UseUtcTimestamp = false;
        });
    });

    internal static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    internal static ILoggerFactory None => NullLoggerFactory.Instance;
}
