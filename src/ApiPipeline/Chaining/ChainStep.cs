using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;

namespace ApiPipeline;

/// <summary>
/// A step from records of type <typeparamref name="TParent"/> (the step before, or the chain input for the first step) to records of type
/// <typeparamref name="TOut"/>, through an extractor of <typeparamref name="TStepIn"/>. In a run it is three parts:
/// the <b>stage</b> turns each record (or batch) of the step before into an input with the generated mapping and extracts it in the
/// step's processing mode; the <b>committer</b> (steps before the last) numbers the records, keeps each page and its input's progress in the
/// state store in one transaction, and passes them on; the <b>sink</b> (last step) writes pages to the output and commits the inputs'
/// progress with each output commit. Everything between them is a bounded channel of pages.
/// </summary>
internal sealed class StepDefinition<TChainIn, TParent, TStepIn, TOut> : ChainStepDefinition
{
    private readonly Func<HttpClient?, ExtractorOptions?, IExtractor<TStepIn, TOut>> _factory;
    private readonly Func<JsonTypeInfo<TOut>>? _recordTypeInfo;
    private readonly Func<TChainIn, TParent, TStepIn>? _map;
    private readonly Func<TChainIn, TParent, ChainLineage, TStepIn>? _lineageMap;
    private readonly Func<TChainIn, IReadOnlyList<TParent>, TStepIn>? _batchMap;

    public StepDefinition(
        int index,
        ChainStepSettings settings,
        Func<HttpClient?, ExtractorOptions?, IExtractor<TStepIn, TOut>> factory,
        Func<JsonTypeInfo<TOut>>? recordTypeInfo,
        Func<TChainIn, TParent, TStepIn>? map,
        Func<TChainIn, TParent, ChainLineage, TStepIn>? lineageMap,
        Func<TChainIn, IReadOnlyList<TParent>, TStepIn>? batchMap,
        IReadOnlyList<int> reads)
        : base(index, settings, reads)
    {
        _factory = factory;
        _recordTypeInfo = recordTypeInfo;
        _map = map;
        _lineageMap = lineageMap;
        _batchMap = batchMap;
    }

    public override Type InputType => typeof(TStepIn);

    public override Type OutputType => typeof(TOut);

    public override bool CanPersistRecords => _recordTypeInfo is not null;

    internal override object? RecordMetadata => _recordTypeInfo?.Invoke();

    internal override object CreateExtractor(HttpClient? httpClient, ExtractorOptions? options)
        => _factory(httpClient, options) ?? throw new InvalidOperationException($"Step '{Name}': the extractor factory returned null.");

    internal override ErrorMode ExtractorErrorMode(object extractor) => ((IExtractor<TStepIn, TOut>)extractor).OnError;

    internal override string InputKey(object extractor, object? input) => Describe((IExtractor<TStepIn, TOut>)extractor, (TStepIn)input!) ?? string.Empty;

    internal override void WriteRecord(System.Text.Json.Utf8JsonWriter writer, object record)
        => System.Text.Json.JsonSerializer.Serialize(writer, (TOut)record, RecordTypeInfo());

    internal override object ReadRecord(ref System.Text.Json.Utf8JsonReader reader)
        => System.Text.Json.JsonSerializer.Deserialize(ref reader, RecordTypeInfo())
           ?? throw new System.Text.Json.JsonException($"a null record of step '{Name}' in a lineage");

    private JsonTypeInfo<TOut> RecordTypeInfo()
        => (_recordTypeInfo ?? throw new InvalidOperationException($"Step '{Name}': its records' JSON metadata is unknown."))();

    internal override (List<Task> Tasks, object? Downstream) Wire(ChainRun run, object? upstream, bool last)
    {
        var reader = upstream as ChannelReader<StepPage<TParent>>;
        var extractor = (IExtractor<TStepIn, TOut>)run.Extractors[Index - 1];
        var produced = run.CreateChannel<StepPage<TOut>>();
        var tasks = new List<Task>
        {
            run.RunStageAsync(ct => ExtractTracedAsync(run, extractor, reader, produced.Writer, ct), () => produced.Writer.TryComplete()),
        };
        if (last)
        {
            tasks.Add(run.RunStageAsync(ct => SinkAsync(run, produced.Reader, ct)));
            return (tasks, null);
        }

        var forwarded = run.CreateChannel<StepPage<TOut>>();
        tasks.Add(run.RunStageAsync(ct => CommitAsync(run, produced.Reader, forwarded.Writer, ct), () => forwarded.Writer.TryComplete()));
        return (tasks, forwarded.Reader);
    }

    // ---------------------------------------------------------------- stage

    /// <summary>
    /// The stage inside a span of its own (<c>apipipeline.chain.step</c>, child of the chain's), with start and end logged: the records of
    /// the step before (<paramref name="reader"/>), or, for the step a replay starts at, the replayed entry's.
    /// </summary>
    private async Task ExtractTracedAsync(ChainRun run, IExtractor<TStepIn, TOut> extractor, ChannelReader<StepPage<TParent>>? reader, ChannelWriter<StepPage<TOut>> writer, CancellationToken cancellationToken)
    {
        using var span = Instruments.StartSpan("apipipeline.chain.step");
        span?.SetTag(ApiPipelineTags.Chain, run.ChainId).SetTag(ApiPipelineTags.Step, Name).SetTag(ApiPipelineTags.StepIndex, Index).SetTag(ApiPipelineTags.Extractor, extractor.Name);
        if (run.Logger is { } logger)
        {
            Log.StepStarting(logger, run.ChainId, Index, Name, Settings.Mode.ToString(), extractor.Name);
        }

        try
        {
            if (run.Replay is { } replay && replay.Step == Index)
            {
                await ReplayAsync(run, extractor, replay, writer, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ExtractAsync(run, extractor, reader!, writer, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (span is not null && ex is not OperationCanceledException)
        {
            Instruments.Fail(span, ex);
            throw;
        }
        finally
        {
            span?.SetTag(ApiPipelineTags.RecordCount, run.Counters[Index - 1].Records);
        }
    }

    /// <summary>
    /// The step a replay starts at: the entry's failed page (or the rest of its input) requested again from its checkpoint, with the
    /// entry's lineage, as the input's pages would have gone on in the chain's run. A failure stops the replay (its entry stays).
    /// </summary>
    private async Task ReplayAsync(ChainRun run, IExtractor<TStepIn, TOut> extractor, ChainReplay replay, ChannelWriter<StepPage<TOut>> writer, CancellationToken cancellationToken)
    {
        var counters = run.Counters[Index - 1];
        counters.AddInput();
        var input = replay.Input is TStepIn given ? given : default!;
        ExtractionException? failure = null;
        try
        {
            await foreach (var page in Pages(run, extractor, input, replay.From, cancellationToken).ConfigureAwait(false))
            {
                if (page.Error is { } skipped)
                {
                    // A failed page fails the replay, as in a run's FailFast step: its requests count, but not as a page read.
                    counters.AddRequests(page.Attempts, page.DroppedRequests);
                    counters.AddThrottled(page.Throttled);
                    failure = skipped;
                    break;
                }

                counters.AddPage(page.Count, page.Attempts, page.DroppedRequests, page.Throttled);
                // Kept by the replay; named by their input as a run's are (a replay given none, a generated extractor's, by the entry's).
                await MisfitsAsync(run, extractor, page, 0, page.Misfits.Count == 0 ? null : replay.Input is TStepIn ? Describe(extractor, input) : replay.EntryInput, replay.Lineage).ConfigureAwait(false);

                await writer.WriteAsync(StepPage<TOut>.From(0, page, replay.Lineage), cancellationToken).ConfigureAwait(false);
                if (replay.PageOnly)
                {
                    break;
                }
            }
        }
        catch (ExtractionException ex) when (!cancellationToken.IsCancellationRequested)
        {
            counters.AddRequests(ex.Attempts, ex.DroppedRequests);
            failure = ex;
        }

        if (failure is not null)
        {
            await run.RecordFailureAsync(this, 0, failure.Input, failure, fatal: true, pageSkipped: false).ConfigureAwait(false);
            throw new ChainStepException(run.ChainId, Name, Index, 0, failure.Input, failure.Message, failure);
        }

        await writer.WriteAsync(StepPage<TOut>.Done(0), cancellationToken).ConfigureAwait(false);
    }

    private async Task ExtractAsync(ChainRun run, IExtractor<TStepIn, TOut> extractor, ChannelReader<StepPage<TParent>> reader, ChannelWriter<StepPage<TOut>> writer, CancellationToken cancellationToken)
    {
        var chainInput = (TChainIn)run.Input!;
        var batch = Settings.Batch;
        if (batch is not null)
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = batch.MaxConcurrentBatches, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Batches(reader, batch.Size, cancellationToken), options, (item, ct) => new ValueTask(ProcessAsync(run, extractor, chainInput, item, writer, ct))).ConfigureAwait(false);
            return;
        }

        switch (Settings.Mode)
        {
            case ProcessingMode.Parallel:
                var options = new ParallelOptions { MaxDegreeOfParallelism = Settings.MaxConcurrency, CancellationToken = cancellationToken };
                await Parallel.ForEachAsync(Items(reader, cancellationToken), options, (item, ct) => new ValueTask(ProcessAsync(run, extractor, chainInput, item, writer, ct))).ConfigureAwait(false);
                break;
            case ProcessingMode.Single:
                bool seen = false;
                await foreach (var item in Items(reader, cancellationToken).ConfigureAwait(false))
                {
                    if (seen)
                    {
                        var previous = Index > 1 ? run.Definition.Steps[Index - 2].Name : "the chain input";
                        var error = new ChainStepException(run.ChainId, Name, Index, item.Key, null, $"the step runs in Single mode (one input, one call), but step '{previous}' produced more than one record; use ProcessingMode.Sequential or ProcessingMode.Parallel.");
                        await run.RecordFailureAsync(this, item.Key, null, error, fatal: true, pageSkipped: false).ConfigureAwait(false);
                        throw error;
                    }

                    seen = true;
                    await ProcessAsync(run, extractor, chainInput, item, writer, cancellationToken).ConfigureAwait(false);
                }

                break;
            default:
                await foreach (var item in Items(reader, cancellationToken).ConfigureAwait(false))
                {
                    await ProcessAsync(run, extractor, chainInput, item, writer, cancellationToken).ConfigureAwait(false);
                }

                break;
        }
    }

    private async Task ProcessAsync(ChainRun run, IExtractor<TStepIn, TOut> extractor, TChainIn chainInput, WorkItem item, ChannelWriter<StepPage<TOut>> writer, CancellationToken cancellationToken)
    {
        if (!run.Resuming || run.State is not { } state)
        {
            await ExtractItemAsync(run, extractor, chainInput, item, null, writer, cancellationToken).ConfigureAwait(false);
            return;
        }

        bool started = false;
        while (true)
        {
            var (done, next, covered) = await state.GetItemAsync(Index, item.Key, cancellationToken).ConfigureAwait(false);
            if (item.Batch is { } records && covered is int n && n < records.Count)
            {
                // The run before had this batch short (the last one); the step before has more records since (a page it had failed).
                // The records it covered finish as they were (from their checkpoint, unless done); the rest are a batch of their own,
                // keyed by its first record like any batch.
                if (!done)
                {
                    await ExtractItemAsync(run, extractor, chainInput, item with { Batch = [.. records.Take(n)] }, next, writer, cancellationToken).ConfigureAwait(false);
                    started = true;
                }

                item = item with { Key = item.Key + n, Batch = [.. records.Skip(n)] };
                continue;
            }

            if (!done)
            {
                await ExtractItemAsync(run, extractor, chainInput, item, next, writer, cancellationToken).ConfigureAwait(false);
            }
            else if (!started)
            {
                run.Counters[Index - 1].AddAlreadyDone();
            }

            return;
        }
    }

    /// <summary>Maps <paramref name="item"/> to the step's input and extracts it, from <paramref name="resumeFrom"/> when a run before got that far.</summary>
    private async Task ExtractItemAsync(ChainRun run, IExtractor<TStepIn, TOut> extractor, TChainIn chainInput, WorkItem item, PageCheckpoint? resumeFrom, ChannelWriter<StepPage<TOut>> writer, CancellationToken cancellationToken)
    {
        var counters = run.Counters[Index - 1];
        TStepIn input;
        try
        {
            input = item.Batch is not null ? _batchMap!(chainInput, item.Batch)
                : _lineageMap is not null ? _lineageMap(chainInput, item.Record, item.Lineage!)
                : _map!(chainInput, item.Record);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A mapping that cannot build the input (a null where the input needs a value) fails this input like an extraction would.
            await FailAsync(run, item.Key, item.Batch?.Count, item.Batch is null ? DescribeParent(run, item.Record) : $"batch of {item.Batch.Count}: [{string.Join(",", item.Batch.Select(record => DescribeParent(run, record)))}]", ex as ChainMappingException ?? new ChainMappingException(ex.Message, ex), endsRun: false, null, writer, cancellationToken).ConfigureAwait(false);
            return;
        }

        counters.AddInput();
        var lineage = item.Batch is null ? ChainLineage.Extend(run.Definition.LastReader, Index, item.Lineage, item.Record) : null;
        int retriesLeft = Settings.Batch is { RetryFailedBatches: true } batch ? batch.MaxBatchRetries : 0;
        while (true)
        {
            try
            {
                await foreach (var page in Pages(run, extractor, input, resumeFrom, cancellationToken).ConfigureAwait(false))
                {
                    if (page.Error is { } failed && run.Modes[Index - 1] == ErrorMode.FailFast)
                    {
                        // The extractor skipped a failed page by its own mode, but the step's mode is FailFast: the page fails the
                        // input (and the chain), which a resumed run reads again from that page. Its requests are counted with its error.
                        counters.AddRequests(0, page.DroppedRequests);
                        counters.AddThrottled(page.Throttled);
                        throw failed;
                    }

                    counters.AddPage(page.Count, page.Attempts, page.DroppedRequests, page.Throttled);
                    var letters = await MisfitsAsync(run, extractor, page, item.Key, page.Misfits.Count > 0 ? Describe(extractor, input) : null, lineage).ConfigureAwait(false);
                    if (page.Error is { } skipped
                        && await run.RecordFailureAsync(this, item.Key, skipped.Input ?? Describe(extractor, input), skipped, fatal: false, pageSkipped: true, lineage).ConfigureAwait(false) is { } letter)
                    {
                        // The extractor skipped a failed page (its error mode allows it, and the step's is not FailFast): recorded, and
                        // the input goes on after it. Its dead-letter entry travels with the page, whose commit records the input past
                        // the failed page. (A skipped page holds no records, so none that did not fit either.)
                        letters = [letter];
                    }

                    await writer.WriteAsync(StepPage<TOut>.From(item.Key, page, lineage, letters, item.Batch?.Count), cancellationToken).ConfigureAwait(false);
                    resumeFrom = page.Next;
                }

                await writer.WriteAsync(StepPage<TOut>.Done(item.Key, item.Batch?.Count), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ExtractionException ex) when (!cancellationToken.IsCancellationRequested)
            {
                counters.AddRequests(ex.Attempts, ex.DroppedRequests);
                bool endsRun = PageResilience.EndsRun(ex.Kind);
                if (retriesLeft > 0 && !endsRun)
                {
                    // API-level batching: the batch is tried again from its failed page; the pages before it were passed on already.
                    retriesLeft--;
                    counters.AddBatchRetry();
                    resumeFrom = ex.Resume ?? resumeFrom;
                    continue;
                }

                await FailAsync(run, item.Key, item.Batch?.Count, ex.Input ?? Describe(extractor, input), ex, endsRun, lineage, writer, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not ChainStepException)
            {
                await FailAsync(run, item.Key, item.Batch?.Count, Describe(extractor, input), ex, endsRun: true, lineage, writer, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>
    /// Applies the step's error mode to a failed input: stop the chain, or record it and go on with the next input. An input whose failure
    /// has a dead-letter entry to carry is finished: its end goes on with the entry, so the commit that records the input done makes the
    /// entry durable (a resumed run does not extract it again; the entry is where to replay it from).
    /// </summary>
    private async Task FailAsync(ChainRun run, long key, int? covered, string? input, Exception error, bool endsRun, ChainLineage? lineage, ChannelWriter<StepPage<TOut>> writer, CancellationToken cancellationToken)
    {
        bool fatal = endsRun || run.Modes[Index - 1] == ErrorMode.FailFast;
        var letter = await run.RecordFailureAsync(this, key, input, error, fatal, pageSkipped: false, lineage).ConfigureAwait(false);
        if (fatal)
        {
            throw new ChainStepException(run.ChainId, Name, Index, key, input, error.Message, error);
        }

        if (letter is not null)
        {
            // A batch notes how many records it covered, as when it succeeds: records that join it on a resume are still sent.
            await writer.WriteAsync(new StepPage<TOut>(key, [], 0, null, isDone: true) { DeadLetters = [letter], Covered = covered }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The input's pages. When the step dead-letters (<see cref="ChainRun.AcceptsMisfits"/>) they are read through a collector that takes a
    /// record that does not fit the record type off its page (<see cref="Page{T}.Misfits"/>) instead of failing the page, as a pipeline does;
    /// otherwise straight from the extractor (a hand-written one's pages then take no detour through a sink).
    /// </summary>
    private IAsyncEnumerable<Page<TOut>> Pages(ChainRun run, IExtractor<TStepIn, TOut> extractor, TStepIn input, PageCheckpoint? resumeFrom, CancellationToken cancellationToken)
        => run.AcceptsMisfits(Index)
            ? PageCollector<TOut>.PagesAsync(extractor, input, resumeFrom, PageCollector<TOut>.DefaultCapacity, acceptsRejects: true, cancellationToken)
            : extractor.ExtractPagesAsync(input, resumeFrom, cancellationToken);

    /// <summary>
    /// Records each record of <paramref name="page"/> that did not fit the record type as a failure of its own (a
    /// <see cref="ExtractionErrorKind.RecordMismatch"/> of the page, its entry holding the record as sent), as a pipeline does; the rest of
    /// the page goes on. The entries returned travel with the page, whose commit records the input past it (with no state store they are
    /// appended at once, and a replay keeps them: none is returned then).
    /// </summary>
    private async ValueTask<IReadOnlyList<DeadLetterEntry>> MisfitsAsync(ChainRun run, IExtractor<TStepIn, TOut> extractor, Page<TOut> page, long key, string? input, ChainLineage? lineage)
    {
        if (page.Misfits.Count == 0)
        {
            return [];
        }

        var letters = new List<DeadLetterEntry>();
        foreach (var (json, reason) in page.Misfits)
        {
            var error = new ExtractionException(ExtractionErrorKind.RecordMismatch, extractor.Name, page.Number, page.Url, reason) { Input = input };
            if (await run.RecordFailureAsync(this, key, input, error, fatal: false, pageSkipped: false, lineage, json).ConfigureAwait(false) is { } letter)
            {
                letters.Add(letter);
            }
        }

        return letters;
    }

    /// <summary>
    /// The input as its extractor keys it (a generated extractor: the first request's relative URL, secrets redacted); an input that
    /// cannot even be made into a URL (an empty path value) is described by the reason.
    /// </summary>
    private static string? Describe(IExtractor<TStepIn, TOut> extractor, TStepIn input)
    {
        if (input is NoInput)
        {
            return null;
        }

        try
        {
            return extractor.PartitionKey(input);
        }
        catch (ArgumentException ex)
        {
            return $"(an input that makes no request URL: {ex.Message})";
        }
    }

    /// <summary>
    /// A record of the step before whose mapping failed (or one of a batch's), as the failure describes it: its JSON with the values of
    /// secret-looking fields masked (never its <c>ToString()</c>, which would show them), or the step's name when its records have no JSON
    /// metadata.
    /// </summary>
    private string DescribeParent(ChainRun run, TParent record)
    {
        if (Index == 1 || record is null)
        {
            return "the chain input";
        }

        var parent = run.Definition.Steps[Index - 2];
        try
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(buffer))
            {
                parent.WriteRecord(json, record);
            }

            return HttpText.RedactJson(buffer.WrittenSpan);
        }
        catch (InvalidOperationException)
        {
            return $"a record of step '{parent.Name}'";
        }
    }

    private static async IAsyncEnumerable<WorkItem> Items(ChannelReader<StepPage<TParent>> reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            for (int i = 0; i < page.Count; i++)
            {
                yield return new WorkItem(page.FirstSeq + i, page.Records[i], null, page.Lineage);
            }
        }
    }

    /// <summary>
    /// Batches cut at every <paramref name="size"/>-th record of the step before, so a resumed run forms the same batches (keyed by their
    /// first record) as the run it continues.
    /// </summary>
    private static async IAsyncEnumerable<WorkItem> Batches(ChannelReader<StepPage<TParent>> reader, int size, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var current = new List<TParent>(size);
        long first = 0;
        await foreach (var page in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            for (int i = 0; i < page.Count; i++)
            {
                if (current.Count == 0)
                {
                    first = page.FirstSeq + i;
                }

                current.Add(page.Records[i]);
                if (current.Count == size)
                {
                    yield return new WorkItem(first, default!, current, null);
                    current = new List<TParent>(size);
                }
            }
        }

        if (current.Count > 0)
        {
            yield return new WorkItem(first, default!, current, null);
        }
    }

    // ------------------------------------------------------------ committer

    private async Task CommitAsync(ChainRun run, ChannelReader<StepPage<TOut>> reader, ChannelWriter<StepPage<TOut>> writer, CancellationToken cancellationToken)
    {
        var state = run.State;
        var typeInfo = state is null ? null : _recordTypeInfo!();
        long nextSeq = 0;
        long pageIndex = 0;
        if (state is not null && run.Resuming)
        {
            // Replay what this step produced before, in order, so the next step sees every record again (and skips those it finished).
            while (await state.GetPageAsync(Index, pageIndex, cancellationToken).ConfigureAwait(false) is { } stored)
            {
                var records = state.ReadPage(stored, typeInfo!, ChainStateStore.PageKey(Index, pageIndex), run.Definition, out long first, out var lineage);
                if (first != nextSeq)
                {
                    throw new ChainStateException($"The state of chain '{run.ChainId}' in '{state.Location}' is inconsistent: page {pageIndex} of step '{Name}' starts at record {first}, expected {nextSeq}; reset it with ResetStateAsync.");
                }

                await writer.WriteAsync(new StepPage<TOut>(-1, records, records.Length, null, isDone: false, lineage) { FirstSeq = first }, cancellationToken).ConfigureAwait(false);
                nextSeq += records.Length;
                pageIndex++;
            }
        }

        await foreach (var page in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (state is not null)
            {
                var change = new StateChange();
                if (page.Count > 0)
                {
                    change.Put(state.Scope, ChainStateStore.PageKey(Index, pageIndex), ChainStateStore.WritePage(page.Parent, nextSeq, page.Records.AsSpan(0, page.Count), typeInfo!, page.Lineage, run.Definition));
                }

                change.Put(state.Scope, ChainStateStore.ItemKey(Index, page.Parent), Marker(page));
                run.Hold(Index, page.DeadLetters);
                await run.CommitAsync(Index, change, cancellationToken).ConfigureAwait(false);

                if (page.Count > 0)
                {
                    pageIndex++;
                }
            }

            if (page.Count > 0)
            {
                page.FirstSeq = nextSeq;
                nextSeq += page.Count;
                await writer.WriteAsync(page, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The progress a fresh page of an input records: <c>done</c> after its last page (no next page; the input's end marker may never
    /// arrive if the run stops right after it), else the checkpoint of its next page.
    /// </summary>
    private static string Marker(StepPage<TOut> page)
        => !page.IsDone && page.Next is { } next ? ChainStateStore.Marker(next, page.Covered)
            : page.Covered is int covered ? ChainStateStore.DoneMarkerOf(covered)
            : ChainStateStore.DoneMarker;

    // ----------------------------------------------------------------- sink

    /// <summary>
    /// Writes each page to the output and commits a batch, with the progress of the inputs it holds, when it is full or the output's
    /// flush interval has passed: at a page's end, or, while no page comes (a slow API, a rate-limit pause, a busy earlier step), on
    /// the interval from a flusher beside the page loop. A page holds the flusher's gate from its write until its progress is noted, so
    /// either commit records whole pages with their progress. A failed commit, of either, stops the run with its error.
    /// </summary>
    private async Task SinkAsync(ChainRun run, ChannelReader<StepPage<TOut>> reader, CancellationToken cancellationToken)
    {
        var output = (IOutput<TOut>)run.Output;
        var state = run.State;
        if (run.Replay is null)
        {
            // Every run recovers, new or resumed: a killed run's leftovers may wait for no resume (its state was reset, it ran without
            // one, or it was a replay), and a failed run on this same output left pages pending. Another chain id's run (parallel chains
            // of one file), or a run of this one with another state store or none, may share the folder; its files are left for its own
            // recovery. A replay names its writer itself, and recovers nothing: it keeps no state.
            await output.RecoverAsync(OwnerTag.Chain(run.ChainId, state?.Identity), state is null ? null : await state.GetPreparedAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }

        var flusher = new IntervalFlusher(output.Batching.FlushInterval, run.Options.TimeProvider);
        var touched = new Dictionary<long, string>();
        Exception? failure = null;
        bool partial = false;
        using var flushing = new CancellationTokenSource();
        // Once the page loop has failed, the run's end decides what is committed (below), not the flusher; a replay commits only there.
        var flushed = flusher.RunAsync(
            () => failure is null && run.Replay is null && (output.PendingRecords > 0 || touched.Count > 0),
            token => CommitOutputAsync(run, output, touched, token),
            error =>
            {
                run.Fail(error);
                return Task.CompletedTask;
            },
            cancellationToken,
            flushing.Token);
        try
        {
            await foreach (var page in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await flusher.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (page.Count > 0)
                    {
                        try
                        {
                            await output.WriteAsync(page.Records.AsMemory(0, page.Count), cancellationToken).ConfigureAwait(false);
                        }
                        catch when (output is not JsonlOutput<TOut>)
                        {
                            // A user output whose write stopped (an error, or cancelled) may hold part of the page, which cannot be taken
                            // back out of it (a JsonlOutput writes a page whole or not at all).
                            partial = true;
                            throw;
                        }
                    }

                    if (state is not null)
                    {
                        touched[page.Parent] = Marker(page);
                        run.Hold(Index, page.DeadLetters);
                    }

                    if (run.Replay is null && (output.IsBatchFull || flusher.Due))
                    {
                        await CommitOutputAsync(run, output, touched, cancellationToken).ConfigureAwait(false);
                        flusher.Restart();
                    }
                }
                catch (Exception ex)
                {
                    failure = ex; // before the gate is released: the flusher commits nothing after it
                    throw;
                }
                finally
                {
                    flusher.Gate.Release();
                }
            }
        }
        catch (Exception ex)
        {
            failure ??= ex;
            throw;
        }
        finally
        {
            await flushing.CancelAsync().ConfigureAwait(false);
            var flushFailure = await flushed.ConfigureAwait(false);

            // Every page handed to the output is whole and the inputs' progress says where each one stands, so what is pending is
            // committed even when the run stops: a resumed run continues each input after its last committed page. Not after a write
            // that stopped part-way (the next run recovers from the last commit and reads those pages again), nor after a commit that
            // failed (the run has failed with it; the next run recovers from the last recorded commit). A replay commits only when it
            // went through, so one that failed or was cancelled wrote nothing and its entry stays for the next.
            bool committing = run.Replay is null || (failure is null && run.Error is null && !cancellationToken.IsCancellationRequested);
            if (failure is null or OperationCanceledException && !partial && flushFailure is null && committing)
            {
                await CommitOutputAsync(run, output, touched, CancellationToken.None).ConfigureAwait(false);
                if (run.Replay is { } replay)
                {
                    replay.Committed = true;
                }
            }
        }
    }

    private async Task CommitOutputAsync(ChainRun run, IOutput<TOut> output, Dictionary<long, string> touched, CancellationToken cancellationToken)
    {
        OutputCommit commit;
        if (run.State is { } state)
        {
            if (output.PendingRecords == 0 && touched.Count == 0)
            {
                return;
            }

            var prepared = await output.PrepareCommitAsync(cancellationToken).ConfigureAwait(false);
            var change = state.PutPrepared(new StateChange(), prepared);
            foreach (var (parent, marker) in touched)
            {
                change.Put(state.Scope, ChainStateStore.ItemKey(Index, parent), marker);
            }

            // Once prepared, the batch is out of the output's hands: recording and completing it are not cancellable (a cancelled
            // record would leave the progress markers for the final commit, which would then point past this batch's records). The
            // dead-letter entries of the pages it records go with it.
            await run.CommitAsync(Index, change, CancellationToken.None).ConfigureAwait(false);
            commit = await output.CompleteCommitAsync(prepared, CancellationToken.None).ConfigureAwait(false);
            touched.Clear();
        }
        else
        {
            if (output.PendingRecords == 0)
            {
                return;
            }

            commit = await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        run.Committed += commit.Records;
        run.Files.AddRange(commit.Files);
        if (commit.Records > 0)
        {
            Instruments.Batch(run.ChainId, commit.Records, commit.Bytes); // a commit of progress alone is no output batch
        }
    }

    /// <summary>
    /// One input of the stage: a record of the step before (keyed by its position) with the lineage of its page, or a batch of them (keyed
    /// by its first).
    /// </summary>
    private readonly record struct WorkItem(long Key, TParent Record, IReadOnlyList<TParent>? Batch, ChainLineage? Lineage);
}
