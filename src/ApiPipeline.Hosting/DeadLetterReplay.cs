using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ApiPipeline.Hosting;

/// <summary>What <c>replay</c> did.</summary>
/// <param name="File">The dead-letter file.</param>
/// <param name="Entries">Entries in the file.</param>
/// <param name="Replayed">Entries whose pages were read again and written, or whose late record was written.</param>
/// <param name="Records">Records written.</param>
/// <param name="Pages">Pages read.</param>
/// <param name="Left">
/// Entries left in the file, with why: they failed again or cannot be replayed, or a chain's later step made them as a step's entry was
/// replayed (they took its place).
/// </param>
/// <param name="Files">The files written.</param>
public sealed record ReplayResult(string File, int Entries, int Replayed, long Records, long Pages, IReadOnlyList<string> Left, IReadOnlyList<string> Files)
{
    /// <summary>
    /// Entries of failed inputs that the pipeline's state continues (<c>"skipped":"continued"</c>): removed from the file without a
    /// request, since the pipeline's next run with the input reads the rest.
    /// </summary>
    public IReadOnlyList<string> Continued { get; init; } = [];

    /// <summary>
    /// What else a reader of the result should know about entries replayed: a chain step's entry whose records could not be taken through
    /// the chain's later steps (and why), or later steps' inputs that failed under an error mode that leaves no entry.
    /// </summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// Inputs of chains' later steps that failed, as entries were replayed, under an error mode that leaves no entry (<c>Continue</c>): their
    /// records are missing, as after a run that skipped them (each is in <see cref="Notes"/>).
    /// </summary>
    public int Unrecorded { get; init; }

    /// <summary>
    /// 0 when every entry was replayed (or needed no replay) and nothing was skipped, 2 when some were (or a later step skipped an input,
    /// <see cref="Unrecorded"/>), 1 when none was.
    /// </summary>
    public int ExitCode => Left.Count == 0 && Unrecorded == 0 ? ExitCodes.Success : Replayed > 0 ? ExitCodes.PartialSuccess : ExitCodes.Failure;

    /// <summary>The result as plain text.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"replay '{File}': {Replayed} of {Entries} entries replayed, {Records:N0} records in {Pages:N0} pages, {Files.Count} file(s)").AppendLine();
        foreach (var continued in Continued)
        {
            text.Append(c, $"  removed: {continued}").AppendLine();
        }

        foreach (var note in Notes)
        {
            text.Append(c, $"  note: {note}").AppendLine();
        }

        foreach (var left in Left)
        {
            text.Append(c, $"  left: {left}").AppendLine();
        }

        if (Left.Count > 0)
        {
            text.Append(c, $"  {Left.Count} entr{(Left.Count == 1 ? "y stays" : "ies stay")} in the file.").AppendLine();
        }

        return text.ToString().TrimEnd();
    }
}

/// <summary>
/// Replays a dead-letter file (one <see cref="DeadLetterEntry"/> per line): each entry's failed page is requested again from its
/// checkpoint (the page only when the run had skipped just the page, the rest of the input when it had given up on the input), and the
/// records are committed to <c>&lt;output&gt;/&lt;pipeline&gt;</c>, or, for a pipeline file's pipeline, where the file's run writes them (its
/// <c>output</c> section); a late record (<see cref="LateRecordPolicy.DeadLetter"/>) is written there as it was read, without a request.
/// A step's entry of a chain this program registers (<c>&lt;chain&gt;/&lt;step&gt;</c>) is replayed through the chain's later steps into the
/// chain's output (<see cref="ChainExecutor{TIn, TOut}.ReplayAsync"/>); the entries of their failures take its place in the file. Entries that fail again, or cannot be replayed (their URL had a secret
/// redacted, their extractor is unknown), are written back to the file; when none is left the file is removed.
/// </summary>
internal static class DeadLetterReplay
{
    /// <summary>The pipelines and chains whose entries are in the file, ordered: replay holds their turns while it writes for them.</summary>
    public static IReadOnlyList<string> Owners(string path)
        => [.. new SortedSet<string>(Entries(path).Where(entry => entry.Pipeline is { Length: > 0 }).Select(entry => Owner(entry.Pipeline)), FileLock.PathComparer)];

    /// <summary>
    /// The pipeline files that the entries of <paramref name="path"/> name (<see cref="DeadLetterEntry.PipelineFile"/>), each loaded as
    /// <c>run</c> loads it, with where its run writes given replay's <paramref name="output"/> (<c>--output</c>, <see langword="null"/> when
    /// not given) and the host's output folder <paramref name="hostOutput"/>; or why it cannot be loaded.
    /// </summary>
    public static IReadOnlyDictionary<string, FileOutput> PipelineFiles(string path, ComponentRegistry registry, string? output, string hostOutput)
    {
        var files = new Dictionary<string, FileOutput>(FileLock.PathComparer);
        foreach (var file in Entries(path).Select(entry => entry.PipelineFile).OfType<string>().Distinct(FileLock.PathComparer))
        {
            if (!File.Exists(file))
            {
                files[file] = FileOutput.Unusable($"the file '{file}' does not exist");
                continue;
            }

            try
            {
                var pipeline = PipelineConfig.Load(file, registry);
                // As `run` creates the file's output: in --output, else in the file's directory, else in the host's output folder.
                string? directory = output ?? (pipeline.Output is { HasDirectory: false } ? hostOutput : null);
                string? turn = directory is null && pipeline.Output is { } own && !FileLock.PathComparer.Equals(PipelineRunner.Folder(own.Directory), PipelineRunner.Folder(hostOutput)) ? own.Directory : null;
                files[file] = new FileOutput(pipeline, directory, turn, null);
            }
            catch (Exception ex) when (ex is ConfigException or IOException or UnauthorizedAccessException)
            {
                files[file] = FileOutput.Unusable($"the file '{file}' cannot be loaded: {ex.Message}");
            }
        }

        return files;
    }

    /// <summary>The entries of the file, leaving out lines that are not one (<see cref="RunAsync"/> says so for each).</summary>
    private static IEnumerable<DeadLetterEntry> Entries(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            DeadLetterEntry? entry = null;
            try
            {
                entry = string.IsNullOrWhiteSpace(line) ? null : JsonSerializer.Deserialize(line, RuntimeJsonContext.Default.DeadLetterEntry);
            }
            catch (JsonException)
            {
                // Not an entry.
            }

            if (entry is not null)
            {
                yield return entry;
            }
        }
    }

    /// <summary>
    /// The owner (<see cref="OwnerTag"/>) whose temporary files replay writes for an entry, with the state file replay rolls forward
    /// from (its full path with symbolic links resolved: the identity of the <see cref="SqliteStateStore"/> a run opens there): for a pipeline's entry, the pipeline's
    /// run, into whose folder it writes; for a chain step's entry (<c>&lt;chain id&gt;/&lt;step&gt;</c>), the chain run when it goes through
    /// the chain's later steps into the chain's output (<paramref name="throughChain"/>), else the replays of that step's entries, which
    /// alone write into the step's own folder.
    /// </summary>
    internal static string Writer(DeadLetterEntry entry, string statePath, bool throughChain = false)
    {
        string state = RealPath.Of(statePath);
        return !IsChainStep(entry) ? OwnerTag.Pipeline(entry.Pipeline, state)
            : throughChain ? OwnerTag.Chain(entry.Pipeline[..entry.Pipeline.LastIndexOf('/')], state)
            : OwnerTag.StepReplay(entry.Pipeline, state);
    }

    /// <summary>Whether the entry is a chain step's (<c>&lt;chain id&gt;/&lt;step&gt;</c>; a pipeline id has no <c>/</c>).</summary>
    private static bool IsChainStep(DeadLetterEntry entry) => entry.Pipeline.Contains('/', StringComparison.Ordinal);

    /// <summary>The pipeline or chain whose run writes an entry's output: a chain step's entries name <c>&lt;chain&gt;/&lt;step&gt;</c>.</summary>
    private static string Owner(string pipeline) => pipeline.Split('/')[0];

    /// <summary>
    /// Puts in place the batch each of <paramref name="owners"/>' last runs recorded in the state file (<see cref="JsonlOutput{T}.RollForward"/>),
    /// as their next run would, before replay writes into their folders: a run that stopped between recording a batch and renaming its
    /// files left them there. Nothing else is removed: what no batch in this state file names may be another state file's (a run given
    /// <c>--state</c>), and replay's writer leaves it alone and numbers its own parts after it.
    /// </summary>
    private static async Task RollForwardAsync(string statePath, IEnumerable<string> owners, CancellationToken cancellationToken)
    {
        if (!File.Exists(statePath))
        {
            return;
        }

        var store = await SqliteStateStore.OpenAsync(statePath, cancellationToken).ConfigureAwait(false);
        await using (store.ConfigureAwait(false))
        {
            foreach (var owner in owners)
            {
                JsonlOutput<object>.RollForward(await new ChainStateStore(store, owner).GetPreparedAsync(cancellationToken).ConfigureAwait(false));
                JsonlOutput<object>.RollForward((await new PipelineJournal(store, owner).LoadRunAsync(cancellationToken).ConfigureAwait(false))?.LastCommit);
            }
        }
    }

    /// <summary>Replays the entries of <paramref name="path"/> whose pipeline is one of <paramref name="held"/> (whose turns the caller holds).</summary>
    /// <remarks>
    /// Each page is requested under <paramref name="baseUrl"/> when given (the API moved), else under the extractor's configured base URL
    /// (<c>ApiPipeline:Extractors:&lt;name&gt;:BaseUrl</c> or <c>Defaults</c>; for a pipeline file's entry, the file's settings over those, as
    /// its run has them), else where the failed run made it (the base URL its
    /// checkpoint notes: a run's <c>--base-url</c>, a pipeline file's <c>base_url</c>), and only then under the compiled one. An entry of a
    /// pipeline file's pipeline (<see cref="DeadLetterEntry.PipelineFile"/>) is written where the file's run writes, through the output
    /// <paramref name="pipelineFiles"/> holds for it (<see cref="PipelineFiles"/>); it stays in the file when that file can no longer be
    /// loaded, or no longer runs the entry's pipeline and extractor.
    /// </remarks>
    public static async Task<ReplayResult> RunAsync(PipelineRunner runner, string path, string outputDirectory, string statePath, IReadOnlyCollection<string> held, IReadOnlyDictionary<string, FileOutput> pipelineFiles, string? baseUrl, CancellationToken cancellationToken)
    {
        await RollForwardAsync(statePath, held, cancellationToken).ConfigureAwait(false);
        var lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
        var keep = new List<string>();
        var left = new List<string>();
        var continued = new List<string>();
        var notes = new List<string>();
        int unrecorded = 0;
        var files = new List<string>();
        int entries = 0, replayed = 0;
        long records = 0, pages = 0;
        for (int index = 0; index < lines.Length; index++)
        {
            string line = lines[index];
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            entries++;
            DeadLetterEntry? entry;
            try
            {
                entry = JsonSerializer.Deserialize(line, RuntimeJsonContext.Default.DeadLetterEntry);
            }
            catch (JsonException ex)
            {
                entry = null;
                left.Add($"line {entries}: not a dead-letter entry ({ex.Message})");
            }

            if (entry is null)
            {
                keep.Add(line);
                continue;
            }

            bool late = entry.Kind == DeadLetterEntry.LateRecordKind;
            if (entry.Skipped == DeadLetterEntry.InputContinued)
            {
                // Nothing was skipped: the pipeline's next run with the input continues it from its checkpoint. Requesting the rest here
                // too would write it twice, so the entry only leaves the file.
                continued.Add($"{entry.Pipeline}/{entry.Extractor} page {entry.Page}{(entry.Input is null ? "" : $" of {entry.Input}")}: nothing to replay: the input was not skipped; the pipeline's state keeps its checkpoint, and its next run with the input continues from there");
                await RemoveAsync(path, keep, lines, index).ConfigureAwait(false);
                continue;
            }

            if (entry.Kind == DeadLetterEntry.MappingKind)
            {
                left.Add($"{entry.Pipeline}: the step's mapping failed for a record of the step before ({entry.Error}), so nothing was requested and replay has no input to build; fix the mapping (or the data), run the chain again, then remove the line");
                keep.Add(line);
                continue;
            }

            if (!late && entry.Skipped == DeadLetterEntry.RecordSkipped)
            {
                // A chain step's record did not go on to the later steps either: loading it means taking it through them too.
                left.Add($"{entry.Pipeline}/{entry.Extractor} page {entry.Page}: a record that does not fit the record type ({entry.Error}); it cannot be replayed as it is: fix the record type (or the data), load the record from this line{(IsChainStep(entry) ? " (through the chain's later steps, which did not receive it)" : "")}, then remove the line");
                keep.Add(line);
                continue;
            }

            string what = late ? $"{entry.Pipeline}/{entry.Extractor} late record (watermark {entry.Watermark}, partition {entry.Partition})" : $"{entry.Pipeline}/{entry.Extractor} page {entry.Page}";
            if (late && entry.Record is null)
            {
                left.Add($"{what}: the entry holds no record");
                keep.Add(line);
                continue;
            }

            if (!late && (entry.Resume is null || SecretQuery.HasRedacted(entry.Resume.Url)))
            {
                left.Add($"{what}: no checkpoint to replay from{(entry.Resume is null ? "" : " (its URL had a secret redacted)")}");
                keep.Add(line);
                continue;
            }

            if (!held.Contains(Owner(entry.Pipeline), FileLock.PathComparer))
            {
                left.Add($"{what}: appended while the replay was starting; replay again");
                keep.Add(line);
                continue;
            }

            var extractor = runner.Registry.FindExtractor(entry.Extractor, out var problem);
            if (extractor is null)
            {
                left.Add($"{what}: {problem}");
                keep.Add(line);
                continue;
            }

            FileOutput? file = null;
            if (entry.PipelineFile is { } named)
            {
                if (!pipelineFiles.TryGetValue(named, out file))
                {
                    left.Add($"{what}: appended while the replay was starting; replay again");
                    keep.Add(line);
                    continue;
                }

                string? unusable = file.Problem ?? (file.Pipeline!.Id != entry.Pipeline || file.Pipeline.Extractor.Name != extractor.Name
                    ? $"the file '{named}' now runs pipeline '{file.Pipeline.Id}' of extractor '{file.Pipeline.Extractor.Name}'"
                    : null);
                if (unusable is not null)
                {
                    left.Add($"{what}: its records go where its pipeline file's run writes them, but {unusable}; restore the file, then replay again");
                    keep.Add(line);
                    continue;
                }
            }

            try
            {
                string? made = entry.Resume?.BaseUrl is { } recorded && !recorded.Contains("***", StringComparison.Ordinal) ? recorded : null;
                string? note = null;
                if (!late && ChainOf(runner, entry, extractor) is { } chain)
                {
                    var stepReplay = new ChainStepReplay(runner, entry, chain.Step, extractor.Accept(new EntryInput(entry)), outputDirectory, baseUrl, made, Writer(entry, statePath, throughChain: true), cancellationToken);
                    var outcome = await chain.Definition.Accept(stepReplay).ConfigureAwait(false);
                    if (stepReplay.DisposeError is { } stepsUndisposed)
                    {
                        notes.Add($"{what}: disposing the chain's step extractors failed: {stepsUndisposed.Message}");
                    }

                    if (outcome.Result is { } result)
                    {
                        if (result.Status is PipelineStatus.Failed or PipelineStatus.Cancelled)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            left.Add($"{what}: failed again: {result.Error?.Message}");
                            keep.Add(line);
                            continue;
                        }

                        replayed++;
                        records += result.Records;
                        pages += result.Steps.Sum(step => step.Pages);
                        files.AddRange(result.Files);
                        foreach (var later in outcome.DeadLetters)
                        {
                            // The entries of later steps' failures take the place of the one replayed, in the same rewrite of the file.
                            keep.Add(JsonSerializer.Serialize(later, RuntimeJsonContext.Default.DeadLetterEntry));
                            left.Add($"{later.Pipeline}/{later.Extractor} page {later.Page}{(later.Input is null ? "" : $" of {later.Input}")}: failed as {what} was replayed: {later.Error}");
                        }

                        unrecorded += outcome.Unrecorded.Count;
                        foreach (var failure in outcome.Unrecorded)
                        {
                            notes.Add($"{what}: step '{failure.Step}' failed for {failure.Input ?? "an input"}, and its error mode leaves no entry: {failure.Error.Message}");
                        }

                        await RemoveAsync(path, keep, lines, index).ConfigureAwait(false);
                        continue;
                    }

                    note = $"{what}: its records were written to '{Path.Combine(outputDirectory, entry.Pipeline)}', not taken through the later steps of chain '{chain.Definition.Name}' into its output: {outcome.Cannot}; to complete the chain's output, reset the chain's state and run it again for that input";
                }
                else if (!late && IsChainStep(entry))
                {
                    note = $"{what}: its records were written to '{Path.Combine(outputDirectory, entry.Pipeline)}': '{Owner(entry.Pipeline)}' is not a chain this program registers with a step '{entry.Pipeline[(entry.Pipeline.LastIndexOf('/') + 1)..]}' of extractor '{extractor.Name}' (a chain file's, or one of parallel chains), so its later steps, if any, did not run for them";
                }

                // A pipeline file's entry is requested with the file's settings (its base_url, retries, …) over the host's, as its run was.
                var configured = file?.Pipeline is { } loaded ? runner.FileSettings(loaded).Options : runner.Options.For(extractor.Name).ApplyTo(new ExtractorOptions(), extractor.Resilience);
                var options = runner.Common(configured, new RunRequest { Target = extractor.Name, BaseUrl = baseUrl ?? configured.BaseUrl ?? made });
                // The requests go through the client the entry's run used: its chain's for a chain step's entry, else its extractor's.
                var httpClient = runner.HttpClientFor(IsChainStep(entry) ? Owner(entry.Pipeline) : extractor.Name);
                var replay = new Replay(entry, options, httpClient, outputDirectory, file, Writer(entry, statePath), cancellationToken);
                var done = await extractor.Accept(replay).ConfigureAwait(false);
                if (replay.DisposeError is { } undisposed)
                {
                    notes.Add($"{what}: disposing extractor '{extractor.Name}' failed: {undisposed.Message}");
                }

                replayed++;
                records += done.Records;
                pages += done.Pages;
                files.AddRange(done.Files);
                if (note is not null)
                {
                    notes.Add(note);
                }

                // Its records are committed: the entry leaves the file now, so that a replay stopped later (an error, Ctrl+C) and run
                // again does not write them a second time.
                await RemoveAsync(path, keep, lines, index).ConfigureAwait(false);
            }
            catch (ExtractionException ex)
            {
                left.Add($"{what}: failed again: {ex.Message}");
                keep.Add(line);
            }
            catch (JsonException ex) when (late)
            {
                left.Add($"{what}: the record does not fit the extractor's record type ({ex.Message})");
                keep.Add(line);
            }
            catch (CheckpointSecretMissingException) when (entry.Resume is { } resume)
            {
                // The checkpoint kept a secret query value out (a marker), and neither the entry's input nor the base URL holds it now.
                left.Add($"{what}: its checkpoint kept a secret query value out ({UrlRedactor.Redact(resume.Url)}), and neither the entry's input nor the base URL (a pipeline file's base_url, or the configured one) holds the value the run used: put back the key the run used (or give it with --base-url), then replay again");
                keep.Add(line);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                left.Add($"{what}: cannot be replayed: {ex.Message}");
                keep.Add(line);
            }
        }

        return new ReplayResult(path, entries, replayed, records, pages, left, files) { Continued = continued, Notes = notes, Unrecorded = unrecorded };
    }

    /// <summary>
    /// The registered chain and step (1-based) whose run made <paramref name="entry"/>: its <c>pipeline</c> is <c>&lt;chain&gt;/&lt;step&gt;</c>,
    /// the chain's name as the CLI runs it, and the step takes and makes what <paramref name="extractor"/> does; <see langword="null"/>
    /// for any other entry (a pipeline's, a chain file's, one of parallel chains, <c>&lt;chain&gt;/&lt;key&gt;/&lt;step&gt;</c>).
    /// </summary>
    private static EntryChain? ChainOf(PipelineRunner runner, DeadLetterEntry entry, ExtractorRegistration extractor)
    {
        int slash = entry.Pipeline.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || entry.Pipeline.IndexOf('/', slash + 1) >= 0)
        {
            return null;
        }

        string id = entry.Pipeline[..slash], name = entry.Pipeline[(slash + 1)..];
        var chain = runner.Registry.Chains.FirstOrDefault(c => c.Name == id);
        var step = chain?.Definition.Steps.FirstOrDefault(s => s.Name == name);
        return step is not null && step.InputType == extractor.InputType && step.OutputType == extractor.OutputType ? new EntryChain(chain!.Definition, step.Index) : null;
    }

    /// <summary>The checkpoint an entry was made at, where its replay starts.</summary>
    private static PageCheckpoint Checkpoint(DeadLetterEntry entry)
        => new(entry.Resume!.Url, entry.Resume.PageNumber, entry.Resume.RecordsBefore) { BaseUrl = entry.Resume.BaseUrl };

    /// <summary>Removes the entry at <paramref name="index"/>: the file keeps <paramref name="keep"/> (entries before it that stay) and the lines after it.</summary>
    private static Task RemoveAsync(string path, List<string> keep, string[] lines, int index)
        => RewriteAsync(path, [.. keep, .. lines.Skip(index + 1).Where(l => !string.IsNullOrWhiteSpace(l))]);

    /// <summary>
    /// Replaces the dead-letter file with <paramref name="lines"/> (atomically, through a temporary file flushed to disk), or deletes it
    /// when none is left; either reaches the disk before the next entry is replayed, so a power loss cannot bring a handled entry back.
    /// </summary>
    private static async Task RewriteAsync(string path, IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            File.Delete(path);
        }
        else
        {
            string temp = path + ".replay.tmp";
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true))
            await using (var writer = new StreamWriter(file))
            {
                foreach (var line in lines)
                {
                    await writer.WriteLineAsync(line).ConfigureAwait(false);
                }

                await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }

        DurableDirectory.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    private sealed class Replay(DeadLetterEntry entry, ExtractorOptions options, HttpClient? httpClient, string outputDirectory, FileOutput? file, string writer, CancellationToken cancellationToken)
        : IExtractorRegistrationVisitor<Task<(long Records, long Pages, IReadOnlyList<string> Files)>>
    {
        public async Task<(long Records, long Pages, IReadOnlyList<string> Files)> Visit<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration)
        {
            if (entry.Kind == DeadLetterEntry.LateRecordKind)
            {
                return await WriteLateRecordAsync(registration).ConfigureAwait(false);
            }

            var extractor = registration.CreateExtractor(httpClient, options);
            try
            {
                return await ReplayAsync(registration, extractor).ConfigureAwait(false);
            }
            finally
            {
                DisposeError = await Disposal.TryAsync(() => Disposal.DisposeAsync(extractor)).ConfigureAwait(false);
            }
        }

        /// <summary>Why disposing the extractor failed, if it did: what the replay committed stays committed (its entry leaves the file).</summary>
        public Exception? DisposeError { get; private set; }

        /// <summary>Extracts the entry's page (or pages, from its checkpoint on) with <paramref name="extractor"/> into the pipeline's JSONL output.</summary>
        private async Task<(long Records, long Pages, IReadOnlyList<string> Files)> ReplayAsync<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration, IExtractor<TIn, TOut> extractor)
        {
            var checkpoint = Checkpoint(entry);
            bool pageOnly = entry.Skipped == DeadLetterEntry.PageSkipped;
            if (!pageOnly && checkpoint.PageNumber == 1 && !IsChainStep(entry) && extractor.TimeWindows is { MaxResults: > 0 } windows)
            {
                // Read as one query, a window deeper than the API returns would lose what lies past the cap: a run halves it.
                throw new InvalidOperationException($"it is a time window that failed on its first page, which only a run can read whole (it halves a window holding more than MaxResults, {windows.MaxResults:N0}, results); run a backfill over its range{(entry.Since is null ? "" : $" --from {entry.Since}")}{(entry.Until is null ? "" : $" --to {entry.Until}")}, then remove this entry");
            }

            // The entry's bounds: records outside them were out of the run's range, or are the ordinary runs' to write (an API without
            // the watermark's parameters sends them).
            WatermarkValue? since = WatermarkValue.TryParse(entry.Since, out var start) ? start : null;
            WatermarkValue? until = WatermarkValue.TryParse(entry.Until, out var end) ? end : null;
            var inRange = (since ?? until) is not null && (registration.Watermark ?? extractor.Watermark) is { } watermark
                ? (Func<TOut, bool>)(record => watermark.Read(record) is not { } mark || ((since is null || mark >= since) && (until is null || mark < until)))
                : null;
            long records = 0, pages = 0;
            var output = Output(registration);
            await using (output.ConfigureAwait(false))
            {
                await ClaimAsync(output).ConfigureAwait(false);
                await foreach (var page in extractor.ExtractPagesAsync(ReplayInput(entry, registration), checkpoint, cancellationToken).ConfigureAwait(false))
                {
                    if (page.Error is { } error)
                    {
                        throw error;
                    }

                    ReadOnlyMemory<TOut> kept = inRange is null ? page.Records : page.Records.ToArray().Where(inRange).ToArray();
                    await output.WriteAsync(kept, cancellationToken).ConfigureAwait(false);
                    records += kept.Length;
                    pages++;
                    if (pageOnly)
                    {
                        break;
                    }
                }

                var commit = await output.CommitAsync(cancellationToken).ConfigureAwait(false);
                return (records, pages, commit.Files);
            }
        }

        /// <summary>
        /// The output the entry's records go to: its pipeline file's, created as the file's run creates it (directory, name,
        /// <c>partition_by</c>, type), when it names a file with an <c>output</c> section; else the JSON Lines dataset
        /// <c>&lt;output&gt;/&lt;pipeline&gt;</c>, as a run of the pipeline writes it.
        /// </summary>
        private IOutput<TOut> Output<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration)
            => file is { Pipeline.Output: not null }
                ? (IOutput<TOut>)file.Create()
                : new JsonlOutput<TOut>(registration.RecordTypeInfo, new JsonlOutputOptions<TOut> { Directory = outputDirectory, Name = entry.Pipeline });

        /// <summary>
        /// Makes <paramref name="output"/>'s temporary files <see cref="Writer"/>'s: in a pipeline's folder, its run's (whose next start
        /// removes what a killed replay left); in a chain step's own folder, where only replays of its entries write, theirs, recovering
        /// the folder for them first, which removes what a killed one left.
        /// </summary>
        private async ValueTask ClaimAsync<TOut>(IOutput<TOut> output)
        {
            if (IsChainStep(entry))
            {
                await output.RecoverAsync(writer, null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                output.WriteAs(writer);
            }
        }

        /// <summary>
        /// The input the extractor is given. A generated extractor needs it only to build the first URL, and a replay starts at the
        /// checkpoint. A hand-written one is given its input on every call: none for <see cref="NoInput"/>, else the entry's input (its
        /// <see cref="ExtractionException.Input"/>, a JSON object of plain values), bound through the registry's shape of the input type.
        /// </summary>
        public static TIn ReplayInput<TIn, TOut>(DeadLetterEntry entry, ExtractorRegistration<TIn, TOut> registration)
        {
            if (!registration.IsHandWritten)
            {
                return default!;
            }

            if (typeof(TIn) == typeof(NoInput))
            {
                return (TIn)(object)NoInput.Value;
            }

            return InputValues(entry.Input) is { } values
                ? (TIn)InputBinder.Bind(registration.Input, values)
                : throw new InvalidOperationException($"'{registration.Name}' is a hand-written extractor, which is given its input on every call, and the entry's input is {(entry.Input is null ? "not there" : "not a JSON object of plain values with nothing masked")}; put the input's JSON in the ExtractionException's Input, or run the pipeline again with the input");
        }

        /// <summary>The members of an input written as a JSON object of plain values, or <see langword="null"/> when it is not one (or a secret was masked).</summary>
        public static Dictionary<string, string>? InputValues(string? json)
        {
            if (json is null || !json.StartsWith('{'))
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(json);
                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var member in document.RootElement.EnumerateObject())
                {
                    switch (member.Value.ValueKind)
                    {
                        case JsonValueKind.Null:
                            break;
                        case JsonValueKind.String when member.Value.GetString() is { } text && !text.Contains("***", StringComparison.Ordinal):
                            values[member.Name] = text;
                            break;
                        case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                            values[member.Name] = member.Value.GetRawText();
                            break;
                        default:
                            return null;
                    }
                }

                return values;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        /// <summary>A late record is written as it was read (no request): the pipeline had left it out of the output.</summary>
        private async Task<(long Records, long Pages, IReadOnlyList<string> Files)> WriteLateRecordAsync<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration)
        {
            var typeInfo = registration.RecordTypeInfo;
            var record = entry.Record!.Value.Deserialize(typeInfo) ?? throw new JsonException("the record is null");
            var output = Output(registration);
            await using (output.ConfigureAwait(false))
            {
                await ClaimAsync(output).ConfigureAwait(false);
                await output.WriteAsync(new[] { record }, cancellationToken).ConfigureAwait(false);
                var commit = await output.CommitAsync(cancellationToken).ConfigureAwait(false);
                return (1, 0, commit.Files);
            }
        }
    }

    /// <summary>
    /// Where the run of a pipeline file that entries name writes (<see cref="PipelineFiles"/>), for replay to write their records there
    /// too: the file's <c>output</c> section (directory, name, <c>partition_by</c>, type) created in <paramref name="Directory"/> as
    /// <c>run</c> creates it (<see langword="null"/>: in the file's own directory), and the directory besides the host's output folder
    /// where the run takes its turn (<paramref name="TurnDirectory"/>: the file's own, when the output goes there and it is another
    /// folder). <paramref name="Pipeline"/> is <see langword="null"/> when the file cannot be loaded, and <paramref name="Problem"/> says why.
    /// </summary>
    internal sealed record FileOutput(LoadedPipeline? Pipeline, string? Directory, string? TurnDirectory, string? Problem)
    {
        /// <summary>A file that cannot be loaded, and why.</summary>
        public static FileOutput Unusable(string problem) => new(null, null, null, problem);

        /// <summary>
        /// The JSON Lines dataset folder the file's output writes, whose turn replay takes; <see langword="null"/> when the file has no
        /// <c>output</c> section (its run writes <c>&lt;output&gt;/&lt;pipeline&gt;</c>) or names a user output type, which keeps its own rules.
        /// </summary>
        public string? Folder => Pipeline?.Output is { Registration: null } output ? Path.Combine(Directory ?? output.Directory, output.Name) : null;

        /// <summary>Creates the file's output, as <c>run</c> creates it (an <see cref="IOutput{T}"/> of the pipeline's records).</summary>
        public object Create() => Pipeline!.CreateOutput(Directory);
    }

    /// <summary>A registered chain and the 1-based step whose entry is replayed.</summary>
    private sealed record EntryChain(ChainDefinition Definition, int Step);

    /// <summary>What a chain step's entry replayed through the later steps came to.</summary>
    /// <param name="Result">The replay's result; <see langword="null"/> when it could not run (<paramref name="Cannot"/>).</param>
    /// <param name="DeadLetters">The entries of the later steps' failures, to take the replayed entry's place in the file.</param>
    /// <param name="Unrecorded">The later steps' failures that their error mode leaves no entry of.</param>
    /// <param name="Cannot">Why the later steps cannot run for the entry's records.</param>
    private sealed record ChainOutcome(ChainResult? Result, IReadOnlyList<DeadLetterEntry> DeadLetters, IReadOnlyList<ChainFailure> Unrecorded, string? Cannot)
    {
        public static ChainOutcome CannotRun(string why) => new(null, [], [], why);
    }

    /// <summary>The step's input an entry's replay gives its extractor (<see cref="Replay.ReplayInput"/>); <see langword="null"/> for a generated one.</summary>
    private sealed class EntryInput(DeadLetterEntry entry) : IExtractorRegistrationVisitor<object?>
    {
        public object? Visit<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration)
            => registration.IsHandWritten ? Replay.ReplayInput(entry, registration) : null;
    }

    /// <summary>
    /// A chain step's entry replayed as the chain's run would have gone on: the step requests the page (or the rest of the input) again,
    /// and the later steps take its records, with the chain input and lineage the entry carries, into the chain's output
    /// (<c>&lt;output&gt;/&lt;chain&gt;/</c>), with the chain's settings as <c>run</c> gives them.
    /// </summary>
    private sealed class ChainStepReplay(PipelineRunner runner, DeadLetterEntry entry, int step, object? stepInput, string outputDirectory, string? baseUrl, string? made, string writer, CancellationToken cancellationToken)
        : IChainDefinitionVisitor<Task<ChainOutcome>>
    {
        public async Task<ChainOutcome> Visit<TIn, TOut>(ChainDefinition<TIn, TOut> definition)
        {
            string id = definition.Name;
            TIn input = default!;
            ChainLineage? lineage = null;
            if (step == definition.Steps.Count && entry.Chain is null)
            {
                return ChainOutcome.CannotRun("the entry does not say it comes from a run of this chain (an entry of a chain file, of a chain run outside this program's command line, or made before entries said so)");
            }

            if (step < definition.Steps.Count)
            {
                if (entry.Chain is not { Input: { } given } chain)
                {
                    return ChainOutcome.CannotRun("the entry does not carry the chain input and earlier steps' records the later steps read (an entry of a chain file, of a chain run outside this program's command line, or made before entries carried them)");
                }

                if (!TryChainInput(given, out input))
                {
                    return ChainOutcome.CannotRun("the chain input in the entry had a value masked (a member whose name looks secret, or a secret in a URL)");
                }

                var read = Enumerable.Range(1, step - 1).Where(s => definition.LastReader[s] > step).ToList();
                if (read.Count > 0)
                {
                    lineage = chain.Lineage is { } kept ? ChainStateStore.ReadLineage(Encoding.UTF8.GetBytes(kept.GetRawText()), definition) : null;
                    if (lineage is null || read.Except(lineage.Entries.Select(e => e.Step)).Any())
                    {
                        return ChainOutcome.CannotRun($"the entry does not carry the records of step(s) {string.Join(", ", read.Select(s => $"'{definition.Steps[s - 1].Name}'"))} that later steps read (they had members whose names look secret, or their JSON metadata is unknown)");
                    }
                }
            }

            // As `run` would: --base-url for every step, else each step's configured or compiled base URL; the entry's own step, with
            // neither, requests where its failed run did (a run's --base-url).
            var options = runner.ChainOptionsFor(definition, id, new RunRequest { Target = id, BaseUrl = baseUrl }, outputDirectory) with { DeadLetterInput = entry.Chain?.Input };
            string stepName = definition.Steps[step - 1].Name;
            if (options.ForStep(stepName) is { BaseUrl: null } own && made is not null)
            {
                options = options with { Steps = new Dictionary<string, ExtractorOptions>(options.Steps ?? new Dictionary<string, ExtractorOptions>(), StringComparer.Ordinal) { [stepName] = own with { BaseUrl = made } } };
            }

            var executor = new ChainExecutor<TIn, TOut>(definition, runner.HttpClientFor(id), options);
            var replay = new ChainReplay(step, stepInput, Checkpoint(entry), entry.Skipped == DeadLetterEntry.PageSkipped, lineage) { EntryInput = entry.Input };
            try
            {
                var output = runner.ChainOutput(definition, id, outputDirectory);
                await using (output.ConfigureAwait(false))
                {
                    output.WriteAs(writer);
                    var result = await executor.ReplayAsync(replay, input, output, cancellationToken).ConfigureAwait(false);
                    var unrecorded = result.Failures.Where(f => f.StepIndex > step && !(executor.GetErrorMode(f.StepIndex - 1) == ErrorMode.DeadLetter && f.Error is ExtractionException)).ToList();
                    return new ChainOutcome(result, replay.DeadLetters, unrecorded, null);
                }
            }
            finally
            {
                DisposeError = await Disposal.TryAsync(executor.DisposeStepsAsync).ConfigureAwait(false);
            }
        }

        /// <summary>Why disposing the step extractors failed, if it did: what the replay committed stays committed (its entry leaves the file).</summary>
        public Exception? DisposeError { get; private set; }

        /// <summary>Builds the chain input from the values the entry carries; <see langword="false"/> when one was masked.</summary>
        private bool TryChainInput<TIn>(JsonElement given, out TIn input)
        {
            var values = Replay.InputValues(given.GetRawText());
            input = values is null ? default! : (TIn)InputBinder.Bind(runner.InputShape<TIn>($"Chain '{entry.Pipeline}'"), values);
            return values is not null;
        }
    }
}
