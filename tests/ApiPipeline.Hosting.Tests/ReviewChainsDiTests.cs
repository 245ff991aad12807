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

    /// <summary>
    /// observability.md lists <c>Timeout</c> (the per-attempt timeout; resilience.md: range 10ms–1d) among the settings AddApiPipeline applies
    /// to every extractor. An extractor resolved from the container gets the IHttpClientFactory client <c>ApiPipeline.&lt;name&gt;</c>, whose
    /// HttpClient.Timeout keeps its 100 s default (ServiceCollectionExtensions.NoAutomaticRedirects changes the handler and User-Agent only),
    /// so a configured <c>Timeout</c> of 3 minutes is cut at 100 s: the page fails with "the request timed out after 100 s" although the API
    /// answers after 101 s. (The built-in shared client, HttpExtractor.cs SharedHttp, has the same 100 s cap.)
    /// </summary>
    [Fact]
    public async Task A_configured_per_attempt_timeout_longer_than_100_seconds_is_not_cut_by_the_clients_default_timeout()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Output"] = Path.Combine(Dir.Path, "out"),
            ["ApiPipeline:Defaults:BaseUrl"] = Server.BaseUrl,
            ["ApiPipeline:Extractors:Items:Timeout"] = "3m",
            ["ApiPipeline:Extractors:Items:MaxRetries"] = "0",
        }).Build();
        Server.Respond = async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(101));
            await TestServer.Reply(context, """{"data":[{"id":1,"name":"slow","updated_at":"2026-01-01T00:00:00Z"}]}""", 200);
        };
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, configuration).BuildServiceProvider();
        var items = provider.GetRequiredKeyedService<IExtractor<NoInput, Item>>("Items");

        var records = new List<Item>();
        await foreach (var item in items.ExtractAsync(NoInput.Value))
        {
            records.Add(item);
        }

        Assert.Equal("slow", Assert.Single(records).Name);
    }
}
