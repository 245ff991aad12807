namespace ApiPipeline.Tests;

/// <summary>How the host ends the life of an extractor it created: asynchronously when it can, else synchronously, once.</summary>
public sealed class DisposalTests
{
    [Fact]
    public async Task An_instance_that_is_both_is_disposed_asynchronously_only()
    {
        var both = new Both();

        await Disposal.DisposeAsync(both);

        Assert.Equal((1, 0), (both.AsyncDisposals, both.Disposals));
    }

    [Fact]
    public async Task An_instance_that_is_only_disposable_is_disposed()
    {
        var only = new SyncOnly();

        await Disposal.DisposeAsync(only);

        Assert.Equal(1, only.Disposals);
    }

    private sealed class Both : IAsyncDisposable, IDisposable
    {
        public int AsyncDisposals { get; private set; }

        public int Disposals { get; private set; }

        public ValueTask DisposeAsync()
        {
            AsyncDisposals++;
            return default;
        }

        public void Dispose() => Disposals++;
    }

    private sealed class SyncOnly : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }
}
