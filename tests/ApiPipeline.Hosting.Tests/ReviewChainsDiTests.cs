using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>Chains resolved from the container that <c>AddApiPipeline</c> fills.</summary>
public sealed class ReviewChainsDiTests : ServerTests
{
    private IConfiguration Configuration() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ApiPipeline:Output"] = Path.Combine(Dir.Path, "out"),
        ["ApiPipeline:Defaults:BaseUrl"] = Server.BaseUrl,
    }).Build();

    /// <summary>
    /// observability.md: AddApiPipeline registers "every chain as a keyed transient IChain&lt;TIn, TOut&gt;". The <c>shop</c> chain's step 2
    /// (GroupMembers) is <c>[OnError(ErrorMode.DeadLetter)]</c>, which the CLI's <c>run shop</c> handles (dead letters beside the output).
    /// Resolving the registered chain throws instead: the registration builds ChainOptions without a DeadLetterPath, and the user has no
    /// way to give one through DI.
    /// </summary>
    [Fact]
    public async Task A_registered_chain_whose_step_dead_letters_can_be_resolved_and_run()
    {
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, Configuration()).BuildServiceProvider();

        var chain = provider.GetRequiredKeyedService<IChain<Shop, Detail>>("shop");
        string folder = Path.Combine(Dir.Path, "mine");
        var output = new JsonlOutput<Detail>(TestJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = folder, Name = "shop" });
        ChainResult result;
        await using (output.ConfigureAwait(false))
        {
            result = await chain.ExecuteAsync(new Shop("acme"), output);
        }

        Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
        Assert.Equal(15, Directory.EnumerateFiles(Path.Combine(folder, "shop"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).Count());
    }
}
