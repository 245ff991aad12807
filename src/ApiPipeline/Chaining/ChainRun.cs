using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace ApiPipeline;

/// <summary>
/// One run of a chain: the stages of its steps connected by bounded channels, the shared cancellation, the counters and failures.
/// The first fatal error cancels every stage; what the output already received is still committed.
/// </summary>
internal sealed class ChainRun : IDisposable
{
    // The steps of the run commit their dead-letter entries one batch at a time: the chain's state records one batch, which must be
    // appended before a later one takes its place. (Appends to the file, which other runs may share, are serialised by FileLock.)
    private readonly SemaphoreSlim _deadLetterGate = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<ChainFailure> _failures = [];
    private readonly CancellationTokenSource _stop;
    // Per step (0-based): the step's own writer, so a commit carries only that step's entries; null when the step does not dead-letter.
    private readonly DeadLetterWriter?[] _deadLetters;
    private bool _deadLettersBroken;
    private Exception? _error;
    // A fatal failure was recorded: the run is stopping.
    private bool _stopping;

    public ChainRun(ChainDefinition definition, string chainId, IReadOnlyList<object> extractors, ErrorMode[] modes, ChainOptions options, ChainStateStore? state, bool resuming, object? input, object output, CancellationToken cancellationToken)
    {
        Definition = definition;
        ChainId = chainId;
        Extractors = extractors;
        Modes = modes;
        Options = options;
        State = state;
        Resuming = resuming;
        Input = input;
        Output = output;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Counters = [.. definition.Steps.Select(_ => new StepCounters())];
        _deadLetters = [.. modes.Select(mode => mode == ErrorMode.DeadLetter && options.DeadLetterPath is { } path ? new DeadLetterWriter(Path.GetFullPath(path), chainId, OwnerTag.Chain(chainId, options.StateStore?.Identity)) : null)];
    }

    public ChainDefinition Definition { get; }

    public string ChainId { get; }

    public IReadOnlyList<object> Extractors { get; }

    /// <summary>The error mode in force per step (0-based).</summary>
    public ErrorMode[] Modes { get; }

    public ChainOptions Options { get; }

    /// <summary>The runtime's logger, when <see cref="ChainOptions.LoggerFactory"/> is set.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger => Options.LoggerFactory?.CreateLogger(Log.Category);

    public ChainStateStore? State { get; }

    /// <summary>Whether this run continues an unfinished one: inputs are looked up in the state before they are extracted.</summary>
    public bool Resuming { get; }

    public object? Input { get; }

    public object Output { get; }

    public CancellationToken Token => _stop.Token;

    public StepCounters[] Counters { get; }

    /// <summary>Records committed to the output by this run.</summary>
    public long Committed { get; set; }

    public List<string> Files { get; } = [];

    public Exception? Error
    {
        get
        {
            lock (_gate)
            {
                return _error;
            }
        }
    }

    public IReadOnlyList<ChainFailure> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    public string? DeadLetterFile => _deadLetters.FirstOrDefault(writer => writer is { Written: true })?.Path ?? RecoveredDeadLetterFile;

    public Channel<T> CreateChannel<T>() => Channel.CreateBounded<T>(new BoundedChannelOptions(Math.Max(1, Options.ChannelCapacity))
    {
        SingleWriter = false,
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Runs one stage; a failure stops the run, and the stage's output channel is completed either way.</summary>
    public async Task RunStageAsync(Func<CancellationToken, Task> body, Action? complete = null)
    {
        await Task.Yield();
        try
        {
            await body(Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            complete?.Invoke();
        }
    }

    /// <summary>Records the error that stops the run (the first one wins) and cancels every stage.</summary>
    public void Fail(Exception error)
    {
        lock (_gate)
        {
            _error ??= error;
        }

        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Appends the dead-letter entries of the chain's last recorded commit that a crash kept from the file (before anything else of the
    /// chain's state is touched: a new run clears it).
    /// </summary>
    /// <returns>The dead-letter file, when entries were appended to it.</returns>
    public static async ValueTask<string?> RollForwardDeadLettersAsync(ChainStateStore state, string chainId, CancellationToken cancellationToken)
        => await state.GetDeadLettersAsync(cancellationToken).ConfigureAwait(false) is { } letters
           && await DeadLetterWriter.RollForwardAsync(letters, chainId, cancellationToken).ConfigureAwait(false)
            ? letters.FinalPath
            : null;

    /// <summary>
    /// Set when the run replays a dead-letter entry: it starts at the entry's step, keeps the later steps' entries for the replay, and
    /// commits the output once, at its end, only when no step failed fatally (a replay that fails leaves its entry, and writes nothing
    /// that a second replay of it would write again).
    /// </summary>
    public ChainReplay? Replay { get; init; }

    /// <summary>The dead-letter file that start-up recovery appended an interrupted run's entries to, if any.</summary>
    public string? RecoveredDeadLetterFile { get; init; }

    /// <summary>Deletes the chain's temporary dead-letter files that no recorded commit points to (after <see cref="RollForwardDeadLettersAsync"/>).</summary>
    public void DeleteUnrecordedDeadLetters() => _deadLetters.FirstOrDefault(writer => writer is not null)?.DeleteUnrecorded();

    /// <summary>
    /// Records a failed input (or skipped page) of a step. Under <see cref="ErrorMode.DeadLetter"/> it makes the dead-letter entry: with a
    /// state store it is returned, to travel with the page (or the input's end) that moves the input past the failure and to become durable
    /// in the commit that records that progress (<see cref="Hold"/>, <see cref="CommitAsync"/>); without one nothing is resumed, so it is
    /// appended to the file at once and <see langword="null"/> is returned. A fatal failure once the run is stopping at another is not
    /// recorded (nor counted): the run has one.
    /// </summary>
    /// <param name="step">The step.</param>
    /// <param name="key">The input's key (its position in the records of the step before).</param>
    /// <param name="input">The input as its extractor describes it.</param>
    /// <param name="error">What went wrong.</param>
    /// <param name="fatal">Whether the failure stops the run.</param>
    /// <param name="pageSkipped">Whether the extractor skipped just the failed page and went on with the input.</param>
    /// <param name="lineage">The lineage of the input's records (for the later steps), which the entry of a step before the last carries.</param>
    /// <param name="record">
    /// For a record of a page that did not fit the record type (<see cref="AcceptsMisfits"/>; its page goes on without it): the record as
    /// the API sent it, which its entry holds (<see cref="DeadLetterEntry.RecordSkipped"/>).
    /// </param>
    public async ValueTask<DeadLetterEntry?> RecordFailureAsync(ChainStepDefinition step, long key, string? input, Exception error, bool fatal, bool pageSkipped, ChainLineage? lineage = null, byte[]? record = null)
    {
        var counters = Counters[step.Index - 1];
        var mode = Modes[step.Index - 1];
        if (mode == ErrorMode.Skip && !fatal)
        {
            // An expected failure (e.g. a deleted resource): counted, not listed, and alone it does not make the run a partial success.
            counters.AddSkipped();
            LogSkipped(step, key, error, pageSkipped, record is not null);
            return null;
        }

        lock (_gate)
        {
            if (fatal && (_stopping || _error is not null))
            {
                // The run stops at its first fatal failure: another worker's, handled while it stops (failing at the same time, or
                // because of the stop), is not a failure of its own.
                return null;
            }

            _stopping |= fatal;
            counters.AddFailure();
            if (_failures.Count < ChainResult.MaxFailures)
            {
                _failures.Add(new ChainFailure(step.Name, step.Index, key, input, error, fatal));
            }
        }

        if (!fatal)
        {
            LogSkipped(step, key, error, pageSkipped, record is not null);
        }

        if (fatal || _deadLetters[step.Index - 1] is not { } writer)
        {
            return null;
        }

        var entry = error switch
        {
            ExtractionException extraction when record is not null => DeadLetterWriter.RecordEntry(ChainId + "/" + step.Name, extraction, record, Options.TimeProvider) with { Chain = ChainContext(step, lineage, input) },
            ExtractionException extraction => DeadLetterWriter.Entry(ChainId + "/" + step.Name, extraction, pageSkipped, Options.TimeProvider) with { Chain = ChainContext(step, lineage, input) },
            ChainMappingException mapping => DeadLetterWriter.MappingEntry(ChainId + "/" + step.Name, step.Name, input, mapping, Options.TimeProvider),
            _ => null,
        };
        if (entry is null)
        {
            return null;
        }

        counters.AddDeadLettered();
        if (Logger is { } logger)
        {
            Log.DeadLettered(logger, "chain", ChainId + "/" + step.Name, writer.Path);
        }

        if (Replay is { } replay)
        {
            replay.Add(entry);
            return null;
        }

        if (State is not null)
        {
            return entry;
        }

        await _deadLetterGate.WaitAsync(Token).ConfigureAwait(false);
        try
        {
            writer.Hold(entry);
            await writer.CommitAsync(Token).ConfigureAwait(false);
        }
        finally
        {
            _deadLetterGate.Release();
        }

        return null;
    }

    /// <summary>
    /// Logs a failure the run goes on after as a pipeline's is (<see cref="Log.FailureSkipped"/>), named <c>&lt;chain id&gt;/&lt;step&gt;</c>
    /// like its dead-letter entry, the input by its key (its description may show what the extractor's <c>ToString()</c> does); the input
    /// of the step a replay starts at, which has no key, as the replayed entry names it (<see cref="ChainReplay.EntryInput"/>).
    /// </summary>
    private void LogSkipped(ChainStepDefinition step, long key, Exception error, bool pageSkipped, bool record)
    {
        if (Logger is not { } logger)
        {
            return;
        }

        string input = Replay is { } replay && replay.Step == step.Index
            ? replay.EntryInput is { } shown ? $"input {shown}" : "the replayed entry's input"
            : $"input #{key}";

        // A failure the run goes on after is an extraction's or, when nothing was requested, a mapping's.
        var extraction = error as ExtractionException;
        string skipped = extraction is null ? $"{input} (its mapping failed)"
            : record ? $"a record of page {extraction.PageNumber} of {input}"
            : pageSkipped ? $"page {extraction.PageNumber} of {input}"
            : $"the rest of {input}";
        Log.FailureSkipped(logger, "chain", ChainId + "/" + step.Name, skipped, extraction?.Attempts ?? 0, extraction?.Kind.ToString() ?? DeadLetterEntry.MappingKind, error.Message);
    }

    /// <summary>
    /// What the entry of a failure of <paramref name="step"/> carries for a replay through the chain (<see cref="DeadLetterChain"/>): none
    /// for a run the host did not give the chain input's values (<see cref="ChainOptions.DeadLetterInput"/>: it gives them for the chains
    /// it registers, not a chain file's, whose steps a replay must not take for a registered chain's); the last step's, only the input (a
    /// sign of the registered chain's run). A lineage whose records hold a value under a name that looks secret is left out (a replay then
    /// says it cannot run the later steps), as is one whose records' JSON metadata is unknown.
    /// </summary>
    private DeadLetterChain? ChainContext(ChainStepDefinition step, ChainLineage? lineage, string? failedInput)
    {
        if (Options.DeadLetterInput is null)
        {
            return null;
        }

        if (step.Index == Definition.Steps.Count)
        {
            return new DeadLetterChain { Input = ChainInput(failedInput) };
        }

        JsonElement? kept = null;
        if (lineage is not null)
        {
            try
            {
                var buffer = new ArrayBufferWriter<byte>();
                using (var json = new Utf8JsonWriter(buffer))
                {
                    ChainStateStore.WriteLineage(json, lineage, Definition);
                }

                if (HttpText.RedactJson(buffer.WrittenSpan) == Encoding.UTF8.GetString(buffer.WrittenSpan))
                {
                    kept = JsonElement.Parse(buffer.WrittenSpan);
                }
            }
            catch (InvalidOperationException)
            {
                // A step's records without JSON metadata (a chain run without a state store): the entry goes without its lineage.
            }
        }

        return new DeadLetterChain { Input = ChainInput(failedInput), Lineage = kept };
    }

    /// <summary>
    /// <see cref="ChainOptions.DeadLetterInput"/> as an entry carries it. When the first step keys the chain input, or the failed step
    /// describes its input (<paramref name="failedInput"/>), with a value masked (a member sent under a secret-looking query name, which the
    /// host's values do not show), every value neither shows is masked too: the values are strings, as the host bound them.
    /// </summary>
    private JsonElement? ChainInput(string? failedInput)
    {
        if (Options.DeadLetterInput is not { } given || Input is null)
        {
            return Options.DeadLetterInput;
        }

        string[] keys = [Definition.Steps[0].InputKey(Extractors[0], Input), failedInput ?? string.Empty];
        if (!keys.Any(key => key.Contains("***", StringComparison.Ordinal)))
        {
            return given;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var member in given.EnumerateObject())
            {
                string? text = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString() : null;
                bool shown = text is not null && keys.Any(key => key.Contains(text, StringComparison.Ordinal) || key.Contains(Uri.EscapeDataString(text), StringComparison.Ordinal));
                json.WritePropertyName(member.Name);
                if (shown || text is null)
                {
                    member.Value.WriteTo(json);
                }
                else
                {
                    json.WriteStringValue("***");
                }
            }

            json.WriteEndObject();
        }

        return JsonElement.Parse(buffer.WrittenSpan);
    }

    /// <summary>
    /// Whether step <paramref name="step"/> (1-based) takes a record that does not fit its record type off its page and dead-letters it
    /// alone (<see cref="ErrorMode.DeadLetter"/>, as a pipeline does), instead of failing the page.
    /// </summary>
    public bool AcceptsMisfits(int step) => _deadLetters[step - 1] is not null;

    /// <summary>Keeps <paramref name="entries"/>, carried by a page of step <paramref name="step"/> (1-based), for the step's next <see cref="CommitAsync"/>.</summary>
    public void Hold(int step, IReadOnlyList<DeadLetterEntry> entries)
    {
        foreach (var entry in entries)
        {
            _deadLetters[step - 1]!.Hold(entry);
        }
    }

    /// <summary>
    /// Records <paramref name="change"/> (progress of step <paramref name="step"/>, 1-based) in the state store. With entries held for the
    /// step, in the order that makes a crash harmless: they are written to a temporary file (flushed to disk), recorded with the change in
    /// its transaction, then appended to the dead-letter file; the next start appends the last recorded batch if a crash came first.
    /// </summary>
    public async ValueTask CommitAsync(int step, StateChange change, CancellationToken cancellationToken)
    {
        var state = State!;
        if (_deadLetters[step - 1] is not { HasHeld: true } writer)
        {
            await state.CommitAsync(change, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _deadLetterGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_deadLettersBroken)
            {
                throw new InvalidOperationException($"Chain '{ChainId}': an earlier commit of dead-letter entries failed half-way; the next run recovers from the last recorded one, so no more are committed now.");
            }

            var prepared = (await writer.PrepareAsync(cancellationToken).ConfigureAwait(false))!;
            try
            {
                // Once prepared, the entries are recorded and appended without cancellation. If either fails, the recorded batch may not be
                // appended yet: a later one must not take its place in the state.
                await state.CommitAsync(state.PutDeadLetters(change, prepared), CancellationToken.None).ConfigureAwait(false);
                writer.Recorded();
                await writer.CompleteAsync(prepared, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                _deadLettersBroken = true;
                throw;
            }
        }
        finally
        {
            _deadLetterGate.Release();
        }
    }

    public void Dispose()
    {
        _deadLetterGate.Dispose();
        _stop.Dispose();
    }
}

/// <summary>What one step did in a run; updated from concurrent workers.</summary>
internal sealed class StepCounters
{
    private long _inputs;
    private long _alreadyDone;
    private long _records;
    private long _pages;
    private long _requests;
    private long _batchRetries;
    private long _failures;
    private long _skipped;
    private long _deadLettered;
    private long _retries;
    private long _throttledTicks;

    public long Failures => Interlocked.Read(ref _failures);

    public long Records => Interlocked.Read(ref _records);

    public void AddInput() => Interlocked.Increment(ref _inputs);

    public void AddAlreadyDone() => Interlocked.Increment(ref _alreadyDone);

    public void AddPage(int records, int attempts, int dropped = 0, TimeSpan throttled = default)
    {
        Interlocked.Increment(ref _pages);
        Interlocked.Add(ref _records, records);
        AddRequests(attempts, dropped);
        AddThrottled(throttled);
    }

    /// <summary>Time a page waited for rate limits, also one that fails the step (whose requests its error counts).</summary>
    public void AddThrottled(TimeSpan throttled) => Interlocked.Add(ref _throttledTicks, throttled.Ticks);

    /// <summary>A page's (or a failure's) attempts, the first and its retries, and <paramref name="dropped"/> requests of pages fetched ahead and dropped.</summary>
    public void AddRequests(int attempts, int dropped = 0)
    {
        Interlocked.Add(ref _requests, attempts + dropped);
        Interlocked.Add(ref _retries, Math.Max(0, attempts - 1));
    }

    public void AddBatchRetry() => Interlocked.Increment(ref _batchRetries);

    public void AddFailure() => Interlocked.Increment(ref _failures);

    public void AddSkipped() => Interlocked.Increment(ref _skipped);

    public void AddDeadLettered() => Interlocked.Increment(ref _deadLettered);

    public ChainStepResult ToResult(ChainStepDefinition step, PipelineStatus status) => new()
    {
        Name = step.Name,
        Index = step.Index,
        Mode = step.Settings.Mode,
        Status = status,
        Inputs = Interlocked.Read(ref _inputs),
        InputsAlreadyDone = Interlocked.Read(ref _alreadyDone),
        Records = Interlocked.Read(ref _records),
        Pages = Interlocked.Read(ref _pages),
        Requests = Interlocked.Read(ref _requests),
        BatchRetries = Interlocked.Read(ref _batchRetries),
        Failures = Interlocked.Read(ref _failures),
        Skipped = Interlocked.Read(ref _skipped),
        DeadLettered = Interlocked.Read(ref _deadLettered),
        Retries = Interlocked.Read(ref _retries),
        Throttled = TimeSpan.FromTicks(Interlocked.Read(ref _throttledTicks)),
    };
}

/// <summary>
/// Records travelling between steps: one extractor page of one input (<see cref="Parent"/>), or, with no records and <see cref="IsDone"/>,
/// the news that the input is finished. <see cref="Next"/> is where the input continues after this page.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class StepPage<T>
{
    public StepPage(long parent, T[] records, int count, PageCheckpoint? next, bool isDone, ChainLineage? lineage = null)
    {
        Parent = parent;
        Records = records;
        Count = count;
        Next = next;
        IsDone = isDone;
        Lineage = lineage;
    }

    /// <summary>The input (its key in the step before) these records came from; -1 for pages replayed from the state store.</summary>
    public long Parent { get; }

    public T[] Records { get; }

    public int Count { get; }

    public PageCheckpoint? Next { get; }

    public bool IsDone { get; }

    /// <summary>The earlier steps' records the page's input descends from, as far as later steps read them; <see langword="null"/> when none.</summary>
    public ChainLineage? Lineage { get; }

    /// <summary>The position of the first record in the step's whole output, set by the step's committer.</summary>
    public long FirstSeq { get; set; }

    /// <summary>
    /// The dead-letter entries of the failures this page moves its input past (a skipped page, the page's records that did not fit the
    /// record type, or on an input's end a failed input): durable with the commit that records the page.
    /// </summary>
    public IReadOnlyList<DeadLetterEntry> DeadLetters { get; init; } = [];

    /// <summary>
    /// For a batch: how many records of the step before it covers. The last batch of a run may be short; a resumed run that then finds
    /// more records in its place finishes the ones it covered and extracts the others as a batch of their own.
    /// </summary>
    public int? Covered { get; init; }

    public static StepPage<T> Done(long parent, int? covered = null) => new(parent, [], 0, null, isDone: true) { Covered = covered };

    public static StepPage<T> From(long parent, Page<T> page, ChainLineage? lineage, IReadOnlyList<DeadLetterEntry>? deadLetters = null, int? covered = null)
    {
        var records = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(page.Records, out var segment) && segment.Offset == 0 && segment.Array is not null
            ? segment.Array
            : page.Records.ToArray();
        return new StepPage<T>(parent, records, page.Count, page.Next, isDone: false, lineage) { DeadLetters = deadLetters ?? [], Covered = covered };
    }
}
