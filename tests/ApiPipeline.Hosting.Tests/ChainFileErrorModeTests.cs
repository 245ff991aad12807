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
}
