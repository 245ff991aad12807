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

    /// <summary>Makes everything written since the last commit durable and visible, atomically per file.</summary>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>What became visible.</returns>
    ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default);

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

/// <summary>Output-level batching (the design's <c>OutputBatchConfig</c>). A batch is committed when any limit is reached, at a page boundary.</summary>
public sealed record OutputBatchOptions
{
    /// <summary>The defaults: 1,000 records, 60 seconds, 5 MB.</summary>
    public static OutputBatchOptions Default { get; } = new();

    /// <summary>Records per batch. Default 1,000.</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>The longest time written records wait before they are committed. Default 60 seconds.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Bytes per batch. Default 5,000,000.</summary>
    public long MaxBatchBytes { get; init; } = 5_000_000;
}
