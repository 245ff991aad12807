using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace ApiPipeline;

/// <summary>
/// The incremental and crash-safe side of one pipeline run. It decides where each input starts (resume checkpoint, or watermark
/// minus lag), filters each page's records (range, duplicates inside the lag window, late records), and commits in the order that
/// makes a crash harmless: the output's batch and the dead-letter entries held since the last commit are made durable under temporary
/// names, then the state (checkpoints, the prepared batch and entries, keys seen) is saved in one transaction, then both are made
/// visible. On the next start the last recorded batch is rolled forward and anything else left over is deleted, so every record and
/// every dead-letter entry lands exactly once. Watermarks advance only when the run completes (a backfill's: only first ones, see
/// <see cref="CompleteAsync"/>).
/// </summary>
internal sealed class RunCheckpointer<TIn, TOut>
{
    private readonly string _pipelineId;
    private readonly PipelineJournal? _journal;
    private readonly IExtractor<TIn, TOut> _extractor;
    private readonly IOutput<TOut> _output;
    private readonly WatermarkOptions<TOut>? _watermark;
    private readonly WatermarkValue? _from;
    private readonly IReadOnlyDictionary<string, WatermarkValue> _watermarks;
    // Keys written by earlier runs inside their lag window (partition -> key -> watermark value); read-only during a run.
    private readonly Dictionary<string, Dictionary<string, WatermarkValue>> _seen;
    private readonly ConcurrentDictionary<string, PartitionState> _partitions;
    private readonly LateRecordLetters<TOut>? _lateLetters;
    private readonly DeadLetterWriter? _deadLetter;

    // Keys of the current batch (cleared at each commit) and the ones this run persisted (for pruning when it completes).
    private readonly List<(string Partition, string Key, WatermarkValue Mark)> _batchKeys = [];
    private readonly Dictionary<(string Partition, string Key), WatermarkValue> _persistedKeys = [];
    private readonly List<(string Partition, string Key, WatermarkValue Mark)> _pageKeys = [];
    private readonly PageFilter _page = new();

    // Conditional requests: the validators of committed pages by request key (as the store holds them), those of the current batch,
    // and the partitions the batch finishes (their entries that this run did not confirm are pruned with it).
    private readonly Dictionary<string, StoredPage> _pages;
    private readonly Dictionary<string, StoredPage> _batchPages = new(StringComparer.Ordinal);
    private readonly HashSet<string> _finishedSinceCommit = new(StringComparer.Ordinal);
    private long _duplicates;
    private long _late;
    private long _outOfRange;
    private PipelineRunState _run;
    private long _pagesSinceCommit;
    private readonly TimeProvider _clock;
    private bool _broken;
    private Exception? _refused;

    private RunCheckpointer(string pipelineId, PipelineJournal? journal, IExtractor<TIn, TOut> extractor, IOutput<TOut> output, PipelineOptions options, PipelineRunState run, bool resumed, IReadOnlyDictionary<string, WatermarkValue> watermarks, Dictionary<string, Dictionary<string, WatermarkValue>> seen, DeadLetterWriter? deadLetter, LateRecordLetters<TOut>? lateLetters, Dictionary<string, StoredPage> pages)
    {
        _pages = pages;
        _pipelineId = pipelineId;
        _deadLetter = deadLetter;
        _lateLetters = lateLetters;
        _journal = journal;
        _extractor = extractor;
        _output = output;
        _watermark = extractor.Watermark;
        _from = options.From;
        _clock = options.TimeProvider;
        _run = run;
        Resumed = resumed;
        _watermarks = watermarks;
        _seen = seen;
        _partitions = new(run.Partitions, StringComparer.Ordinal);
    }

    /// <summary>Whether this run continues one that was interrupted.</summary>
    public bool Resumed { get; }

    /// <summary>The failures the run had moved past when it was interrupted (recorded with its last commit); none for a new run.</summary>
    public RunFailureCounts ResumedFailures => Resumed ? _run.Failures : default;

    /// <summary>The run's number.</summary>
    public long RunId => _run.RunId;

    /// <summary>Records dropped because an earlier run already wrote the same key with the same watermark value.</summary>
    public long Duplicates => _duplicates;

    /// <summary>Records older than the stored watermark minus the allowed lateness.</summary>
    public long Late => _late;

    /// <summary>Records outside the run's range (before its start or at/after its end), dropped.</summary>
    public long OutOfRange => _outOfRange;

    /// <summary>Late records written to the dead-letter file (<see cref="LateRecordPolicy.DeadLetter"/>).</summary>
    public long LateDeadLettered => _lateLetters?.Written ?? 0;

    /// <summary>The watermark of <paramref name="partition"/> stored before this run, or <see langword="null"/>.</summary>
    public WatermarkValue? StoredWatermark(string partition) => _watermarks.TryGetValue(partition, out var stored) ? stored : null;

    /// <summary>The newest watermark after the run (stored, or advanced by it), over all partitions.</summary>
    public WatermarkValue? Watermark { get; private set; }

    /// <summary>
    /// Opens a run: recovers the output and <paramref name="deadLetter"/> (the pipeline's dead-letter file, if it has one) from the last
    /// recorded batch, then resumes the unfinished run or starts the next.
    /// </summary>
    public static async Task<RunCheckpointer<TIn, TOut>> OpenAsync(string pipelineId, IExtractor<TIn, TOut> extractor, IOutput<TOut> output, PipelineOptions options, DeadLetterWriter? deadLetter, CancellationToken cancellationToken)
    {
        extractor.Watermark?.Validate(pipelineId);
        var lateLetters = LateRecordLetters<TOut>.For(pipelineId, extractor, options, deadLetter);
        if (extractor.Watermark is { } declared && ((options.From is { } from && from.Kind != declared.Kind) || (options.Until is { } until && until.Kind != declared.Kind)))
        {
            throw new ArgumentException($"Pipeline '{pipelineId}': the watermark on '{declared.Field}' is a {declared.Kind}, so PipelineOptions.From and Until must be too (From {options.From?.ToString() ?? "none"}, Until {options.Until?.ToString() ?? "none"}).");
        }

        var journal = options.StateStore is { } store ? new PipelineJournal(store, pipelineId) : null;
        var previous = journal is null ? null : await journal.LoadRunAsync(cancellationToken).ConfigureAwait(false);
        await output.RecoverAsync(OwnerTag.Pipeline(pipelineId, options.StateStore?.Identity), previous?.LastCommit, cancellationToken).ConfigureAwait(false);
        if (previous?.LastDeadLetters is { } letters)
        {
            if (deadLetter is not null)
            {
                await deadLetter.RecoverAsync(letters, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await DeadLetterWriter.RollForwardAsync(letters, pipelineId, cancellationToken).ConfigureAwait(false);
            }
        }

        deadLetter?.DeleteUnrecorded();

        // A backfill resumes only the failed or interrupted run of the same range, and an ordinary run only an ordinary one.
        bool sameRange = previous is not null && options.From == previous.From && options.Until == previous.Until;
        bool resume = sameRange && previous is { Completed: false };
        bool windowed = extractor.TimeWindows is not null;
        var run = resume
            ? previous!
            : new PipelineRunState
            {
                RunId = (previous?.RunId ?? 0) + 1,
                StartedAt = options.TimeProvider.GetUtcNow(),
                From = options.From,
                Until = options.Until,

                // A completed run can leave inputs unfinished (it resumed a failed run but was given other inputs): they continue here.
                // So do those the last ordinary run left, set aside while backfills ran, in an ordinary run with the same end as it had.
                Partitions = sameRange ? Carried(previous!, windowed)
                    : options.From is null && previous is { From: not null, Parked: { } parked } && options.Until == parked.Until ? new Dictionary<string, PartitionState>(parked.Partitions, StringComparer.Ordinal)
                    : new Dictionary<string, PartitionState>(),
                Parked = options.From is null || previous is null ? null : previous.From is null ? new SetAsideInputs(previous.Until, Carried(previous, windowed)) : previous.Parked,
            };
        var watermarks = journal is null ? new Dictionary<string, WatermarkValue>() : await journal.LoadWatermarksAsync(cancellationToken).ConfigureAwait(false);
        if (extractor.Watermark is { } field && watermarks.FirstOrDefault(w => w.Value.Kind != field.Kind) is { Key: { } mismatched } other)
        {
            throw new StateStoreException($"The stored watermark of partition '{mismatched}' of pipeline '{pipelineId}' is the {other.Value.Kind} {other.Value}, but the watermark on '{field.Field}' is a {field.Kind}; reset the pipeline's state (PipelineJournal.ResetAsync, or `state reset {pipelineId}`) to start over.");
        }

        var seen = new Dictionary<string, Dictionary<string, WatermarkValue>>(StringComparer.Ordinal);
        if (journal is not null && extractor.Watermark?.Key is not null)
        {
            foreach (var (seenKey, mark) in await journal.LoadSeenAsync(cancellationToken).ConfigureAwait(false))
            {
                var (partition, key) = PipelineJournal.SplitSeenKey(seenKey);
                if (!seen.TryGetValue(partition, out var keys))
                {
                    seen[partition] = keys = new Dictionary<string, WatermarkValue>(StringComparer.Ordinal);
                }

                keys[key] = mark;
            }
        }

        // The validators of pages committed before (conditional requests); only extractors that send them ever store any.
        Dictionary<string, StoredPage> pages = journal is null ? [] : await journal.LoadPagesAsync(cancellationToken).ConfigureAwait(false);
        return new RunCheckpointer<TIn, TOut>(pipelineId, journal, extractor, output, options, run, resume, watermarks, seen, deadLetter, lateLetters, pages);
    }

    /// <summary>Where <paramref name="input"/> starts in this run, or <c>Skip</c> when a resumed run already finished it or handed its rest to replay.</summary>
    public (string Partition, bool Skip, PageCheckpoint? Start) Begin(TIn input)
    {
        string partition = _extractor.PartitionKey(input);
        _lateLetters?.Learn(input, _extractor.RecordTypeInfo?.Options);
        if (_partitions.TryGetValue(partition, out var state))
        {
            return state.Completed || state.DeadLettered ? (partition, true, null) : (partition, false, state.Next ?? _extractor.StartAt(input, state.Since, _run.Until));
        }

        WatermarkValue? since = _from;
        if (since is null && _watermark is not null)
        {
            since = _watermarks.TryGetValue(partition, out var stored) ? stored - _watermark.Lag : _watermark.Initial;
        }

        _partitions[partition] = new PartitionState { Since = since };
        return (partition, false, _extractor.StartAt(input, since, _run.Until));
    }

    /// <summary>
    /// Where this run of <paramref name="input"/> started (after <see cref="Begin"/>): its first page with the watermark's query parameters,
    /// also when the run resumes further on; <see langword="null"/> when the input's first request carries none.
    /// </summary>
    public PageCheckpoint? InputStart(TIn input)
        => _partitions.TryGetValue(_extractor.PartitionKey(input), out var state) ? _extractor.StartAt(input, state.Since, _run.Until) : null;

    /// <summary>
    /// The time windows of <paramref name="input"/> for <paramref name="options"/>: the range from <see cref="PipelineOptions.From"/>, the
    /// stored watermark minus its lag, or the watermark's initial value, to the backfill's end or the run's start (stored with the run,
    /// so a resumed run plans the same windows), split into aligned fixed windows.
    /// </summary>
    public (string Partition, IReadOnlyList<TimeWindow> Windows) PlanWindows(TIn input, TimeWindowOptions options, string pipelineId)
    {
        string partition = _extractor.PartitionKey(input);
        if (_watermark is not { Kind: WatermarkKind.Timestamp })
        {
            throw new InvalidOperationException($"Pipeline '{pipelineId}': TimeWindows needs a timestamp [Watermark] on '{_extractor.Name}' (its Param and UntilParam carry each window's bounds).");
        }

        var since = _from ?? (_watermarks.TryGetValue(partition, out var stored) ? stored - _watermark.Lag : _watermark.Initial)
            ?? throw new InvalidOperationException($"Pipeline '{pipelineId}': TimeWindows needs a start for '{partition}' on its first run; set [Watermark(Initial = \"2024-01-01T00:00:00Z\")] or PipelineOptions.From.");

        // The end is kept with the input, so that its windows stay the same when a later run continues them.
        var range = _partitions[partition];
        var end = range.Until?.Timestamp ?? _run.Until?.Timestamp ?? _run.StartedAt;
        _partitions[partition] = range with { Until = WatermarkValue.FromTimestamp(end) };
        var windows = since.Timestamp >= end ? [] : Windows.Split(since.Timestamp, end, new WindowOptions { Type = WindowType.Fixed, Size = options.Size, Offset = options.Offset }).ToList();
        return (partition, windows);
    }

    /// <summary>
    /// Where <paramref name="window"/> of <paramref name="partition"/> starts in this run, or <c>Skip</c> when a resumed run already
    /// finished it or handed its rest to replay; <c>Continued</c> when pages of it were committed before (it starts at its checkpoint).
    /// </summary>
    public (string Partition, bool Skip, PageCheckpoint? Start, bool Continued) BeginWindow(TIn input, string partition, TimeWindow window)
    {
        string key = partition + " @ " + window;
        if (_partitions.TryGetValue(key, out var state))
        {
            return state.Completed || state.DeadLettered ? (key, true, null, true) : (key, false, state.Next ?? _extractor.StartAt(input, state.Since, state.Until), state.Next is not null);
        }

        _partitions[key] = new PartitionState { Since = window.Start, Until = window.End, WindowOf = partition };
        return (key, false, _extractor.StartAt(input, window.Start, window.End), false);
    }

    /// <summary>
    /// Whether an earlier attempt of this run split <paramref name="window"/> of <paramref name="partition"/>: the window has no progress
    /// of its own, but windows inside it (its halves, or theirs) have, and they go on in its place however deep it is now.
    /// </summary>
    public bool WasSplit(string partition, TimeWindow window)
    {
        if (_partitions.ContainsKey(partition + " @ " + window))
        {
            return false;
        }

        foreach (var (_, state) in _partitions)
        {
            if (state.WindowOf == partition && state.Since?.Timestamp >= window.Start && state.Until?.Timestamp <= window.End)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A window that was split before anything of it was written: its halves take its place.</summary>
    public void ForgetWindow(string key) => _partitions.TryRemove(key, out _);

    /// <summary>The partition of the current (or last) page.</summary>
    public string PagePartition => _page.Partition;

    /// <summary>A page of <paramref name="partition"/> starts: <see cref="Keep"/> decides on its records until <see cref="EndPage"/> or <see cref="AbortPage"/>.</summary>
    public void BeginPage(string partition)
    {
        var state = _partitions[partition];
        string owner = state.WindowOf ?? partition;
        _page.Begin(partition, owner, state, _watermarks.TryGetValue(owner, out var w) ? w : null, _seen.GetValueOrDefault(owner));
        _pageKeys.Clear();
    }

    /// <summary>Whether <paramref name="record"/> of the current page belongs in the output (in range, not a duplicate, not a dropped late record).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Keep(TOut record)
    {
        if (_watermark?.Read(record) is not { } mark)
        {
            return true;
        }

        if (mark.Kind != _watermark.Kind)
        {
            throw new InvalidOperationException($"Pipeline '{_pipelineId}', partition '{_page.Partition}': the watermark on '{_watermark.Field}' is declared as {_watermark.Kind} but a record holds the {mark.Kind} value {mark}; make the member's type and the [Watermark] agree.");
        }

        var page = _page;
        if (page.State.Since is { } since && mark < since)
        {
            // Below an ordinary run's start, set by an earlier run's watermark, a record was written by that run, or came too late for
            // any (backdated): the page may be remembered, as backfills, which write such records, send no validators. Below a backfill's
            // From or an initial watermark, no run wrote it.
            page.OutOfRange++;
            if (_from is not null || page.Stored is null)
            {
                page.Unwritten++;
            }

            return false;
        }

        if ((page.State.Until ?? _run.Until) is { } until && mark >= until)
        {
            page.OutOfRange++;
            page.Unwritten++;
            return false;
        }

        // A record without a key (null) cannot be recognised when read again: it is neither dropped nor remembered.
        string? recordKey = _watermark.Key is { } key ? key(record) : null;
        // Written by an earlier run with this value (read again in the lag) or a newer one (an older version, superseded).
        if (recordKey is not null && page.Known is not null && page.Known.TryGetValue(recordKey, out var written) && written >= mark)
        {
            page.Duplicates++;
            return false;
        }

        // A backfill (From) asks for records below the stored watermark on purpose: none of them is late.
        if (_from is null && page.Stored is { } stored && mark < stored - _watermark.EffectiveAllowedLateness)
        {
            page.Late++;
            if (_watermark.Late == LateRecordPolicy.Drop)
            {
                page.Unwritten++;
                return false;
            }

            if (_watermark.Late == LateRecordPolicy.DeadLetter)
            {
                // Durable in the dead-letter file, which replay writes from: remembered, so that a backfill does not write it too.
                page.Unwritten++;
                Remember(recordKey, mark);
                _lateLetters!.Add(page.Owner, record, mark, stored);
                return false;
            }
        }

        // Remembered only once it is kept: a late record dropped above is in no output, and a backfill must not take it for a duplicate.
        Remember(recordKey, mark);

        if (page.MaxMark is null || mark > page.MaxMark)
        {
            page.MaxMark = mark;
        }

        return true;
    }

    /// <summary>A key of the current page to remember as written, inside the lag window, with the batch.</summary>
    private void Remember(string? recordKey, WatermarkValue mark)
    {
        if (recordKey is not null && _journal is not null)
        {
            _pageKeys.Add((_page.Owner, recordKey, mark));
        }
    }

    /// <summary>
    /// The validator the store holds for the page with <paramref name="requestKey"/>, committed with the batch that made its records
    /// durable (never one of a batch not recorded yet), or <see langword="null"/>. A backfill (<see cref="PipelineOptions.From"/>) holds
    /// none: it reads its range in full, since it exists to write records that ordinary runs dropped (one backdated below their start,
    /// say) from pages they remember.
    /// </summary>
    public KnownPage? KnownPage(string requestKey)
        => _from is null && _pages.TryGetValue(requestKey, out var page) ? new KnownPage(page.Validator, page.Kind, page.Next) : null;

    /// <summary>
    /// The current page (conditional requests) goes into the batch's validators: a 200 with a validator is remembered, a 304 confirms the
    /// entry it was answered for; both are recorded with the batch, so a validator is durable only with its page's records.
    /// </summary>
    private void RememberPage(in PageInfo page)
    {
        if (_journal is null || page.RequestKey is not { } key || _extractor.TimeWindows is not null)
        {
            return;
        }

        if (page.NotModified)
        {
            if (_batchPages.TryGetValue(key, out var known) || _pages.TryGetValue(key, out known))
            {
                // Where it leads now (a header pagination's page may have gained or lost a next page), else its stored Next: this run's
                // may have been cut short by MaxPages.
                _batchPages[key] = known with { Run = _run.RunId, Next = page.EndsInput ? null : page.Next ?? known.Next };
            }
        }
        else if (page.Validator is { } validator && page.Error is null && _page.Unwritten == 0)
        {
            _batchPages[key] = new StoredPage { Validator = validator, Kind = page.ValidatorKind, Next = page.Next, Partition = _page.Partition, Run = _run.RunId };
        }

        if (page.EndsInput)
        {
            // The input's real last page (not one where MaxPages or MaxRecords stopped the run): the batch that records it prunes the
            // input's entries this run did not confirm.
            _finishedSinceCommit.Add(_page.Partition);
        }
    }

    /// <summary>
    /// The current page was written whole (or skipped, <see cref="PageInfo.Error"/>): its counts, keys, newest watermark value and
    /// validator count, and the partition moves on to its <see cref="PageInfo.Next"/>.
    /// </summary>
    public void EndPage(in PageInfo info)
    {
        RememberPage(info);
        var next = info.Next;
        var page = _page;
        var state = page.State;
        if (page.MaxMark is { } mark && (state.MaxMark is null || mark > state.MaxMark))
        {
            state = state with { MaxMark = mark };
        }

        _duplicates += page.Duplicates;
        _late += page.Late;
        _outOfRange += page.OutOfRange;
        _batchKeys.AddRange(_pageKeys);
        _pageKeys.Clear();
        _lateLetters?.EndPage();
        _partitions[page.Partition] = state with { Next = next, Completed = next is null };
        _pagesSinceCommit++;
    }

    /// <summary>
    /// For a backfill's input (or time window) <paramref name="partition"/>: the part of its range that no later ordinary run reads, from
    /// its start to where those runs start (<see cref="LaterStart"/>) or to its own end when that is earlier, which a failure's entry
    /// leaves to <c>replay</c>; <see langword="null"/> when they read all of it (it starts where they start or later, or they start at
    /// the beginning). Without a state store no later run reads anything: the whole range.
    /// </summary>
    public (WatermarkValue? Since, WatermarkValue? Until)? UnreadRange(string partition)
    {
        var state = _partitions[partition];
        var end = state.Until ?? _run.Until;
        if (_journal is null)
        {
            return (state.Since, end);
        }

        // Time windows need a start: without one, ordinary runs read nothing of the input (until a finished backfill gives it one).
        if (LaterStart(state.WindowOf ?? partition) is not { } start)
        {
            return _extractor.TimeWindows is not null ? (state.Since, end) : null;
        }

        if (state.Since is not { } since || since >= start)
        {
            return null;
        }

        return (since, end is { } e && e < start ? e : start);
    }

    /// <summary>A page of <paramref name="partition"/> was skipped: a backfill that finishes the input does not give it its first watermark.</summary>
    public void PageSkipped(string partition) => _partitions[partition] = _partitions[partition] with { PagesSkipped = true };

    /// <summary>
    /// Where ordinary runs of input <paramref name="owner"/> start: its stored watermark minus the lag, else the watermark's initial value;
    /// <see langword="null"/> for the beginning. An input an ordinary run left set aside (<see cref="PipelineRunState.Parked"/>) is taken
    /// up where that run got to: the next ordinary runs read from its newest value minus the lag (an API that sends the oldest first).
    /// </summary>
    private WatermarkValue? LaterStart(string owner)
    {
        var start = StoredStart(owner);
        return _watermark is not null && _run.Parked?.Partitions.Where(p => (p.Value.WindowOf ?? p.Key) == owner).Max(p => p.Value.MaxMark) is { } reached && (start is null || reached - _watermark.Lag > start)
            ? reached - _watermark.Lag
            : start;
    }

    /// <summary>Where ordinary runs of input <paramref name="owner"/> start by its watermark alone: the stored one minus the lag, else the initial value.</summary>
    private WatermarkValue? StoredStart(string owner)
        => _watermark is null ? null : _watermarks.TryGetValue(owner, out var stored) ? stored - _watermark.Lag : _watermark.Initial;

    /// <summary>
    /// The rest of <paramref name="partition"/> (an input, or a time window's key) went to the dead-letter file with the failure held for
    /// the next commit: a run that resumes this one does not continue it, as <c>replay</c> requests it.
    /// </summary>
    public void HandOver(string partition) => _partitions[partition] = _partitions[partition] with { DeadLettered = true };

    /// <summary>The output may hold part of a page (it could not cut it off, <paramref name="reason"/>): no commit of this run may follow.</summary>
    public void Refuse(Exception reason) => _refused ??= reason;

    /// <summary>The current page (or attempt) failed: nothing of it counts.</summary>
    public void AbortPage()
    {
        _page.ClearCounts();
        _pageKeys.Clear();
        _lateLetters?.AbortPage();
    }

    /// <summary>
    /// Prepares the output's batch and the held dead-letter entries, records both with the run's progress in the state store, then
    /// makes them visible. A commit with no records still carries held entries (a failed page at the end of a run).
    /// </summary>
    /// <param name="failures">The failures the run has moved past so far, recorded with the batch.</param>
    /// <param name="cancellationToken">Cancels the preparation.</param>
    public async Task<OutputCommit> CommitAsync(RunFailureCounts failures, CancellationToken cancellationToken)
    {
        if (_refused is not null)
        {
            throw new InvalidOperationException($"The output could not cut off a page it was writing ({_refused.Message}), so it may hold part of that page; nothing more is committed in this run, and the next run recovers from the last commit.", _refused);
        }

        if (_journal is null)
        {
            // Nothing records progress, so nothing is resumed: the entries go to the file first, as the batch has nothing to carry them.
            _batchKeys.Clear();
            if (_deadLetter is not null)
            {
                await _deadLetter.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            return await _output.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_broken)
        {
            throw new InvalidOperationException("An earlier commit of this run failed half-way; the next run recovers from the last recorded one, so nothing more is committed now.");
        }

        if (_output.PendingRecords == 0 && _pagesSinceCommit == 0 && _deadLetter is not { HasHeld: true })
        {
            return OutputCommit.Empty;
        }

        // The entries first: if they cannot be prepared, the output's batch is still its own; if the output's cannot, the entries stay
        // held for the next commit (the temporary file left behind is deleted on the next start).
        var letters = _deadLetter is null ? null : await _deadLetter.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var prepared = await _output.PrepareCommitAsync(cancellationToken).ConfigureAwait(false);
        var recorded = _run with
        {
            Records = _run.Records + prepared.Records,
            Pages = _run.Pages + _pagesSinceCommit,
            Failures = failures,
            Partitions = new Dictionary<string, PartitionState>(_partitions, StringComparer.Ordinal),
            LastCommit = prepared,
            LastDeadLetters = letters,
        };
        // Only keys that a later run can read again are remembered: at most the lag's worth before the newest value; in a backfill
        // (which moves no watermark) those where ordinary runs start by the stored watermark or after (an input an ordinary run set
        // aside may be continued from anywhere past that).
        var lag = _watermark?.Lag ?? default;
        var newest = NewestMarks();
        // The store keeps each key's newest value: of several versions in the batch the newest, and none older than one already kept.
        var remember = _batchKeys.Where(k => _from is null
                ? newest.GetValueOrDefault(k.Partition) is not { } mark || k.Mark >= mark - lag
                : StoredStart(k.Partition) is not { } start || k.Mark >= start)
            .GroupBy(k => (k.Partition, k.Key))
            .Select(versions => versions.MaxBy(k => k.Mark))
            .Where(k => KeptMark(k.Partition, k.Key) is not { } kept || k.Mark > kept)
            .ToList();
        // An input the batch finishes forgets the validators of its pages this run did not confirm (URLs with a watermark or window
        // of an earlier run, pages that are gone): they would only accumulate.
        List<string> stalePages = _finishedSinceCommit.Count == 0 ? [] : _pages
            .Where(p => p.Value.Run != _run.RunId && !_batchPages.ContainsKey(p.Key) && _finishedSinceCommit.Contains(p.Value.Partition))
            .Select(p => p.Key)
            .ToList();
        try
        {
            // Once prepared, the batch is out of the output's hands: recording it is not cancellable. If recording fails, nothing later
            // may be recorded either (it would point past this batch, whose files the next start deletes as unfinished).
            await _journal.SaveAsync(recorded, remember.Select(k => new KeyValuePair<string, WatermarkValue>(PipelineJournal.SeenKey(k.Partition, k.Key), k.Mark)), _batchPages, stalePages, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            _broken = true;
            throw;
        }

        _run = recorded;
        _deadLetter?.Recorded();
        foreach (var (partition, key, mark) in remember)
        {
            _persistedKeys[(partition, key)] = mark;
        }

        _batchKeys.Clear();
        foreach (var key in stalePages)
        {
            _pages.Remove(key);
        }

        foreach (var (key, page) in _batchPages)
        {
            _pages[key] = page;
        }

        _batchPages.Clear();
        _finishedSinceCommit.Clear();
        _pagesSinceCommit = 0;
        try
        {
            var commit = await _output.CompleteCommitAsync(prepared, CancellationToken.None).ConfigureAwait(false);
            if (letters is not null)
            {
                await _deadLetter!.CompleteAsync(letters, CancellationToken.None).ConfigureAwait(false);
            }

            return commit;
        }
        catch
        {
            // The batch is recorded as committed: recording anything after it would lose the roll-forward of this one.
            _broken = true;
            throw;
        }
    }

    /// <summary>
    /// After a run without failures: marks it complete and advances the watermarks of the inputs it finished. An input it did not
    /// finish (left by the failed run it resumed, when it was given other inputs) keeps its watermark, and the next run continues it.
    /// A backfill moves no watermark: ordinary runs go on from where they start, and recognise by key what it wrote there. Only a
    /// time-windowed input with none (stored, or an initial value) that the backfill read whole, every page of it, gets its first one:
    /// without one, its ordinary runs cannot start at all (an input without windows is read from the beginning).
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        var watermarks = new Dictionary<string, WatermarkValue>(StringComparer.Ordinal);
        var unfinished = Unfinished(_partitions, _extractor.TimeWindows is not null);
        var partial = _partitions.Where(p => p.Value.DeadLettered || p.Value.PagesSkipped).Select(p => p.Value.WindowOf ?? p.Key).ToHashSet(StringComparer.Ordinal);
        bool First(string owner) => _extractor.TimeWindows is not null && _watermark?.Initial is null && !_watermarks.ContainsKey(owner) && !partial.Contains(owner);
        foreach (var (partition, newest) in NewestMarks().Where(p => (_from is null || First(p.Key)) && !unfinished.ContainsKey(p.Key)))
        {
            var stored = _watermarks.TryGetValue(partition, out var w) ? w : (WatermarkValue?)null;
            if (newest is { } mark && (stored is null || mark > stored))
            {
                watermarks[partition] = mark;
            }
        }

        foreach (var mark in _watermarks.Values.Concat(watermarks.Values))
        {
            if (Watermark is null || mark > Watermark)
            {
                Watermark = mark;
            }
        }

        if (_journal is null)
        {
            return;
        }

        var lag = _watermark?.Lag ?? default;
        // A key can be known twice: with the value an earlier run stored and the newer one this run stored (the record was updated).
        // The store holds one value per key, the newest, so a key is forgotten only when its newest value is out of the lag window.
        var known = _seen.SelectMany(p => p.Value.Select(k => (Partition: p.Key, k.Key, Mark: k.Value))).Concat(_persistedKeys.Select(k => (k.Key.Partition, k.Key.Key, Mark: k.Value)));
        var forget = known
            .GroupBy(entry => PipelineJournal.SeenKey(entry.Partition, entry.Key), StringComparer.Ordinal)
            .Where(versions =>
            {
                string partition = versions.First().Partition;
                var current = watermarks.TryGetValue(partition, out var fresh) ? fresh : _watermarks.TryGetValue(partition, out var old) ? old : (WatermarkValue?)null;
                return current is { } c && versions.Max(v => v.Mark) < c - lag;
            })
            .Select(versions => versions.Key)
            .ToList();
        _run = _run with { Partitions = new Dictionary<string, PartitionState>(_partitions, StringComparer.Ordinal) };
        await _journal.CompleteRunAsync(_run, watermarks, forget, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The value kept in the store for <paramref name="key"/> of <paramref name="partition"/>: by this run, else loaded at its start.</summary>
    private WatermarkValue? KeptMark(string partition, string key)
        => _persistedKeys.TryGetValue((partition, key), out var kept) ? kept
            : _seen.TryGetValue(partition, out var keys) && keys.TryGetValue(key, out kept) ? kept
            : null;

    /// <summary>
    /// What a later run takes over of <paramref name="previous"/>: the inputs a completed run left unfinished; all of a failed or
    /// interrupted one's, also those it finished, whose watermarks it did not move (the run that takes them moves them when it completes).
    /// </summary>
    private static Dictionary<string, PartitionState> Carried(PipelineRunState previous, bool windowed)
        => previous.Completed ? Unfinished(previous.Partitions, windowed) : new Dictionary<string, PartitionState>(previous.Partitions, StringComparer.Ordinal);

    /// <summary>
    /// The entries of the inputs in <paramref name="partitions"/> that are not finished: an input whose last page is not committed, or
    /// (with time windows) an input with a window that is not, together with all its windows, so that a later run plans the same ones.
    /// One whose rest was handed to replay (<see cref="PartitionState.DeadLettered"/>) counts as finished.
    /// </summary>
    private static Dictionary<string, PartitionState> Unfinished(IReadOnlyDictionary<string, PartitionState> partitions, bool windowed)
    {
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, state) in partitions)
        {
            // With time windows an input's own entry only holds its range: its windows say whether it is done.
            if (!state.Completed && !state.DeadLettered && (state.WindowOf is not null || !windowed))
            {
                open.Add(state.WindowOf ?? key);
            }
        }

        return partitions.Where(p => open.Contains(p.Value.WindowOf ?? p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    /// <summary>The newest watermark value this run committed per input partition (a time window's counts towards its input's), a timestamp at most now.</summary>
    private Dictionary<string, WatermarkValue?> NewestMarks()
    {
        // A timestamp later than now is no change that has happened yet (a typo, a "valid until" date, a clock gone wrong): the
        // watermark stops at now, or the next runs would ask for nothing before that date and miss every change made meanwhile.
        var now = WatermarkValue.FromTimestamp(_clock.GetUtcNow());
        var newest = new Dictionary<string, WatermarkValue?>(StringComparer.Ordinal);
        foreach (var (partition, state) in _partitions)
        {
            string owner = state.WindowOf ?? partition;
            var current = newest.GetValueOrDefault(owner);
            var mark = state.MaxMark is { Kind: WatermarkKind.Timestamp } timestamp && timestamp > now ? now : state.MaxMark;
            newest[owner] = current is null || mark > current ? mark ?? current : current;
        }

        return newest;
    }

    /// <summary>
    /// What the current page has decided so far; folded into the run at <see cref="EndPage"/>. One per checkpointer, reset for every
    /// page; fields, not properties, as every record reads them (docs/performance.md, Finding 17).
    /// </summary>
    private sealed class PageFilter
    {
        /// <summary>The partition whose progress the page moves (an input, or one of its time windows).</summary>
        public string Partition = "";

        /// <summary>The input's partition: its watermark, keys and late records.</summary>
        public string Owner = "";

        public PartitionState State = null!;

        /// <summary>The partition's stored watermark, before this run.</summary>
        public WatermarkValue? Stored;

        /// <summary>Keys an earlier run wrote inside its lag window.</summary>
        public Dictionary<string, WatermarkValue>? Known;

        public WatermarkValue? MaxMark;

        public long Duplicates;

        public long Late;

        public long OutOfRange;

        /// <summary>
        /// Records of the page in no output: outside the run's range (past a backfill's bounds, before an initial watermark) or late and
        /// not included. A page with any is not remembered for conditional requests, so a later run (another range, a backfill) reads them.
        /// </summary>
        public long Unwritten;

        public void Begin(string partition, string owner, PartitionState state, WatermarkValue? stored, Dictionary<string, WatermarkValue>? known)
        {
            (Partition, Owner, State, Stored, Known) = (partition, owner, state, stored, known);
            ClearCounts();
        }

        /// <summary>An attempt of the page failed: what it decided does not count.</summary>
        public void ClearCounts()
        {
            MaxMark = null;
            Duplicates = 0;
            Late = 0;
            OutOfRange = 0;
            Unwritten = 0;
        }
    }
}
