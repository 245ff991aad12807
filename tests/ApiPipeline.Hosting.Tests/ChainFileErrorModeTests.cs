using ApiPipeline.Generated;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>A chain file's per-step <c>on_error</c> run by the host (CLI <c>run file.yaml</c>, the scheduler, <see cref="PipelineRunner"/>).</summary>
public sealed class ChainFileErrorModeTests : ServerTests
{
    /// <summary>
    /// A step's own <c>on_error</c> wins over the host's configured error mode (here <c>Defaults:OnError = Continue</c>), as a file's own
    /// settings win over the host's: the failed detail is dead-lettered as the file asks.
    /// </summary>
    [Fact]
    public async Task A_chain_file_steps_on_error_is_not_overridden_by_the_hosts_default_error_mode()
    {
        string output = Path.Combine(Dir.Path, "out");
        string file = Path.Combine(Dir.Path, "details.yaml");
        await File.WriteAllTextAsync(file, """
            chain_id: shopdetails
            extractors:
              - extractor_class: ShopGroups
                step: groups
              - extractor_class: MemberDetails
                step: details
                on_error: dead_letter
                input_mapping: { owner: chain_input.owner, member: groups.id, group_name: groups.name }
            """);
        Server.Unavailable = target => target.Contains("/details", StringComparison.Ordinal) && target.Contains("member=2", StringComparison.Ordinal);
        var options = new ApiPipelineOptions { Output = output, Defaults = new ExtractorSettings { BaseUrl = Server.BaseUrl, OnError = ErrorMode.Continue } };
        var runner = new PipelineRunner(ApiPipelineRegistry.Instance, options);

        var summary = await runner.RunAsync(new RunRequest { Target = file, Input = new Dictionary<string, string> { ["owner"] = "acme" } });

        Assert.Equal(PipelineStatus.PartialSuccess, summary.Outcome);
        string deadLetters = Path.Combine(output, "shopdetails.dead-letter.jsonl");
        Assert.True(File.Exists(deadLetters), "no dead-letter file: " + summary.ToText());
        Assert.Single(File.ReadAllLines(deadLetters));
        Assert.Equal(1, summary.DeadLettered);
    }

    /// <summary>
    /// With no mode of its own, a step takes the host's configured one, also a hand-written extractor's (which reads no
    /// ExtractorOptions.Resilience): the failed page of <c>owned</c>, which says DeadLetter for itself, stops the chain under FailFast.
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
