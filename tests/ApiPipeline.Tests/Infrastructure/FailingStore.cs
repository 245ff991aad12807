namespace ApiPipeline.Tests;

/// <summary>
/// A state store that fails one transaction, as a full disk or a crash would: the first one <paramref name="breaks"/> picks (given the
/// change and its 1-based number), before it is recorded, or with <paramref name="afterCommit"/> right after it is.
/// </summary>
internal sealed class FailingStore(IStateStore inner, Func<StateChange, int, bool> breaks, bool afterCommit = false) : IStateStore
{
    private int _commits;
    private int _broken;

    /// <summary>Fails the <paramref name="failOnCommit"/>-th transaction before it is recorded.</summary>
    public FailingStore(IStateStore inner, int failOnCommit)
        : this(inner, (_, number) => number == failOnCommit)
    {
    }

    /// <summary>Fails the first transaction with an operation that <paramref name="breaks"/>, before or after it is recorded.</summary>
    public FailingStore(IStateStore inner, Func<StateOperation, bool> breaks, bool afterCommit)
        : this(inner, (change, _) => change.Operations.Any(breaks), afterCommit)
    {
    }

    public string Location => inner.Location;

    public string Identity => inner.Identity;

    public ValueTask<string?> GetAsync(string scope, string key, CancellationToken cancellationToken = default) => inner.GetAsync(scope, key, cancellationToken);

    public ValueTask<IReadOnlyList<KeyValuePair<string, string>>> GetScopeAsync(string scope, CancellationToken cancellationToken = default) => inner.GetScopeAsync(scope, cancellationToken);

    public ValueTask<IReadOnlyList<string>> GetScopesAsync(string prefix = "", CancellationToken cancellationToken = default) => inner.GetScopesAsync(prefix, cancellationToken);

    public async ValueTask CommitAsync(StateChange change, CancellationToken cancellationToken = default)
    {
        bool breaking = breaks(change, Interlocked.Increment(ref _commits)) && Interlocked.Exchange(ref _broken, 1) == 0;
        if (breaking && !afterCommit)
        {
            throw new IOException("disk full");
        }

        await inner.CommitAsync(change, cancellationToken);
        if (breaking)
        {
            throw new IOException("disk full, after the transaction");
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
