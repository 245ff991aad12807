using ApiPipeline.Generated;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>The host's configured error mode for a chain whose step is a hand-written extractor ([RegisteredExtractor]).</summary>
public sealed class ReviewR3ErrorModeTests : ServerTests
{
    /// <summary>
    /// The host configures <c>OnError = FailFast</c> and the chain file sets no <c>on_error</c> of its own: the configured mode should
    /// apply to the step, so the failed page of <c>owned</c> (which says DeadLetter for itself) stops the chain. Since efc6185 the
    /// configured mode only reaches the step through ExtractorOptions.Resilience, which a hand-written extractor does not read: the
    /// chain dead-letters the page and ends as a partial success, ignoring the host's setting (before, ChainOptions.OnError carried it).
    /// </summary>
    [Fact]
    public async Task The_hosts_configured_error_mode_applies_to_a_chain_step_of_a_hand_written_extractor()
    {
        OwnedItems.Reset(healed: false);
        string output = Path.Combine(Dir.Path, "out");
        string file = Path.Combine(Dir.Path, "owned-chain.yaml");
        await File.WriteAllTextAsync(file, "chain_id: owned_failfast\nextractors:\n  - extractor_class: owned\n");
        var options = new ApiPipelineOptions { Output = output, Defaults = new ExtractorSettings { OnError = ErrorMode.FailFast } };
        var runner = new PipelineRunner(ApiPipelineRegistry.Instance, options);

        var summary = await runner.RunAsync(new RunRequest { Target = file });

        Assert.False(File.Exists(Path.Combine(output, "owned_failfast.dead-letter.jsonl")), "dead-lettered despite OnError = FailFast: " + summary.ToText());
        Assert.Equal(PipelineStatus.Failed, summary.Outcome);
    }
}
