using System.Threading.Channels;

namespace ApiPipeline;

/// <summary>
/// One run of a chain: the stages of its steps connected by bounded channels, the shared cancellation, the counters and failures.
/// The first fatal error cancels every stage; what the output already received is still committed.
/// </summary>
internal sealed class ChainRun : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ChainFailure> _failures = [];
    private readonly SemaphoreSlim _deadLetterGate = new(1, 1);
    private readonly CancellationTokenSource _stop;
    private DeadLetterWriter? _deadLetter;
    private Exception? _error;

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

    public string? DeadLetterFile => _deadLetter is { Written: true } writer ? writer.Path : null;

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

    /// <summary>Records a failed input (or skipped page) of a step; writes it to the dead-letter file under <see cref="ErrorMode.DeadLetter"/>.</summary>
    public async ValueTask RecordFailureAsync(ChainStepDefinition step, long key, string? input, Exception error, bool fatal, bool pageSkipped)
    {
        var counters = Counters[step.Index - 1];
        var mode = Modes[step.Index - 1];
        if (mode == ErrorMode.Skip && !fatal)
        {
            // An expected failure (e.g. a deleted resource): counted, not listed, and alone it does not make the run a partial success.
            counters.AddSkipped();
            return;
        }

        counters.AddFailure();
        lock (_gate)
        {
            if (_failures.Count < ChainResult.MaxFailures)
            {
                _failures.Add(new ChainFailure(step.Name, step.Index, key, input, error, fatal));
            }
        }

        if (mode == ErrorMode.DeadLetter && !fatal && error is ExtractionException extraction && Options.DeadLetterPath is { } path)
        {
            await _deadLetterGate.WaitAsync(Token).ConfigureAwait(false);
            try
            {
                _deadLetter ??= new DeadLetterWriter(Path.GetFullPath(path), ChainId);
                await _deadLetter.WriteAsync(DeadLetterWriter.Entry(ChainId + "/" + step.Name, extraction, pageSkipped, Options.TimeProvider), Token).ConfigureAwait(false);
                Instruments.DeadLettered(ChainId, extraction.Extractor);
            }
            finally
            {
                _deadLetterGate.Release();
            }
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
    private long _retries;
    private long _throttledTicks;

    public long Failures => Interlocked.Read(ref _failures);

    public long Records => Interlocked.Read(ref _records);

    public void AddInput() => Interlocked.Increment(ref _inputs);

    public void AddAlreadyDone() => Interlocked.Increment(ref _alreadyDone);

    public void AddPage(int records, int attempts, TimeSpan throttled = default)
    {
        Interlocked.Increment(ref _pages);
        Interlocked.Add(ref _records, records);
        AddRequests(attempts);
        Interlocked.Add(ref _throttledTicks, throttled.Ticks);
    }

    public void AddRequests(int attempts)
    {
        Interlocked.Add(ref _requests, attempts);
        Interlocked.Add(ref _retries, Math.Max(0, attempts - 1));
    }

    public void AddBatchRetry() => Interlocked.Increment(ref _batchRetries);

    public void AddFailure() => Interlocked.Increment(ref _failures);

    public void AddSkipped() => Interlocked.Increment(ref _skipped);

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

    public static StepPage<T> Done(long parent) => new(parent, [], 0, null, isDone: true);

    public static StepPage<T> From(long parent, Page<T> page, ChainLineage? lineage)
    {
        var records = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(page.Records, out var segment) && segment.Offset == 0 && segment.Array is not null
            ? segment.Array
            : page.Records.ToArray();
        return new StepPage<T>(parent, records, page.Count, page.Next, isDone: false, lineage);
    }
}
