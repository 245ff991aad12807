using System.Net;
using System.Runtime.CompilerServices;

namespace ApiPipeline.Tests.Chaining;

/// <summary>A parallel step whose workers fail fatally at the same time: the run stops at one failure and counts one.</summary>
public sealed class ParallelFatalFailureTests
{
    [Fact]
    public async Task Two_workers_failing_fatally_at_once_count_one_failure()
    {
        // Both inputs of the parallel step fail, and neither worker's failure is handled before the other's has reached the step's
        // error handling (the failing extractor describes its input only once both have failed): the first fatal failure stops the
        // run, the other is a consequence of the same stop and is not counted again.
        var failing = new FailingTogether(workers: 2);
        var definition = ChainDefinition.Create<NoInput, long>("fatal-twice", new ChainStepSettings { Name = "numbers" }, (_, _) => new Numbers(2))
            .Then<long, long>(new ChainStepSettings { Name = "fail", Mode = ProcessingMode.Parallel, MaxConcurrency = 2 }, (_, _) => failing, null, static (_, n) => n)
            .Build();

        var result = await new ChainExecutor<NoInput, long>(definition).ExecuteAsync(NoInput.Value, new MemoryOutput<long>());

        Assert.Equal(2, failing.Described);
        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal("fail", result.FailedStep);
        var failure = Assert.Single(result.Failures);
        Assert.True(failure.Fatal);
        Assert.Equal(1, result.Steps[1].Failures);
        Assert.Equal(PipelineStatus.Failed, result.Steps[1].Status);
    }

    /// <summary>Records 1..count, one page.</summary>
    private sealed class Numbers(int count) : IExtractor<NoInput, long>
    {
        public string Name => "numbers";

        public async IAsyncEnumerable<Page<long>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new Page<long>(1, "http://test.invalid/numbers", [.. Enumerable.Range(1, count).Select(n => (long)n)], null, 0);
        }
    }

    /// <summary>
    /// Fails every input with a 404 once <paramref name="workers"/> inputs are being extracted at once, and describes an input (which the
    /// step does as it handles its failure) only once every worker's failure has reached that point.
    /// </summary>
    private sealed class FailingTogether(int workers) : IExtractor<long, long>
    {
        private readonly CountdownEvent _started = new(workers);
        private readonly CountdownEvent _failed = new(workers);
        private int _described;

        public string Name => "failing";

        public int Described => Volatile.Read(ref _described);

        public string PartitionKey(long input)
        {
            Interlocked.Increment(ref _described);
            _failed.Signal();
            _failed.Wait(TimeSpan.FromSeconds(10));
            return "/fail/" + input;
        }

        public async IAsyncEnumerable<Page<long>> ExtractPagesAsync(long input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            _started.Signal();
            _started.Wait(TimeSpan.FromSeconds(10), cancellationToken);
            if (input > 0)
            {
                throw new ExtractionException(ExtractionErrorKind.HttpStatus, Name, 1, "http://test.invalid/fail/" + input, "not found", HttpStatusCode.NotFound);
            }

            yield break;
        }
    }
}
