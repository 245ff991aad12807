using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// <c>validate</c> says where a pipeline file's output goes: "valid pipeline 'p', …, output jsonl to out/undirected". For a file whose
/// <c>output</c> gives no <c>directory</c>, <c>run</c> writes under the configured <c>ApiPipeline:Output</c> (docs/chains.md: "when the
/// file gives no directory, its configured ApiPipeline:Output"), but <c>validate</c> names the compiled default <c>out</c>, a folder the
/// run never writes to.
/// </summary>
public sealed class ValidateOutputFolderTests : ServerTests
{
    [Fact]
    public async Task Validate_names_the_folder_run_writes_a_file_without_a_directory_to()
    {
        string file = Path.Combine(Dir.Path, "undirected.yaml");
        string configured = Path.Combine(Dir.Path, "configured");
        await File.WriteAllTextAsync(file, $"pipeline_id: undirected_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\noutput:\n  type: jsonl\n  config:\n    name: undirected\n");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = configured }).Build();

        var run = await CliTests.Cli(configuration, "run", file);
        Assert.True(run.Code == ExitCodes.Success, run.Out + run.Err);
        Assert.True(Directory.Exists(Path.Combine(configured, "undirected")));

        var (code, output, error) = await CliTests.Cli(configuration, "validate", file);

        Assert.True(code == ExitCodes.Success, output + error);
        Assert.DoesNotContain("to out/undirected", output, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(configured, "undirected"), output, StringComparison.Ordinal);
    }
}
