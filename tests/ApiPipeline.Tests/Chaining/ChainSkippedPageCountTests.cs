using System.Net;
using System.Runtime.CompilerServices;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// A page a step's extractor skipped counts in the step's requests and throttling whatever the step's mode, also under FailFast, where
/// it stops the chain.
/// </summary>
public sealed class ChainSkippedPageCountTests
{
    [Theory]
    [InlineData(ErrorMode.Continue)]
    [InlineData(ErrorMode.FailFast)]
    public async Task A_fail_fast_step_counts_the_throttling_and_requests_of_the_skipped_page_that_stops_it(ErrorMode mode)
    {
        var definition = ChainDefinition.Create<NoInput, long>("throttled", new ChainStepSettings { Name = "numbers" }, (_, _) => new SkippingNumbers()).Build();

        var result = await new ChainExecutor<NoInput, long>(definition, null, new ChainOptions { OnError = mode }).ExecuteAsync(NoInput.Value, new MemoryOutput<long>());

        Assert.Equal(mode == ErrorMode.FailFast ? PipelineStatus.Failed : PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal(TimeSpan.FromSeconds(3), result.Steps[0].Throttled);
        Assert.Equal(1 + 4, result.Steps[0].Requests);
    }

    /// <summary>Page 1 (1 s throttled, 1 attempt), then page 2 skipped after 4 attempts and 2 s throttled, then page 3 would follow.</summary>
    private sealed class SkippingNumbers : IExtractor<NoInput, long>
    {
        public string Name => "skipping";

        public async IAsyncEnumerable<Page<long>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new Page<long>(1, "http://test.invalid/p1", [1], new PageCheckpoint("http://test.invalid/p2", 2, 1), 0) { Throttled = TimeSpan.FromSeconds(1) };
            var error = new ExtractionException(ExtractionErrorKind.HttpStatus, Name, 2, "http://test.invalid/p2", "broken", HttpStatusCode.InternalServerError) { Attempts = 4 };
            yield return new Page<long>(2, "http://test.invalid/p2", [], null, 0) { Error = error, Attempts = 4, Throttled = TimeSpan.FromSeconds(2) };
        }
    }
}
