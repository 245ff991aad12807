namespace ApiPipeline;

/// <summary>
/// An output's <see cref="OutputBatchOptions.FlushInterval"/> during a run (a pipeline's, or a chain's last step): the run's page loop holds
/// <see cref="Gate"/> from writing a page until its bookkeeping is done, commits at a page's end when the batch is full or <see cref="Due"/>,
/// and calls <see cref="Restart"/> after each commit; <see cref="RunAsync"/>, a task beside the loop, commits what has waited for the
/// interval while no page ends (a slow API, a rate-limit pause, a busy earlier step). Both commit under the gate, so a commit only ever
/// holds whole pages with their bookkeeping.
/// </summary>
internal sealed class IntervalFlusher(TimeSpan interval, TimeProvider clock)
{
    /// <summary>The longest single wait (<see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> takes at most ~49 days).</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);
    private long _lastCommit = clock.GetTimestamp();

    /// <summary>Held by whoever writes to the output or commits it.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Whether the interval has passed since the last commit (always, with an interval of zero or less).</summary>
    public bool Due => clock.GetElapsedTime(Volatile.Read(ref _lastCommit)) >= interval;

    /// <summary>Starts the interval again: the run has just committed.</summary>
    public void Restart() => Volatile.Write(ref _lastCommit, clock.GetTimestamp());

    /// <summary>
    /// Commits, under the gate, whatever is pending each time the interval passes without a commit, until <paramref name="cancellationToken"/>
    /// (the run's page loop has ended; what is pending then is the run's to commit). With an interval of zero or less it does nothing: every
    /// page's end commits. A commit cancelled by <paramref name="runToken"/> (the run stops) ends it quietly, leaving what is pending to the
    /// run's end; a commit that fails calls <paramref name="fail"/> (which stops the run) and ends it with that error.
    /// </summary>
    /// <param name="pending">Whether anything waits to be committed (asked under the gate).</param>
    /// <param name="commit">Commits it (called under the gate, with <paramref name="runToken"/>).</param>
    /// <param name="fail">Stops the run after a failed commit.</param>
    /// <param name="runToken">The run's token.</param>
    /// <param name="cancellationToken">Stops the flusher.</param>
    /// <returns>The error of the failed commit, else <see langword="null"/>.</returns>
    public async Task<Exception?> RunAsync(Func<bool> pending, Func<CancellationToken, Task> commit, Func<Exception, Task> fail, CancellationToken runToken, CancellationToken cancellationToken)
    {
        if (interval <= TimeSpan.Zero)
        {
            return null;
        }

        try
        {
            while (true)
            {
                var wait = interval - clock.GetElapsedTime(Volatile.Read(ref _lastCommit));
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait < MaxWait ? wait : MaxWait, clock, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    // Unless the page loop committed while this waited for the gate (and so started the interval again).
                    if (Due)
                    {
                        if (pending())
                        {
                            await commit(runToken).ConfigureAwait(false);
                        }

                        // With nothing pending the interval starts again: a record written later waits at most that long.
                        Restart();
                    }
                }
                finally
                {
                    Gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested || runToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            await fail(ex).ConfigureAwait(false);
            return ex;
        }
    }
}
