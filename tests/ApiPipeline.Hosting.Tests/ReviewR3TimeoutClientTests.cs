using System.Collections.Concurrent;
using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>The clients AddApiPipeline makes, for a run whose per-attempt timeout (by the host's settings) is over HttpClient.Timeout's 100 s.</summary>
public sealed class ReviewR3TimeoutClientTests : ServerTests
{
    /// <summary>
    /// The host gives the pipeline file's id (<c>ApiPipeline:Extractors:slow_items:Timeout = 3m</c>) a per-attempt timeout of 3 minutes,
    /// which PipelineRunner.FileSettings applies to the run. The client the run is given is named after the extractor (<c>ApiPipeline.Items</c>),
    /// and ApiPipelineClients.Outlasts only reads the settings of that name: the client keeps HttpClient.Timeout = 100 s, which cuts every
    /// attempt the settings allow up to 3 minutes (the built-in client, SharedHttp.For, does not).
    /// </summary>
    [Fact]
    public async Task A_pipeline_files_client_does_not_cut_an_attempt_its_settings_allow_beyond_100_seconds()
    {
        var clients = new ConcurrentQueue<HttpClient>();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Output"] = Dir.Path,
            ["ApiPipeline:Defaults:BaseUrl"] = Server.BaseUrl,
            ["ApiPipeline:Extractors:slow_items:Timeout"] = "3m",
        }).Build();
        var services = new ServiceCollection();
        services.AddApiPipeline(ApiPipelineRegistry.Instance, configuration);
        services.ConfigureAll<HttpClientFactoryOptions>(options => options.HttpClientActions.Add(clients.Enqueue));
        using var provider = services.BuildServiceProvider();
        string file = Path.Combine(Dir.Path, "slow.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: slow_items\nextractor:\n  class: Items\noutput:\n  type: jsonl\n  config:\n    directory: {Dir.Path}\n");

        var runner = provider.GetRequiredService<PipelineRunner>();
        Assert.Equal(TimeSpan.FromMinutes(3), runner.FileSettings(PipelineConfig.Load(file, ApiPipelineRegistry.Instance)).Options.Resilience!.Timeout!.PerAttempt);
        var summary = await runner.RunAsync(new RunRequest { Target = file });

        Assert.True(summary.Outcome == PipelineStatus.Succeeded, summary.ToText());
        Assert.NotEmpty(clients);
        Assert.All(clients, client => Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout));
    }
}
