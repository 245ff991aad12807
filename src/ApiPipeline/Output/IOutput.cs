namespace ApiPipeline;

/// <summary>
/// A destination for records. Records are appended with <see cref="WriteAsync"/> (a page at a time) and become durable and visible
/// only at <see cref="CommitAsync"/>, all at once: a reader never sees part of a batch. The pipeline commits at page boundaries when
/// <see cref="Batching"/> says a batch is full, when its flush interval passes, and at the end of a run.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
public interface IOutput<T> : IAsyncDisposable
{
    /// <summary>When a batch is full.</summary>
    OutputBatchOptions Batching { get; }

    /// <summary>Records written since the last commit.</summary>
    long PendingRecords { get; }

    /// <summary>Bytes written since the last commit.</summary>
    long PendingBytes { get; }

    /// <summary>Appends records to the current batch.</summary>
    /// <param name="records">The records, typically one page.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes everything written since the last commit durable but not yet visible (for files: flushed to disk under temporary names),
    /// and describes it so that <see cref="CompleteCommitAsync"/> can make it visible, now or after a crash.
    /// The default, for outputs without a two-phase commit, commits at once (at-least-once across crashes).
    /// </summary>
    /// <param name="cancellationToken">Cancels the preparation.</param>
    async ValueTask<PreparedCommit> PrepareCommitAsync(CancellationToken cancellationToken = default)
    {
        var commit = await CommitAsync(cancellationToken).ConfigureAwait(false);
        return new PreparedCommit([.. commit.Files.Select(f => new PreparedFile(f, f))], commit.Records, commit.Bytes);
    }

    /// <summary>Makes a prepared batch visible. Idempotent, so a batch prepared before a crash can be rolled forward on restart.</summary>
    /// <param name="prepared">What <see cref="PrepareCommitAsync"/> returned.</param>
    /// <param name="cancellationToken">Cancels the completion.</param>
    ValueTask<OutputCommit> CompleteCommitAsync(PreparedCommit prepared, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(new OutputCommit([.. prepared.Files.Select(f => f.FinalPath)], prepared.Records, prepared.Bytes));

    /// <summary>Makes everything written since the last commit durable and visible (prepare, then complete).</summary>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>What became visible.</returns>
    ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Cleans up after an interrupted run of <paramref name="owner"/> before its new run writes: rolls <paramref name="lastPrepared"/>
    /// forward (it was recorded in the state store, so it counts as committed) and removes everything else that owner's earlier runs
    /// left unfinished, including what a failed run on this same instance wrote and did not commit (it is read again from its
    /// checkpoint). What other owners left is theirs: a target several pipelines or chain ids write to may hold another's recorded
    /// batch, which only that owner's recovery puts in place.
    /// </summary>
    /// <param name="owner">
    /// Who records this output's batches: an opaque text naming the pipeline's or chain run's id and its state store (runs of one id with
    /// another state store, or none, are other owners).
    /// </param>
    /// <param name="lastPrepared">The last batch the state store recorded for <paramref name="owner"/>, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the recovery.</param>
    ValueTask RecoverAsync(string owner, PreparedCommit? lastPrepared, CancellationToken cancellationToken = default)
        => lastPrepared is null ? ValueTask.CompletedTask : new(CompleteCommitAsync(lastPrepared, cancellationToken).AsTask());

    /// <summary>
    /// Names who writes to this output from now on (<paramref name="owner"/>, as for <see cref="RecoverAsync"/>) without recovering it: a
    /// replay writing into a run's target. An output that keeps temporary files names them after it, so that the owner's next recovery
    /// removes those a killed process left. Default: nothing.
    /// </summary>
    /// <param name="owner">Who writes (the pipeline's or chain run's id and its state store).</param>
    void WriteAs(string owner)
    {
    }

    /// <summary>Whether the current batch has reached <see cref="OutputBatchOptions.BatchSize"/> or <see cref="OutputBatchOptions.MaxBatchBytes"/>.</summary>
    bool IsBatchFull => PendingRecords >= Batching.BatchSize || PendingBytes >= Batching.MaxBatchBytes;
}

/// <summary>What one <see cref="IOutput{T}.CommitAsync"/> made visible.</summary>
/// <param name="Files">The files (or other targets) written, in order.</param>
/// <param name="Records">The records committed.</param>
/// <param name="Bytes">The bytes committed.</param>
public sealed record OutputCommit(IReadOnlyList<string> Files, long Records, long Bytes)
{
    /// <summary>Nothing was pending.</summary>
    public static OutputCommit Empty { get; } = new([], 0, 0);
}

/// <summary>A batch made durable by <see cref="IOutput{T}.PrepareCommitAsync"/> and not yet visible.</summary>
/// <param name="Files">The files: where the data is now, and the name it takes when the commit completes.</param>
/// <param name="Records">The records in the batch.</param>
/// <param name="Bytes">The bytes in the batch.</param>
public sealed record PreparedCommit(IReadOnlyList<PreparedFile> Files, long Records, long Bytes);

/// <summary>One file of a <see cref="PreparedCommit"/>.</summary>
/// <param name="TempPath">Where the data is, durable but hidden.</param>
/// <param name="FinalPath">The name it takes when the commit completes.</param>
public sealed record PreparedFile(string TempPath, string FinalPath);

/// <summary>Output-level batching (the design's <c>OutputBatchConfig</c>). A batch is committed when any limit is reached, at a page boundary.</summary>
public sealed record OutputBatchOptions
{
    /// <summary>The defaults: 1,000 records, 60 seconds, 5 MB.</summary>
    public static OutputBatchOptions Default { get; } = new();

    /// <summary>Records per batch. Default 1,000.</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>The longest time written records wait before they are committed; zero (or less) commits at the end of every page. Default 60 seconds.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Bytes per batch. Default 5,000,000.</summary>
    public long MaxBatchBytes { get; init; } = 5_000_000;
}
