using ApiPipeline.Generated;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// <c>ConditionalRequests</c> in the host's configuration, and <c>conditional_requests</c> in a pipeline file, override
/// <c>[ConditionalRequests]</c>: off for an extractor that has it, on for one that has not.
/// </summary>
public sealed class ConditionalRequestSettingsTests : ServerTests
{
    private readonly List<string?> _validators = [];

    /// <summary>
    /// 25 items in pages of 10 under any path (page 4, empty, ends the pagination), each page with the ETag <c>"p{page}"</c>, and 304 to
    /// a request carrying it.
    /// </summary>
    private Task RespondAsync(HttpContext context)
    {
        int page = int.TryParse(context.Request.Query["page"], out int p) ? p : 1;
        string? sent = context.Request.Headers.IfNoneMatch.Count == 0 ? null : context.Request.Headers.IfNoneMatch.ToString();
        lock (_validators)
        {
            _validators.Add(sent);
        }

        string etag = $"\"p{page}\"";
        context.Response.Headers.ETag = etag;
        if (sent == etag)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        var items = Enumerable.Range(((page - 1) * 10) + 1, Math.Max(0, Math.Min(10, TestServer.TotalItems - ((page - 1) * 10))))
            .Select(id => $$"""{"id":{{id}},"name":"item {{id}}","updated_at":"2026-01-01T00:00:00Z"}""");
        return TestServer.Reply(context, "{\"data\":[" + string.Join(",", items) + "]}", 200);
    }

    /// <summary>
    /// Runs <paramref name="target"/> twice with <paramref name="settings"/> under <c>ApiPipeline:Extractors:&lt;entry&gt;</c> (default the
    /// target's); the second run's summary and the validators it sent.
    /// </summary>
    private async Task<(RunSummary Second, List<string?> Sent)> RunTwiceAsync(string target, Dictionary<string, string?> settings, string? entry = null)
    {
        Server.Respond = RespondAsync;
        var values = new Dictionary<string, string?> { ["ApiPipeline:Output"] = Dir.Path, ["ApiPipeline:Defaults:BaseUrl"] = Server.BaseUrl };
        foreach (var (key, value) in settings)
        {
            values[$"ApiPipeline:Extractors:{entry ?? target}:{key}"] = value;
        }

        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, new ConfigurationBuilder().AddInMemoryCollection(values).Build()).BuildServiceProvider();
        var runner = provider.GetRequiredService<PipelineRunner>();
        var first = await runner.RunAsync(new RunRequest { Target = target });
        Assert.True(first.Outcome == PipelineStatus.Succeeded, first.ToText());
        lock (_validators)
        {
            _validators.Clear();
        }

        var second = await runner.RunAsync(new RunRequest { Target = target });
        Assert.True(second.Outcome == PipelineStatus.Succeeded, second.ToText());
        lock (_validators)
        {
            return (second, [.. _validators]);
        }
    }

    [Fact]
    public async Task Configuration_turns_conditional_requests_off_for_an_extractor_with_the_attribute()
    {
        var (second, sent) = await RunTwiceAsync(nameof(ConditionalItems), new() { ["ConditionalRequests"] = "false" });

        Assert.Equal(4, sent.Count);
        Assert.All(sent, Assert.Null);
        Assert.Equal(0, second.PagesNotModified);
        Assert.Equal(TestServer.TotalItems, second.Records);
    }

    [Fact]
    public async Task Configuration_turns_conditional_requests_on_for_an_extractor_without_the_attribute_whatever_the_rate_limiters_MaxConcurrent()
    {
        // MaxConcurrent here is the rate limiter's limit of requests in flight, not [Paginated(MaxConcurrent)]'s pages fetched ahead, which
        // conditional requests refuse above 1.
        var (second, sent) = await RunTwiceAsync(nameof(Items), new() { ["ConditionalRequests"] = "true", ["MaxConcurrent"] = "4" });

        Assert.Equal(["\"p1\"", "\"p2\"", "\"p3\"", "\"p4\""], sent);
        Assert.Equal(4, second.PagesNotModified);
        Assert.Equal(0, second.Records);
    }

    [Fact]
    public async Task A_pipeline_files_conditional_requests_wins_over_the_hosts()
    {
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, "pipeline_id: file_items\nextractor:\n  class: Items\n  conditional_requests: true\n");

        var (second, sent) = await RunTwiceAsync(file, new() { ["ConditionalRequests"] = "false" }, entry: "file_items");

        Assert.Equal(["\"p1\"", "\"p2\"", "\"p3\"", "\"p4\""], sent);
        Assert.Equal(4, second.PagesNotModified);
    }

    [Fact]
    public void A_conditional_requests_value_that_is_not_a_boolean_names_its_configuration_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Extractors:Items:ConditionalRequests"] = "sometimes" }).Build();
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, configuration).BuildServiceProvider();

        var error = Assert.Throws<FormatException>(() => provider.GetRequiredService<IOptions<ApiPipelineOptions>>().Value);
        Assert.Equal("Configuration 'ApiPipeline:Extractors:Items:ConditionalRequests' = 'sometimes': expected true or false.", error.Message);
    }

    [Fact]
    public void An_extractors_entry_wins_over_the_defaults()
    {
        var options = new ApiPipelineOptions();
        options.Bind(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Defaults:ConditionalRequests"] = "true",
            ["ApiPipeline:Extractors:Items:ConditionalRequests"] = "false",
        }).Build().GetSection(ApiPipelineOptions.SectionName));

        Assert.False(options.For("Items").ConditionalRequests);
        Assert.True(options.For("OwnerItems").ConditionalRequests);
        Assert.False(options.For("Items").ApplyTo(new ExtractorOptions { ConditionalRequests = true }, ResilienceOptions.None).ConditionalRequests);
    }

    [Fact]
    public void A_chains_steps_do_not_take_conditional_requests_from_the_hosts_settings()
    {
        // Chains send unconditional requests, so the setting (from Defaults, say) would only make a step that fetches pages ahead refuse
        // to start.
        var options = new ApiPipelineOptions { Defaults = new ExtractorSettings { ConditionalRequests = true } };
        var runner = new PipelineRunner(ApiPipelineRegistry.Instance, options);
        var shop = ApiPipelineRegistry.Instance.Chains.Single(c => c.Name == "shop").Definition;

        var chain = runner.ChainOptionsFor(shop, "shop", new RunRequest { Target = "shop" }, Path.GetTempPath());

        Assert.Null(chain.Extractor!.ConditionalRequests);
        Assert.All(chain.Steps?.Values ?? [], step => Assert.Null(step.ConditionalRequests));
    }
}
