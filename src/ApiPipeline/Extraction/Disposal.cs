namespace ApiPipeline;

/// <summary>
/// Ends the life of an instance created on someone's behalf (an extractor the host created from a registration): through
/// <see cref="IAsyncDisposable"/> when it is one, else <see cref="IDisposable"/>; an instance that is neither needs nothing.
/// </summary>
internal static class Disposal
{
    /// <summary>Disposes <paramref name="instance"/> once, preferring <see cref="IAsyncDisposable.DisposeAsync"/>.</summary>
    /// <param name="instance">The instance, or <see langword="null"/>.</param>
    public static ValueTask DisposeAsync(object? instance)
    {
        switch (instance)
        {
            case IAsyncDisposable disposable:
                return disposable.DisposeAsync();
            case IDisposable disposable:
                disposable.Dispose();
                return default;
            default:
                return default;
        }
    }

    /// <summary>
    /// Runs <paramref name="dispose"/> (<see cref="DisposeAsync"/> of an instance, or a disposer of several), returning what went wrong
    /// instead of throwing it: for a caller whose work is done and committed (a replayed entry), which a failing disposer must not undo.
    /// </summary>
    /// <param name="dispose">The disposal.</param>
    public static async ValueTask<Exception?> TryAsync(Func<ValueTask> dispose)
    {
        try
        {
            await dispose().ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>
    /// Disposes <paramref name="instance"/> once where no asynchronous wait is possible (a constructor that fails): as
    /// <see cref="DisposeAsync"/>, preferring <see cref="IAsyncDisposable.DisposeAsync"/>, waited for.
    /// </summary>
    /// <param name="instance">The instance, or <see langword="null"/>.</param>
    public static void Dispose(object? instance)
    {
        var pending = DisposeAsync(instance);
        if (!pending.IsCompletedSuccessfully)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }
}
