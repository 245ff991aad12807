using System.Runtime.CompilerServices;

namespace ApiPipeline.Tests.Chaining;

/// <summary>A chain executor creates its steps' extractors; a run the library or host starts disposes them once at its end.</summary>
public sealed class ChainDisposalTests
{
    private static ChainDefinition<NoInput, Item> TwoSteps(List<Counted> created, ErrorMode? secondStep = null)
        => ChainDefinition
            .Create<NoInput, Item>("counted", new ChainStepSettings { Name = "First" }, (_, _) => Counted.Add(created))
            .Then<NoInput, Item>(new ChainStepSettings { Name = "Second", OnError = secondStep }, (_, _) => Counted.Add(created), null, static (input, _) => input)
            .Build();

    [Fact]
    public async Task A_chain_run_through_its_definition_disposes_each_step_extractor_once()
    {
        var created = new List<Counted>();

        var result = await TwoSteps(created).ExecuteUntypedAsync(NoInput.Value, new MemoryOutput<Item>(), null, null, CancellationToken.None);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(2, created.Count);
        Assert.All(created, extractor => Assert.Equal((1, 0), extractor.Disposals));
    }

    [Fact]
    public void An_executor_whose_steps_are_refused_disposes_the_extractors_it_created()
    {
        // The second step's error mode needs a dead-letter path the options do not give: refused once its extractor is created.
        var created = new List<Counted>();

        Assert.Throws<ArgumentException>(() => new ChainExecutor<NoInput, Item>(TwoSteps(created, ErrorMode.DeadLetter)));

        Assert.Equal(2, created.Count);
        Assert.All(created, extractor => Assert.Equal((1, 0), extractor.Disposals));
    }

    /// <summary>A step extractor that is disposable both ways and counts each: <see cref="IAsyncDisposable.DisposeAsync"/> is to be preferred.</summary>
    private sealed class Counted : IExtractor<NoInput, Item>, IAsyncDisposable, IDisposable
    {
        private int _asyncDisposals;
        private int _disposals;

        /// <summary>How often <see cref="DisposeAsync"/> and <see cref="Dispose"/> were called.</summary>
        public (int Async, int Sync) Disposals => (_asyncDisposals, _disposals);

        public string Name => "counted";

        public static Counted Add(List<Counted> created)
        {
            var extractor = new Counted();
            created.Add(extractor);
            return extractor;
        }

        public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield break;
        }

        public async ValueTask DisposeAsync()
        {
            await Task.Yield();
            _asyncDisposals++;
        }

        public void Dispose() => _disposals++;
    }
}
