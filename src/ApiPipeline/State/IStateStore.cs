namespace ApiPipeline;

/// <summary>
/// Durable key/value state, grouped in scopes (one per pipeline, chain or watermark key). Reads see the last committed change;
/// <see cref="CommitAsync"/> applies a whole <see cref="StateChange"/> in one transaction or not at all.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>Where the state lives (a file path, or <c>memory</c>), for messages.</summary>
    string Location { get; }

    /// <summary>
    /// What tells this store apart from any other: the runs of one pipeline or chain id with stores of another identity record other
    /// batches, so each run's recovery leaves the temporary files of the others. Default: <see cref="Location"/>, which a store whose
    /// location does not tell instances apart (one in memory) replaces with its own.
    /// </summary>
    string Identity => Location;

    /// <summary>The value of <paramref name="key"/> in <paramref name="scope"/>, or <see langword="null"/>.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<string?> GetAsync(string scope, string key, CancellationToken cancellationToken = default);

    /// <summary>Every key and value of <paramref name="scope"/>, ordered by key.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<KeyValuePair<string, string>>> GetScopeAsync(string scope, CancellationToken cancellationToken = default);

    /// <summary>The scopes that hold at least one key and start with <paramref name="prefix"/>, ordered.</summary>
    /// <param name="prefix">The prefix; empty for all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<string>> GetScopesAsync(string prefix = "", CancellationToken cancellationToken = default);

    /// <summary>Applies every operation of <paramref name="change"/> atomically and durably.</summary>
    /// <param name="change">The operations.</param>
    /// <param name="cancellationToken">Cancels before the transaction starts.</param>
    ValueTask CommitAsync(StateChange change, CancellationToken cancellationToken = default);
}

/// <summary>A set of writes applied together by <see cref="IStateStore.CommitAsync"/>.</summary>
public sealed class StateChange
{
    private readonly List<StateOperation> _operations = [];

    /// <summary>The operations, in order.</summary>
    public IReadOnlyList<StateOperation> Operations => _operations;

    /// <summary>Sets <paramref name="key"/> in <paramref name="scope"/> to <paramref name="value"/>.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    public StateChange Put(string scope, string key, string value)
    {
        _operations.Add(new StateOperation(StateOperationKind.Put, scope, key, value));
        return this;
    }

    /// <summary>Removes <paramref name="key"/> from <paramref name="scope"/>.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key.</param>
    public StateChange Delete(string scope, string key)
    {
        _operations.Add(new StateOperation(StateOperationKind.Delete, scope, key, null));
        return this;
    }

    /// <summary>Removes every key of <paramref name="scope"/>.</summary>
    /// <param name="scope">The scope.</param>
    public StateChange DeleteScope(string scope)
    {
        _operations.Add(new StateOperation(StateOperationKind.DeleteScope, scope, null, null));
        return this;
    }
}

/// <summary>What a <see cref="StateOperation"/> does.</summary>
public enum StateOperationKind
{
    /// <summary>Set a key.</summary>
    Put,

    /// <summary>Remove a key.</summary>
    Delete,

    /// <summary>Remove a whole scope.</summary>
    DeleteScope,
}

/// <summary>One write of a <see cref="StateChange"/>.</summary>
/// <param name="Kind">What it does.</param>
/// <param name="Scope">The scope.</param>
/// <param name="Key">The key (not for <see cref="StateOperationKind.DeleteScope"/>).</param>
/// <param name="Value">The value (only for <see cref="StateOperationKind.Put"/>).</param>
public sealed record StateOperation(StateOperationKind Kind, string Scope, string? Key, string? Value);

/// <summary>The state store cannot be read or written; the message names its location. Never a silent restart from scratch.</summary>
/// <param name="message">What went wrong, with the location.</param>
/// <param name="inner">The underlying error.</param>
public sealed class StateStoreException(string message, Exception? inner = null) : Exception(message, inner);
