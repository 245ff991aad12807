namespace ApiPipeline.Tests;

/// <summary>
/// An output that dies between making a batch durable and making it visible, as a process killed there would: its
/// <paramref name="crashOn"/>-th completion fails, so that batch is recorded in the state store but nothing of it is visible.
/// </summary>
internal sealed class CrashOnComplete<T>(IOutput<T> inner, int crashOn = 1) : ForwardingOutput<T>(inner)
{
    private int _completions;

    public override ValueTask<OutputCommit> CompleteCommitAsync(PreparedCommit prepared, CancellationToken cancellationToken = default)
        => ++_completions == crashOn ? throw new IOException("simulated crash before the rename") : base.CompleteCommitAsync(prepared, cancellationToken);

    public override ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default) => throw new InvalidOperationException("not used with a state store");
}
