namespace ApiPipeline.Tests;

/// <summary>
/// An output that dies between making a batch durable and making it visible, as a process killed there would: its
/// <paramref name="crashOn"/>-th completion fails, so that batch is recorded in the state store but nothing of it is visible.
/// </summary>
internal sealed class CrashOnComplete<T>(IOutput<T> inner, int crashOn = 1) : IOutput<T>
{
    private int _completions;

    public OutputBatchOptions Batching => inner.Batching;

    public long PendingRecords => inner.PendingRecords;

    public long PendingBytes => inner.PendingBytes;

    public ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default) => inner.WriteAsync(records, cancellationToken);

    public ValueTask<PreparedCommit> PrepareCommitAsync(CancellationToken cancellationToken = default) => inner.PrepareCommitAsync(cancellationToken);

    public ValueTask<OutputCommit> CompleteCommitAsync(PreparedCommit prepared, CancellationToken cancellationToken = default)
        => ++_completions == crashOn ? throw new IOException("simulated crash before the rename") : inner.CompleteCommitAsync(prepared, cancellationToken);

    public ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default) => throw new InvalidOperationException("not used with a state store");

    public ValueTask RecoverAsync(string owner, PreparedCommit? lastPrepared, CancellationToken cancellationToken = default) => inner.RecoverAsync(owner, lastPrepared, cancellationToken);

    public void WriteAs(string owner) => inner.WriteAs(owner);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
