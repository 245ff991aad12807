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
