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
    /// Disposes <paramref name="instance"/> once without waiting asynchronously: <see cref="IDisposable.Dispose"/>, else, for an instance
    /// that is only <see cref="IAsyncDisposable"/>, its <see cref="IAsyncDisposable.DisposeAsync"/> waited for.
    /// </summary>
    /// <param name="instance">The instance, or <see langword="null"/>.</param>
    public static void Dispose(object? instance)
    {
        switch (instance)
        {
            case IDisposable disposable:
                disposable.Dispose();
                break;
            case IAsyncDisposable disposable:
                disposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
                break;
        }
    }
}
