using System.Runtime.CompilerServices;

namespace ApiPipeline;

/// <summary>A pipeline as the <see cref="PipelineManager"/> sees it.</summary>
public interface IPipeline
{
    /// <summary>The pipeline's id.</summary>
    string Id { get; }

    /// <summary>The current immutable state.</summary>
    PipelineState GetStatus();
}

/// <summary>A pipeline that runs for inputs of type <typeparamref name="TIn"/>.</summary>
/// <typeparam name="TIn">The extractor's input type.</typeparam>
public interface IPipeline<in TIn> : IPipeline
{
    /// <summary>Extracts everything for one input into the output.</summary>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Cancels the run; pages already read are committed.</param>
    Task<PipelineResult> ExecuteAsync(TIn input, CancellationToken cancellationToken = default);

    /// <summary>Extracts everything for each input, one after the other, into the output as one run.</summary>
    /// <param name="inputs">The inputs.</param>
    /// <param name="cancellationToken">Cancels the run; pages already read are committed.</param>
    Task<PipelineResult> ExecuteManyAsync(IAsyncEnumerable<TIn> inputs, CancellationToken cancellationToken = default);
}

/// <summary>
/// One extractor into one output. The extractor streams each record into the output while it parses the page
/// (<see cref="IExtractor{TIn, TOut}.ExtractIntoAsync"/> into an <see cref="IPageSink{T}"/>: no page of records is materialized), and the
/// output commits a batch at a page boundary whenever <see cref="IOutput{T}.Batching"/> says so, when records have waited for its flush
/// interval, and once more at the end. A run that fails keeps every page before the failure (committed whole) and none of the failed one. The extractor's <see cref="ErrorMode"/> (or
/// <see cref="PipelineOptions.OnError"/>) decides whether a page or input that still fails after retries ends the run
/// (<see cref="ErrorMode.FailFast"/>) or is skipped, counted and, with <see cref="ErrorMode.DeadLetter"/>, written to a dead-letter file.
/// </summary>
/// <typeparam name="TIn">The extractor's input type.</typeparam>
/// <typeparam name="TOut">The record type.</typeparam>
public sealed class Pipeline<TIn, TOut> : IPipeline<TIn>
{
    private readonly IExtractor<TIn, TOut> _extractor;
    private readonly IOutput<TOut> _output;
    private readonly PipelineOptions _options;
    private readonly SemaphoreSlim _oneRun = new(1, 1);
    private readonly Lock _stateLock = new();
    private readonly ErrorMode _mode;
    private readonly string? _deadLetterPath;
    private PipelineState _state;
    private RunSink? _live;
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;

    /// <summary>Creates a pipeline.</summary>
    /// <param name="id">The pipeline's id (no <c>/</c>: dead-letter entries read <c>a/b</c> as step <c>b</c> of chain <c>a</c>).</param>
    /// <param name="extractor">Where records come from.</param>
    /// <param name="output">Where records go. The pipeline does not dispose it.</param>
    /// <param name="options">Settings.</param>
    /// <exception cref="ArgumentException"><paramref name="id"/> is empty or contains <c>/</c>.</exception>
    public Pipeline(string id, IExtractor<TIn, TOut> extractor, IOutput<TOut> output, PipelineOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(output);
        if (SlashInName.Problem("pipeline id", id) is { } bad)
        {
            throw new ArgumentException(char.ToUpperInvariant(bad[0]) + bad[1..] + ".", nameof(id));
        }

        Id = id;
        _extractor = extractor;
        _output = output;
        _options = options ?? new PipelineOptions();
        _mode = _options.OnError ?? extractor.OnError;
        if (_mode == ErrorMode.DeadLetter || extractor.Watermark?.Late == LateRecordPolicy.DeadLetter)
        {
            _deadLetterPath = _options.DeadLetterPath
                ?? (output is JsonlOutput<TOut> jsonl ? jsonl.RootDirectory + ".dead-letter.jsonl" : null)
                ?? throw new ArgumentException($"Pipeline '{id}': ErrorMode.DeadLetter and LateRecordPolicy.DeadLetter need a dead-letter file; set PipelineOptions.DeadLetterPath (it defaults to '<output>.dead-letter.jsonl' only for a JsonlOutput).", nameof(options));
            _deadLetterPath = Path.GetFullPath(_deadLetterPath);
        }

        _state = new PipelineState(id, PipelineStatus.Created);
        _logger = _options.LoggerFactory?.CreateLogger(Log.Category);
    }

    /// <summary>The error mode in force: <see cref="PipelineOptions.OnError"/>, else the extractor's.</summary>
    public ErrorMode OnError => _mode;

    /// <summary>Where failures (<see cref="ErrorMode.DeadLetter"/>) and late records (<see cref="LateRecordPolicy.DeadLetter"/>) are written, else <see langword="null"/>.</summary>
    public string? DeadLetterPath => _deadLetterPath;

    /// <inheritdoc/>
    public string Id { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// While a run goes on, its progress (records, pages, requests, retries, dead-lettered) is read from the run's counters when asked,
    /// so pages do not pay for a new state each: the counts are those of the pages that have ended.
    /// </remarks>
    public PipelineState GetStatus()
    {
        var live = Volatile.Read(ref _live);
        var state = Volatile.Read(ref _state);
        return live is not null && state.Status == PipelineStatus.Running ? live.Progress(state) : state;
    }

    /// <inheritdoc/>
    public Task<PipelineResult> ExecuteAsync(TIn input, CancellationToken cancellationToken = default)
        => ExecuteManyAsync(One(input), cancellationToken);

    /// <inheritdoc/>
    public async Task<PipelineResult> ExecuteManyAsync(IAsyncEnumerable<TIn> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (!await _oneRun.WaitAsync(0, CancellationToken.None).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Pipeline '{Id}' is already running; a pipeline runs once at a time.");
        }

        try
        {
            return await RunAsync(inputs, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _oneRun.Release();
        }
    }

    private async Task<PipelineResult> RunAsync(IAsyncEnumerable<TIn> inputs, CancellationToken cancellationToken)
    {
        var clock = _options.TimeProvider;
        long started = clock.GetTimestamp();
        var run = new RunCounters();
        var deadLetter = _deadLetterPath is null ? null : new DeadLetterWriter(_deadLetterPath, Id, OwnerTag.Pipeline(Id, _options.StateStore?.Identity)) { PipelineFile = _options.PipelineFile };
        RunCheckpointer<TIn, TOut> checkpointer;
        FileLock? turn = null;
        try
        {
            turn = await OutputTurn.TakeAsync(_output, "pipeline", Id, _logger, cancellationToken).ConfigureAwait(false);
            checkpointer = await RunCheckpointer<TIn, TOut>.OpenAsync(Id, _extractor, _output, _options, deadLetter, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            turn?.Dispose();
            // The run could not start (its options, state or output could not be read or recovered): the caller gets the error, and
            // the status says so instead of still showing the previous run's.
            var now = clock.GetUtcNow();
            var ended = ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? PipelineStatus.Cancelled : PipelineStatus.Failed;
            Transition(new PipelineState(Id, ended, StartedAt: now, FinishedAt: now, LastError: ex.Message));
            Instruments.Run("pipeline", Id, ended, clock.GetElapsedTime(started)); // counted like any run that ended so
            throw;
        }

        using var heldTurn = turn; // the output's folder is this run's until it returns
        Volatile.Write(ref _live, null); // a run that threw before it ended leaves its sink: its counts are not this run's

        // A resumed run counts the failures its first part moved past (skipped pages and records, not read again): it ends a partial
        // success too. A failed input is not among them: the resumed run reads it again, and counts it if it fails again.
        run.Passed = checkpointer.ResumedFailures;
        (run.Failures, run.Skipped, run.DeadLettered) = run.Passed;
        Transition(new PipelineState(Id, PipelineStatus.Running, StartedAt: clock.GetUtcNow(), Failures: run.Failures, Skipped: run.Skipped, DeadLettered: run.DeadLettered));
        using var span = Instruments.StartSpan("apipipeline.run");
        span?.SetTag(ApiPipelineTags.Pipeline, Id).SetTag(ApiPipelineTags.Extractor, _extractor.Name);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sink = new RunSink(this, run, checkpointer, deadLetter);
        Volatile.Write(ref _live, sink);
        using var flushing = new CancellationTokenSource();
        var flusher = sink.FlushOnIntervalAsync(stop, flushing.Token);
        var error = await ProduceAsync(inputs, sink, run, checkpointer, deadLetter, stop.Token).ConfigureAwait(false);
        await flushing.CancelAsync().ConfigureAwait(false);
        var flushError = await flusher.ConfigureAwait(false);
        error = flushError ?? error;

        // Every page handed to the output is complete, so what is pending can be committed even after a failure. A commit that
        // fails here fails the run like any other error: the result and the status say so, and a later run resumes from the state.
        try
        {
            await CommitAsync(run, checkpointer, CancellationToken.None).ConfigureAwait(false);
            if (error is null)
            {
                // A run that went through all its inputs (also with failures it skipped) moves the watermarks of the inputs it finished
                // (a backfill moves none; it only gives a first one to a time-windowed input it read whole); an input it gave up on keeps
                // its watermark and checkpoint, and the next run continues it, unless a backfill handed its rest to replay.
                await checkpointer.CompleteAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            error = error is null ? ex : new AggregateException(error, ex);
        }

        // A cancelled run whose commit then failed too (an output cancelled part-way through a page refuses further commits)
        // still ended because it was cancelled; the error keeps both.
        bool cancelled = cancellationToken.IsCancellationRequested
            && error is OperationCanceledException or AggregateException { InnerExceptions: [OperationCanceledException, ..] };
        var status = error is not null ? (cancelled ? PipelineStatus.Cancelled : PipelineStatus.Failed)
            : run.Failures > 0 ? PipelineStatus.PartialSuccess
            : PipelineStatus.Succeeded;
        var result = new PipelineResult
        {
            PipelineId = Id,
            Status = status,
            Records = run.Committed,
            Pages = run.Pages,
            PagesNotModified = run.NotModified,
            BytesRead = run.Bytes,
            Duration = clock.GetElapsedTime(started),
            Files = run.Files,
            Error = error,
            Requests = run.Requests,
            Retries = run.Retries,
            Failures = run.Failures,
            Skipped = run.Skipped,
            DeadLettered = run.DeadLettered + checkpointer.LateDeadLettered,
            Errors = run.Errors,
            DeadLetterFile = deadLetter is { Written: true } ? deadLetter.Path : null,
            Throttled = run.Throttled,
            RunId = checkpointer.RunId,
            Resumed = checkpointer.Resumed,
            Watermark = checkpointer.Watermark,
            Duplicates = checkpointer.Duplicates,
            LateRecords = checkpointer.Late,
            OutOfRange = checkpointer.OutOfRange,
        };
        Update(s => s with
        {
            Status = status,
            Records = run.Committed,
            Pages = run.Pages,
            FinishedAt = clock.GetUtcNow(),
            LastError = error?.Message ?? run.Errors.LastOrDefault()?.Message,
            Requests = run.Requests,
            Retries = run.Retries,
            Failures = run.Failures,
            Skipped = run.Skipped,
            DeadLettered = run.DeadLettered + checkpointer.LateDeadLettered,
            Watermark = checkpointer.Watermark,
        });
        Volatile.Write(ref _live, null);
        Telemetry(result, span, clock.GetUtcNow());
        return result;
    }

    private async Task<Exception?> ProduceAsync(IAsyncEnumerable<TIn> inputs, RunSink sink, RunCounters run, RunCheckpointer<TIn, TOut> checkpointer, DeadLetterWriter? deadLetter, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var input in inputs.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var (partition, done, start) = checkpointer.Begin(input);
                if (done)
                {
                    continue;
                }

                if (_logger is not null)
                {
                    Log.RunStarting(_logger, "pipeline", Id, _extractor.Name, SecretText.MaskMembers(start is null ? partition : UrlRedactor.Redact(start.Url), input, _extractor.RecordTypeInfo?.Options), checkpointer.StoredWatermark(partition)?.ToString() ?? "none (full extraction)");
                }

                if (_extractor.TimeWindows is { } windowing)
                {
                    await ExtractWindowsAsync(input, windowing, sink, checkpointer, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                sink.Partition = partition;
                sink.Input = input;
                try
                {
                    await _extractor.ExtractIntoAsync(input, start, sink, cancellationToken).ConfigureAwait(false);
                }
                catch (ExtractionException ex)
                {
                    sink.AbortPage(); // if the extractor threw in the middle of a page
                    if (_mode == ErrorMode.FailFast || PageResilience.EndsRun(ex.Kind) || cancellationToken.IsCancellationRequested)
                    {
                        run.CountAttempts(ex.Attempts, ex.DroppedRequests);
                        throw;
                    }

                    // The rest of this input is skipped; the pages before the failure went to the output whole.
                    await sink.FailedAsync(ex, partition, cancellationToken).ConfigureAwait(false);
                }
            }

            return null;
        }
        catch (Exception ex)
        {
            sink.AbortPage(); // if the extractor threw in the middle of a page
            return ex;
        }
    }

    /// <summary>
    /// The <c>TimeWindows</c> strategy: the input's range as fixed windows, up to <see cref="TimeWindowOptions.MaxConcurrent"/> extracted at
    /// once (all through the one extractor, so under its rate limiter), each a resumable partition whose pages reach the output whole and
    /// one at a time. A window whose first page reports more than <see cref="TimeWindowOptions.MaxResults"/> results is halved, before
    /// anything of it is written, down to <see cref="TimeWindowOptions.MinimumSize"/>.
    /// </summary>
    private async Task ExtractWindowsAsync(TIn input, TimeWindowOptions options, RunSink sink, RunCheckpointer<TIn, TOut> checkpointer, CancellationToken cancellationToken)
    {
        var (partition, windows) = checkpointer.PlanWindows(input, options, Id);
        using var slots = new SemaphoreSlim(options.MaxConcurrent);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;

        async Task ExtractAsync(TimeWindow window)
        {
            if (checkpointer.WasSplit(partition, window))
            {
                // The run this one resumes split the window: its halves hold what was committed of it. Taking the window whole again
                // (its total may have shrunk below MaxResults since) would write those records twice.
                var (earlier, later) = window.Halve();
                await Task.WhenAll(ExtractAsync(earlier), ExtractAsync(later)).ConfigureAwait(false);
                return;
            }

            var (key, done, start, continued) = checkpointer.BeginWindow(input, partition, window);
            if (done)
            {
                return;
            }

            try
            {
                await slots.WaitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            Exception? error = null;
            try
            {
                // A window continued from its checkpoint was checked on its first page already: pages of it are committed, so it is
                // no longer split, even if the API's total has grown since.
                await _extractor.ExtractIntoAsync(input, start, new WindowSink(sink, key, continued ? 0 : options.MaxResults), stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                error = Classify(ex, window);
                if (error is not null && EndsRun(error))
                {
                    // Before the slot is released, so that no other window starts after a failure that ends the run.
                    Fail(error);
                }
            }
            finally
            {
                slots.Release();
            }

            switch (error)
            {
                case WindowSink.TooDeepException deep:
                    sink.CountAttempts(deep.Page.Attempts);
                    checkpointer.ForgetWindow(key);
                    var (first, second) = window.Halve();
                    await Task.WhenAll(ExtractAsync(first), ExtractAsync(second)).ConfigureAwait(false);
                    break;
                case ExtractionException failed when !EndsRun(failed):
                    // The rest of this window is skipped; its pages before the failure went to the output whole.
                    await sink.FailedAsync(failed, key, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        // What a window's failure means: nothing (the run is stopping anyway), a split, or an error (a window that cannot be split
        // any further becomes an ExtractionException, handled by the error mode like any other).
        Exception? Classify(Exception error, TimeWindow window) => error switch
        {
            OperationCanceledException when stop.IsCancellationRequested => null,
            WindowSink.TooDeepException deep when window.Length < 2 * TimeWindowOptions.MinimumSize => new ExtractionException(ExtractionErrorKind.TooManyResults, _extractor.Name, deep.Page.Number, deep.Page.Url, $"the time window {window} reports {deep.Total:N0} results, more than MaxResults ({options.MaxResults:N0}), and is already the smallest window ({Duration.Format(TimeWindowOptions.MinimumSize)}); the API cannot be windowed finer") { Attempts = deep.Page.Attempts },
            _ => error,
        };

        bool EndsRun(Exception error) => error switch
        {
            WindowSink.TooDeepException => false,
            ExtractionException failed => _mode == ErrorMode.FailFast || PageResilience.EndsRun(failed.Kind) || stop.IsCancellationRequested,
            _ => true,
        };

        void Fail(Exception error)
        {
            if (Interlocked.CompareExchange(ref failure, error, null) is null)
            {
                stop.Cancel();
            }
        }

        await Task.WhenAll(windows.Select(ExtractAsync)).ConfigureAwait(false);
        if (failure is not null)
        {
            if (failure is ExtractionException ended)
            {
                sink.CountAttempts(ended.Attempts, ended.DroppedRequests);
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// One time window's pages: collected while the page is parsed (windows run concurrently, the output takes one page at a time) and
    /// handed to the run whole. The first page's total decides whether the window must be split.
    /// </summary>
    private sealed class WindowSink(RunSink run, string partition, int maxResults) : IPageSink<TOut>, IRecordRejects
    {
        private readonly List<TOut> _records = [];
        private readonly List<(byte[] Json, string Reason)> _rejected = [];
        private bool _first = true;

        public bool AcceptsRejects => run.AcceptsRejects;

        public void BeginPage() => AbortPage();

        public void Add(TOut record) => _records.Add(record);

        public void Reject(ReadOnlySpan<byte> json, string reason) => _rejected.Add((json.ToArray(), reason));

        public void AbortPage()
        {
            _records.Clear();
            _rejected.Clear();
        }

        public async ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default)
        {
            if (_first && maxResults > 0 && page.Error is { } failed)
            {
                // Only the first page's total says whether the window must be halved: without it the window can be neither kept nor
                // halved, so the failed page fails the window (its rest is given up, as an input's is) instead of being skipped. Its
                // attempts are counted with the failure; its wait for rate limits here.
                run.CountThrottled(page.Throttled);
                throw failed;
            }

            if (_first && maxResults > 0)
            {
                long total = page.Total ?? throw new InvalidOperationException($"TimeWindows.MaxResults needs the API's total on the first page of each window, but '{page.Url}' reported none; set [Paginated(TotalPath = \"...\")] to where the response holds it.");
                if (total > maxResults)
                {
                    throw new TooDeepException(total, page);
                }
            }

            _first = false;
            await run.WritePageAsync(partition, _records, _rejected, page, cancellationToken).ConfigureAwait(false);
            AbortPage();
        }

        /// <summary>The window's first page reports more results than the API returns for one query.</summary>
        public sealed class TooDeepException(long total, PageInfo page) : Exception($"The window holds {total:N0} results.")
        {
            public long Total { get; } = total;

            public PageInfo Page { get; } = page;
        }
    }

    /// <summary>
    /// Where the extractor's records go during a run: each record passes the checkpointer's filter (range, duplicates, late records) on
    /// its way into the output; at the end of a page both take it in and the batch is committed when it is full. A page holds a gate
    /// from its first record to its end, so the flush-interval commit (on its own task) only ever commits whole pages.
    /// </summary>
    private sealed class RunSink(Pipeline<TIn, TOut> owner, RunCounters run, RunCheckpointer<TIn, TOut> checkpointer, DeadLetterWriter? deadLetter) : IPageSink<TOut>, IConsumingPageSink, IRecordRejects, IRunSink
    {
        private readonly IPageSink<TOut> _output = owner._output as IPageSink<TOut> ?? new BufferedPageSink<TOut>(owner._output);
        private readonly IntervalFlusher _flusher = new(owner._output.Batching.FlushInterval, owner._options.TimeProvider);
        private readonly List<(byte[] Json, string Reason)> _rejected = [];
        private bool _inPage;

        /// <summary>The partition (input) whose pages come next.</summary>
        public string Partition = "";

        /// <summary>The input whose pages come next.</summary>
        public TIn Input = default!;

        /// <inheritdoc/>
        public PageCheckpoint? InputStart
        {
            get
            {
                _flusher.Gate.Wait();
                try
                {
                    return checkpointer.InputStart(Input);
                }
                finally
                {
                    _flusher.Gate.Release();
                }
            }
        }

        public bool ConsumesRecords => _output is IConsumingPageSink { ConsumesRecords: true };

        /// <summary><paramref name="state"/> with the run's progress so far (read from another thread: each count is that of some recent moment).</summary>
        public PipelineState Progress(PipelineState state) => state with
        {
            Records = run.Committed + owner._output.PendingRecords,
            Pages = run.Pages,
            Requests = run.Requests,
            Retries = run.Retries,
            DeadLettered = run.DeadLettered + checkpointer.LateDeadLettered,
        };

        /// <summary>Under <see cref="ErrorMode.DeadLetter"/> a record that does not fit goes to the dead-letter file and its page is written.</summary>
        public bool AcceptsRejects => owner._mode == ErrorMode.DeadLetter && deadLetter is not null;

        public void Reject(ReadOnlySpan<byte> json, string reason) => _rejected.Add((json.ToArray(), reason));

        public void BeginPage()
        {
            if (_inPage)
            {
                CutPage(); // a new attempt of the same page without an abort: start it over
            }
            else
            {
                _flusher.Gate.Wait();
            }

            Open(Partition);
        }

        /// <summary>A whole page of <paramref name="partition"/> (a time window's, collected while other windows were read).</summary>
        public async ValueTask WritePageAsync(string partition, List<TOut> records, List<(byte[] Json, string Reason)> rejected, PageInfo page, CancellationToken cancellationToken)
        {
            await _flusher.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Open(partition);
                _rejected.AddRange(rejected);
                foreach (var record in records)
                {
                    Add(record);
                }
            }
            catch
            {
                // A record that cannot be written (the output, a key or a watermark that throws): the page is cut off and the gate
                // released here, as no extractor holds this page to abort it; other windows waiting for the gate go on.
                if (_inPage)
                {
                    AbortPage();
                }
                else
                {
                    _flusher.Gate.Release();
                }

                throw;
            }

            await EndPageAsync(page, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>An input or time window (<paramref name="partition"/>) that failed and whose rest is skipped (not under <see cref="ErrorMode.FailFast"/>).</summary>
        public async ValueTask FailedAsync(ExtractionException error, string partition, CancellationToken cancellationToken)
        {
            await _flusher.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                run.CountAttempts(error.Attempts, error.DroppedRequests);
                if (owner.RecordFailure(error, pageSkipped: false, run, deadLetter, replay: owner.ReplayOf(checkpointer, partition, pageSkipped: false)))
                {
                    checkpointer.HandOver(partition);
                }
            }
            finally
            {
                _flusher.Gate.Release();
            }
        }

        /// <summary>Counts the requests of a page that reached no page end: the failure that ends the run, or a window too deep to keep.</summary>
        public void CountAttempts(int attempts, int dropped = 0)
        {
            _flusher.Gate.Wait();
            run.CountAttempts(attempts, dropped);
            _flusher.Gate.Release();
        }

        public void CountRequests(int attempts, TimeSpan throttled)
        {
            CountAttempts(attempts);
            CountThrottled(throttled);
        }

        /// <summary>Counts the wait for rate limits of a page that reached no page end (a window's failed first page).</summary>
        public void CountThrottled(TimeSpan throttled)
        {
            _flusher.Gate.Wait();
            run.Throttled += throttled;
            _flusher.Gate.Release();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(TOut record)
        {
            if (checkpointer.Keep(record))
            {
                _output.Add(record);
            }
        }

        /// <summary>The validator of a page committed earlier (conditional requests), read under the gate: a commit may be recording others.</summary>
        public async ValueTask<KnownPage?> KnownPageAsync(string requestKey, CancellationToken cancellationToken = default)
        {
            await _flusher.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return checkpointer.KnownPage(requestKey);
            }
            finally
            {
                _flusher.Gate.Release();
            }
        }

        /// <summary>Forgets the current page, if one is open (also when the extractor threw in the middle of one).</summary>
        public void AbortPage()
        {
            if (_inPage)
            {
                try
                {
                    CutPage();
                }
                finally
                {
                    Leave();
                }
            }
        }

        public async ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default)
        {
            if (!_inPage)
            {
                BeginPage();
            }

            try
            {
                if (page.Error is { } failed && owner._mode == ErrorMode.FailFast)
                {
                    // A failed page the extractor skipped by its own mode: the pipeline's FailFast wins, and the page fails the run
                    // there (a resumed run reads it again); its attempts are counted with the failure that ends the run.
                    run.Requests += page.DroppedRequests;
                    run.Throttled += page.Throttled;
                    CutPage();
                    throw failed;
                }

                run.CountAttempts(page.Attempts, page.DroppedRequests);
                run.Throttled += page.Throttled;
                if (page.Error is { } skipped)
                {
                    // A failed page the extractor skipped (its next page was computable): nothing of it is written. The input's
                    // checkpoint moves past it (to the next page, or, when it was the last, the input is finished), and its
                    // dead-letter entry is committed when a written page's would be (with a zero interval the flusher does not run):
                    // the entry and the progress past the page are recorded together, so a resumed run neither reads the page nor
                    // dead-letters it again.
                    checkpointer.AbortPage();
                    _output.AbortPage();
                    owner.RecordFailure(skipped, pageSkipped: true, run, deadLetter, replay: owner.ReplayOf(checkpointer, checkpointer.PagePartition, pageSkipped: true));
                    checkpointer.EndPage(page);
                    checkpointer.PageSkipped(checkpointer.PagePartition);
                    await CommitWhenDueAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                try
                {
                    await _output.EndPageAsync(page, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    CutPage(); // the page is not in the batch: nothing of it may be committed
                    throw;
                }

                foreach (var (json, reason) in _rejected)
                {
                    // Once the page is in the output's batch: the entry goes to the dead-letter file with that batch.
                    var error = new ExtractionException(ExtractionErrorKind.RecordMismatch, owner._extractor.Name, page.Number, page.Url, reason);
                    owner.RecordFailure(error, pageSkipped: false, run, deadLetter, json);
                }

                _rejected.Clear();
                checkpointer.EndPage(page);
                run.Pages++;
                run.Bytes += page.BytesRead;
                if (page.NotModified)
                {
                    run.NotModified++;
                }

                await CommitWhenDueAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Leave();
            }
        }

        /// <summary>Commits at a page's end when the batch is full or the flush interval has passed (the gate is held).</summary>
        private async ValueTask CommitWhenDueAsync(CancellationToken cancellationToken)
        {
            if (owner._output.IsBatchFull || _flusher.Due)
            {
                await owner.CommitAsync(run, checkpointer, cancellationToken).ConfigureAwait(false);
                _flusher.Restart();
            }
        }

        /// <summary>
        /// Commits records that have waited for the output's flush interval while no page ended (a slow API, a rate-limit pause), and
        /// dead-letter entries held alone (a failed page, nothing written since). A failed commit stops the run through
        /// <paramref name="runStop"/> and is returned.
        /// </summary>
        public Task<Exception?> FlushOnIntervalAsync(CancellationTokenSource runStop, CancellationToken cancellationToken)
            => _flusher.RunAsync(
                () => owner._output.PendingRecords > 0 || deadLetter is { HasHeld: true },
                token => owner.CommitAsync(run, checkpointer, token),
                _ => runStop.CancelAsync(),
                runStop.Token,
                cancellationToken);

        /// <summary>
        /// Cuts the current page off the output. When the output cannot do that (an I/O error), it may hold part of the page, so the
        /// checkpointer commits nothing more in this run: the next one recovers from the last commit and reads the page again.
        /// </summary>
        private void CutPage()
        {
            _rejected.Clear();
            checkpointer.AbortPage();
            try
            {
                _output.AbortPage();
            }
            catch (Exception ex)
            {
                checkpointer.Refuse(ex);
            }
        }

        /// <summary>Starts a page of <paramref name="partition"/> (the gate is held).</summary>
        private void Open(string partition)
        {
            _inPage = true;
            _rejected.Clear();
            checkpointer.BeginPage(partition);
            _output.BeginPage();
        }

        private void Leave()
        {
            _inPage = false;
            _flusher.Gate.Release();
        }
    }

    private async Task CommitAsync(RunCounters run, RunCheckpointer<TIn, TOut> checkpointer, CancellationToken cancellationToken)
    {
        var commit = await checkpointer.CommitAsync(run.Passed, cancellationToken).ConfigureAwait(false);
        run.Committed += commit.Records;
        run.Files.AddRange(commit.Files);
        if (commit.Records > 0)
        {
            Instruments.Batch(Id, commit.Records, commit.Bytes);
            if (_logger is not null)
            {
                Log.BatchCommitted(_logger, "pipeline", Id, commit.Records, commit.Bytes, commit.Files.Count);
            }
        }
    }

    /// <summary>The run's metrics, span attributes and summary log line.</summary>
    private void Telemetry(PipelineResult result, System.Diagnostics.Activity? span, DateTimeOffset now)
    {
        Instruments.Run("pipeline", Id, result.Status, result.Duration);
        if (result.Watermark is { Kind: WatermarkKind.Timestamp } mark && _extractor.Watermark is not null)
        {
            Instruments.WatermarkLag(Id, "", mark.Timestamp, now);
        }

        var summary = RunSummary.From(result);
        if (span is not null)
        {
            span.SetTag(ApiPipelineTags.Outcome, summary.OutcomeText).SetTag(ApiPipelineTags.RecordCount, result.Records);
            if (result.Error is { } error)
            {
                Instruments.Fail(span, error);
            }
        }

        if (_logger is not null)
        {
            summary.LogTo(_logger, result.Error);
        }
    }

    /// <summary>
    /// Counts a failure that the run goes on after, and under <see cref="ErrorMode.DeadLetter"/> hands it to the dead-letter file, where
    /// it becomes durable with the next commit (with the progress past it, so a resumed run never writes it twice): a skipped page, the
    /// rest of an input, or (with <paramref name="record"/>) one record that did not fit the record type. <paramref name="replay"/>
    /// (<see cref="ReplayOf"/>) says whether later runs read what failed (the entry says <c>continued</c>, and replay leaves it to them), or which range the entry
    /// leaves to replay.
    /// </summary>
    /// <returns>
    /// Whether the rest of a failed input went to the dead-letter file for <c>replay</c> while the state store keeps the run's progress
    /// (a backfill's input, whose range later runs do not read): a run that resumes this one must not continue that input too.
    /// </returns>
    private bool RecordFailure(ExtractionException error, bool pageSkipped, RunCounters run, DeadLetterWriter? deadLetter, byte[]? record = null, Replay replay = default)
    {
        if (_mode == ErrorMode.Skip)
        {
            run.Skipped++;
        }
        else
        {
            run.Failures++;
            if (run.Errors.Count < PipelineResult.MaxErrors)
            {
                run.Errors.Add(error);
            }
        }

        bool handedOver = false;
        if (deadLetter is not null)
        {
            handedOver = !pageSkipped && record is null && !replay.Continued && _options.StateStore is not null;
            var entry = record is not null ? DeadLetterWriter.RecordEntry(Id, error, record, _options.TimeProvider)
                : DeadLetterWriter.Entry(Id, error, pageSkipped && !replay.Continued, _options.TimeProvider, replay.Continued) with
                {
                    Since = replay.Since?.ToStorageText(),
                    Until = replay.Until?.ToStorageText(),
                };
            deadLetter.Hold(entry);
            run.DeadLettered++;
            if (_logger is not null)
            {
                Log.DeadLettered(_logger, "pipeline", Id, deadLetter.Path);
            }
        }

        if (pageSkipped || record is not null || handedOver)
        {
            // The run moves past it (the progress after it is committed with it): a resumed run does not meet it again.
            bool skip = _mode == ErrorMode.Skip;
            run.Passed = new RunFailureCounts(run.Passed.Failures + (skip ? 0 : 1), run.Passed.Skipped + (skip ? 1 : 0), run.Passed.DeadLettered + (deadLetter is null ? 0 : 1));
        }

        Update(s => s with { Failures = run.Failures, Skipped = run.Skipped, LastError = error.Message });
        if (_logger is not null)
        {
            Log.FailureSkipped(_logger, "pipeline", Id, record is not null ? $"a record of page {error.PageNumber}" : pageSkipped ? $"page {error.PageNumber}" : "the rest of an input", error.Attempts, error.Kind.ToString(), error.Message);
        }

        return handedOver;
    }

    /// <summary>
    /// Who reads again what failed in <paramref name="partition"/>. In an ordinary run, the rest of a failed input is the next runs'
    /// (its watermark did not move), while a skipped page is replay's (the watermark moves past it, unless the page held newer records
    /// than the run wrote: a known limit, docs/resilience.md). A backfill moves no watermark, so what lies where ordinary runs start or
    /// after is theirs, and the rest of its range (<see cref="RunCheckpointer{TIn, TOut}.UnreadRange"/>) is replay's, within the entry's
    /// bounds.
    /// </summary>
    private Replay ReplayOf(RunCheckpointer<TIn, TOut> checkpointer, string partition, bool pageSkipped)
    {
        if (_options.From is null)
        {
            return new Replay(!pageSkipped && _options.StateStore is not null, null, _options.Until);
        }

        return checkpointer.UnreadRange(partition) is { } unread ? new Replay(false, unread.Since, unread.Until) : new Replay(true, null, null);
    }

    /// <summary>What a failure's dead-letter entry leaves to replay: nothing (<paramref name="Continued"/>: later runs read it), or records within the bounds.</summary>
    /// <param name="Continued">Whether later runs read what failed.</param>
    /// <param name="Since">The inclusive lower bound of what replay writes, or <see langword="null"/>.</param>
    /// <param name="Until">The exclusive upper bound of what replay writes, or <see langword="null"/>.</param>
    private readonly record struct Replay(bool Continued, WatermarkValue? Since, WatermarkValue? Until);

    private void Transition(PipelineState next) => Update(_ => next);

    private void Update(Func<PipelineState, PipelineState> change)
    {
        lock (_stateLock)
        {
            Volatile.Write(ref _state, change(_state));
        }
    }

    private static async IAsyncEnumerable<TIn> One(TIn input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        yield return input;
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private sealed class RunCounters
    {
        public long Committed;

        public long Pages;

        /// <summary>Pages answered 304 Not Modified and skipped (also in <see cref="Pages"/>).</summary>
        public long NotModified;

        public long Bytes;

        public readonly List<string> Files = [];

        // Written by the producer only; read by the consumer for progress and after both have finished.
        public long Requests;

        public long Retries;

        public long Failures;

        public long Skipped;

        public long DeadLettered;

        // The failures above that the run moved past (skipped pages, records that did not fit): recorded with each commit.
        public RunFailureCounts Passed;

        public TimeSpan Throttled;

        public readonly List<ExtractionException> Errors = [];

        /// <summary>A page's (or a failure's) attempts, the first and its retries, and <paramref name="dropped"/> requests of pages fetched ahead and dropped.</summary>
        public void CountAttempts(int attempts, int dropped = 0)
        {
            Requests += attempts + dropped;
            Retries += Math.Max(0, attempts - 1);
        }
    }
}
