namespace ApiPipeline.Tests;

/// <summary>
/// An output that passes everything to <paramref name="inner"/>, for test outputs that change one step (fail a write, crash a
/// completion, observe a preparation): they override that step only, so a new <see cref="IOutput{T}"/> member is forwarded here once.
/// It does not dispose <paramref name="inner"/>: the test that made it does.
/// </summary>
internal abstract class ForwardingOutput<T>(IOutput<T> inner) : IOutput<T>
{
    public OutputBatchOptions Batching => inner.Batching;

    public long PendingRecords => inner.PendingRecords;

    public long PendingBytes => inner.PendingBytes;

    public virtual ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default) => inner.WriteAsync(records, cancellationToken);

    public virtual ValueTask<PreparedCommit> PrepareCommitAsync(CancellationToken cancellationToken = default) => inner.PrepareCommitAsync(cancellationToken);

    public virtual ValueTask<OutputCommit> CompleteCommitAsync(PreparedCommit prepared, CancellationToken cancellationToken = default) => inner.CompleteCommitAsync(prepared, cancellationToken);

    public virtual ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default) => inner.CommitAsync(cancellationToken);

    public ValueTask RecoverAsync(string owner, PreparedCommit? lastPrepared, CancellationToken cancellationToken = default) => inner.RecoverAsync(owner, lastPrepared, cancellationToken);

    public void WriteAs(string owner) => inner.WriteAs(owner);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
