using System.Net;
using System.Runtime.CompilerServices;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// Review s20b: a page a step's extractor skipped, under a FailFast step (the FailFast-wins rule), as a pipeline counts it: the time the
/// page waited for the rate limiter (and its requests) are the step's, as they are a pipeline's (RunSink.EndPageAsync counts
/// <c>page.Throttled</c> before it throws).
/// </summary>
public sealed class ChainFailFastSkippedPageS20bTests
{
    [Theory]
    [InlineData(ErrorMode.Continue)] // control: 1 s + 2 s (passes)
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
