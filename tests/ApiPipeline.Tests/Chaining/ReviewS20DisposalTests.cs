using System.Runtime.CompilerServices;

namespace ApiPipeline.Tests.Chaining;

/// <summary>Review s20: how a chain executor disposes the step extractors it created.</summary>
public sealed class ReviewS20DisposalTests
{
    /// <summary>
    /// The docs (architecture.md, chains.md "Hand-written extractors") say an instance the host creates is disposed once, "with
    /// DisposeAsync when it is IAsyncDisposable, else Dispose" (commit fbcb21d2: "DisposeAsync before Dispose"). A run does so
    /// (DisposeStepsAsync), but an executor whose step is refused in its constructor disposes the extractors it created with Disposal.Dispose,
    /// which calls Dispose on one that is both, never its DisposeAsync.
    /// </summary>
    [Fact]
    public void An_executor_refused_in_its_constructor_disposes_an_async_disposable_step_with_DisposeAsync()
    {
        var created = new List<Both>();
        var definition = ChainDefinition
            .Create<NoInput, Item>("both", new ChainStepSettings { Name = "First" }, (_, _) => Both.Add(created))
            .Then<NoInput, Item>(new ChainStepSettings { Name = "Second", OnError = ErrorMode.DeadLetter }, (_, _) => Both.Add(created), null, static (input, _) => input)
            .Build();

        Assert.Throws<ArgumentException>(() => new ChainExecutor<NoInput, Item>(definition));

        Assert.Equal(2, created.Count);
        Assert.All(created, extractor => Assert.Equal((1, 0), (extractor.AsyncDisposals, extractor.SyncDisposals)));
    }

    /// <summary>The same steps run to the end: each is disposed with DisposeAsync (for comparison: this passes).</summary>
    [Fact]
    public async Task A_run_disposes_an_async_disposable_step_with_DisposeAsync()
    {
        var created = new List<Both>();
        var definition = ChainDefinition
            .Create<NoInput, Item>("both", new ChainStepSettings { Name = "First" }, (_, _) => Both.Add(created))
            .Then<NoInput, Item>(new ChainStepSettings { Name = "Second" }, (_, _) => Both.Add(created), null, static (input, _) => input)
            .Build();

        await definition.ExecuteUntypedAsync(NoInput.Value, new MemoryOutput<Item>(), null, null, CancellationToken.None);

        Assert.All(created, extractor => Assert.Equal((1, 0), (extractor.AsyncDisposals, extractor.SyncDisposals)));
    }

    private sealed class Both : IExtractor<NoInput, Item>, IAsyncDisposable, IDisposable
    {
        public int AsyncDisposals { get; private set; }

        public int SyncDisposals { get; private set; }

        public string Name => "both";

        public static Both Add(List<Both> created)
        {
            var extractor = new Both();
            created.Add(extractor);
            return extractor;
        }

        public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield break;
        }

        public ValueTask DisposeAsync()
        {
            AsyncDisposals++;
            return default;
        }

        public void Dispose() => SyncDisposals++;
    }
}
