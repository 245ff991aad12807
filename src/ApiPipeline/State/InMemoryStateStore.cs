namespace ApiPipeline;

/// <summary>A state store in memory, for tests and throwaway runs. Commits are atomic; nothing survives the process.</summary>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly object _gate = new();
    private Dictionary<string, SortedDictionary<string, string>> _scopes = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public string Location => "memory";

    /// <inheritdoc/>
    public string Identity { get; } = "memory:" + Guid.NewGuid().ToString("N");

    /// <inheritdoc/>
    public ValueTask<string?> GetAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_scopes.TryGetValue(scope, out var keys) && keys.TryGetValue(key, out var value) ? value : null);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<KeyValuePair<string, string>>> GetScopeAsync(string scope, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<KeyValuePair<string, string>> list = _scopes.TryGetValue(scope, out var keys) ? [.. keys] : [];
            return ValueTask.FromResult(list);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> GetScopesAsync(string prefix = "", CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<string> list = [.. _scopes.Keys.Where(s => s.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
            return ValueTask.FromResult(list);
        }
    }

    /// <inheritdoc/>
    public ValueTask CommitAsync(StateChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            // Apply to a copy and swap, so a failing operation leaves nothing half-applied.
            var next = _scopes.ToDictionary(p => p.Key, p => new SortedDictionary<string, string>(p.Value, StringComparer.Ordinal), StringComparer.Ordinal);
            foreach (var op in change.Operations)
            {
                switch (op.Kind)
                {
                    case StateOperationKind.Put:
                        if (!next.TryGetValue(op.Scope, out var keys))
                        {
                            next[op.Scope] = keys = new SortedDictionary<string, string>(StringComparer.Ordinal);
                        }

                        keys[op.Key!] = op.Value!;
                        break;
                    case StateOperationKind.Delete:
                        if (next.TryGetValue(op.Scope, out var existing) && existing.Remove(op.Key!) && existing.Count == 0)
                        {
                            next.Remove(op.Scope);
                        }

                        break;
                    case StateOperationKind.DeleteScope:
                        next.Remove(op.Scope);
                        break;
                }
            }

            _scopes = next;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
