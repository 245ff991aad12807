using ApiPipeline.Generated;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>A chain file's per-step <c>on_error</c> run by the host (CLI <c>run file.yaml</c>, the scheduler, <see cref="PipelineRunner"/>).</summary>
public sealed class ChainFileErrorModeTests : ServerTests
{
    /// <summary>
    /// chains.md documents <c>on_error: fail_fast | continue | skip | dead_letter</c> per step of a chain file, and observability.md says a
    /// pipeline file's own settings (<c>error_handling</c>) win over the host's Defaults. A host whose appsettings give every extractor
    /// <c>Defaults:OnError = Continue</c> runs the chain file below with that mode for every step: PipelineRunner.ChainOptionsFor puts the
    /// host's <c>Options.For(id).OnError</c> (Defaults included) into ChainOptions.OnError, which ChainExecutor.CreateSteps prefers to the
    /// step's own <c>on_error</c>. The failed detail is not dead-lettered as the file asks, so nothing records it for replay.
    /// (Without Defaults:OnError the same run writes the one entry.)
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
}
