using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>A shop's groups from an API whose group listing may take minutes: its attempts may last 3 minutes.</summary>
[Extractor("http://localhost", "/slow/{owner}/groups", Json = typeof(TestJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Timeouts(PerAttempt = "3m")]
[Retry(MaxRetries = 0)]
public sealed partial class SlowGroups : IExtractor<Shop, Group>;

/// <summary>A group's members; no timeouts of its own (only HttpClient.Timeout's 100 s bounds an attempt).</summary>
[Extractor("http://localhost", "/slow/{owner}/groups/{group}/members", Json = typeof(TestJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Retry(MaxRetries = 0)]
public sealed partial class PlainMembers : IExtractor<GroupRef, Member>;

/// <summary>A chain whose steps have different timeouts: step 1 allows 3 minutes an attempt, step 2 sets none.</summary>
[Chain(Name = "mixed_timeouts")]
public sealed partial class MixedTimeoutChain
{
    [Step(1)]
    public partial SlowGroups Groups { get; }

    [Step(2)]
    [Map(nameof(Shop.Owner), To = nameof(GroupRef.Owner), From = MapFrom.ChainInput)]
    [Map(nameof(Group.Id), To = nameof(GroupRef.Group))]
    public partial PlainMembers Members { get; }
}

public sealed class DependencyInjectionTests : ServerTests
{
    private IConfiguration Configuration(Dictionary<string, string?>? extra = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["ApiPipeline:Output"] = Dir.Path,
            ["ApiPipeline:Defaults:BaseUrl"] = Server.BaseUrl,
            ["ApiPipeline:Defaults:RequestsPerSecond"] = "500",
            ["ApiPipeline:Extractors:metered:MaxRetries"] = "7",
            ["ApiPipeline:Extractors:metered:BaseDelay"] = "250ms",
            ["ApiPipeline:Extractors:metered:Timeout"] = "5s",
            ["ApiPipeline:Extractors:metered:OnError"] = "dead_letter",
            ["ApiPipeline:Extractors:metered:Headers:X-Api-Version"] = "2",
            ["ApiPipeline:Credentials:TEST_TOKEN"] = "s3cr3t-value",
            ["ApiPipeline:Schedules:hourly:Pipeline"] = "Items",
            ["ApiPipeline:Schedules:hourly:Every"] = "1h",
        };
        foreach (var (key, value) in extra ?? [])
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    [Fact]
    public void Options_are_bound_from_configuration()
    {
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, Configuration()).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ApiPipelineOptions>>().Value;
        Assert.Equal(Dir.Path, options.Output);
        Assert.Equal(Path.Combine(Dir.Path, ".state", "apipipeline.db"), options.StatePath);
        var metered = options.For("metered");
        Assert.Equal(Server.BaseUrl, metered.BaseUrl);
        Assert.Equal(500, metered.RequestsPerSecond);
        Assert.Equal(7, metered.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(250), metered.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), metered.Timeout);
        Assert.Equal(ErrorMode.DeadLetter, metered.OnError);
        Assert.Equal("2", metered.Headers!["X-Api-Version"]);
        Assert.Equal("s3cr3t-value", options.Credentials["TEST_TOKEN"]);
        Assert.Equal("s3cr3t-value", options.Credentials["test_token"]); // configuration keys ignore case (ApiPipeline__Credentials__test_token)
        Assert.Equal(TimeSpan.FromHours(1), options.Schedules["hourly"].Every);
        Assert.Equal("Items", options.Schedules["hourly"].Pipeline);

        // Applied over the attributes: MeteredItems declares [Retry(MaxRetries = 2, BaseDelay = "10ms", Jitter = false)].
        var applied = metered.ApplyTo(new ExtractorOptions(), MeteredItems.Definition.Resilience);
        Assert.Equal(7, applied.Resilience!.Retry!.MaxRetries);
        Assert.False(applied.Resilience.Retry.Jitter);
        Assert.Equal(500, applied.Resilience.RateLimit!.RequestsPerSecond);
        Assert.Equal(ErrorMode.DeadLetter, applied.Resilience.OnError);
    }

    [Fact]
    public void A_bad_value_names_its_configuration_key()
    {
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, Configuration(new() { ["ApiPipeline:Extractors:metered:BaseDelay"] = "soon" })).BuildServiceProvider();
        var error = Assert.Throws<FormatException>(() => provider.GetRequiredService<IOptions<ApiPipelineOptions>>().Value);
        Assert.Contains("ApiPipeline:Extractors:metered:BaseDelay", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PageSize", "-5")]
    [InlineData("MaxRetries", "-1")]
    [InlineData("MaxRecords", "-1")]
    [InlineData("Timeout", "-00:00:05")]
    [InlineData("RequestsPerSecond", "-5")]
    [InlineData("RequestsPerSecond", "NaN")]
    public void A_negative_value_names_its_configuration_key_when_the_settings_are_read(string key, string value)
    {
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, Configuration(new() { [$"ApiPipeline:Extractors:metered:{key}"] = value })).BuildServiceProvider();
        var error = Assert.Throws<FormatException>(() => provider.GetRequiredService<IOptions<ApiPipelineOptions>>().Value);
        Assert.Contains($"Configuration 'ApiPipeline:Extractors:metered:{key}' = '{value}': it must be 0 or more", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:5055", "'127.0.0.1:5055': it is not an absolute http(s) URL")]
    [InlineData("https://robot:s3cr3t-value@api.example.com", "'https://api.example.com/': it carries a user name or password")]
    public void A_base_url_that_cannot_be_used_names_its_configuration_key_and_hides_its_password(string value, string expected)
    {
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, Configuration(new() { ["ApiPipeline:Defaults:BaseUrl"] = value })).BuildServiceProvider();
        var error = Assert.Throws<FormatException>(() => provider.GetRequiredService<IOptions<ApiPipelineOptions>>().Value);
        Assert.Contains("Configuration 'ApiPipeline:Defaults:BaseUrl' = " + expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extractors_and_the_runner_are_registered_and_use_the_configured_settings()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(TimeProvider.System);
        services.AddApiPipeline(ApiPipelineRegistry.Instance, Configuration());
        using var provider = services.BuildServiceProvider();

        var items = provider.GetRequiredKeyedService<IExtractor<NoInput, Item>>("Items");
        var records = new List<Item>();
        await foreach (var item in items.ExtractAsync(NoInput.Value))
        {
            records.Add(item);
        }

        Assert.Equal(TestServer.TotalItems, records.Count);
        Assert.IsType<ComponentRegistry>(provider.GetRequiredService<ComponentRegistry>());

        var runner = provider.GetRequiredService<PipelineRunner>();
        var summary = await runner.RunAsync(new RunRequest { Target = "Items" });
        Assert.Equal(PipelineStatus.Succeeded, summary.Outcome);
        Assert.Equal(TestServer.TotalItems, summary.Records);
        Assert.True(Directory.Exists(Path.Combine(Dir.Path, "Items")));

        var outputs = provider.GetRequiredService<JsonlOutputFactory>();
        Assert.Equal(Dir.Path, outputs.Directory);
    }

    [Fact]
    public async Task The_output_factory_partitions_by_a_DateTime_as_a_files_partition_by_does_and_refuses_both_partitionings()
    {
        var outputs = new JsonlOutputFactory(Dir.Path);
        var item = new Item(1, "late", new DateTimeOffset(2026, 4, 1, 23, 30, 0, TimeSpan.Zero));

        // A DateTime without a kind (as System.Text.Json reads "2026-04-01T23:30:00") is UTC on any machine.
        await using (var output = outputs.Create(TestJson.Default.Item, "items", partitionByDateTime: i => DateTime.SpecifyKind(i.UpdatedAt.UtcDateTime, DateTimeKind.Unspecified)))
        {
            await output.WriteAsync(new[] { item });
            await output.CommitAsync();
        }

        Assert.True(Directory.Exists(Path.Combine(Dir.Path, "items", "date=2026-04-01")));
        var error = Assert.Throws<ArgumentException>(() => outputs.Create(TestJson.Default.Item, "both", i => i.UpdatedAt, i => i.UpdatedAt.UtcDateTime));
        Assert.Equal("partitionByDateTime", error.ParamName);
        Assert.StartsWith("JSONL output 'both': pass partitionBy or partitionByDateTime, not both", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_extractors_http_clients_leave_redirects_to_the_extractor_and_other_clients_are_untouched()
    {
        var services = new ServiceCollection();
        services.AddApiPipeline(ApiPipelineRegistry.Instance, Configuration());
        services.AddHttpClient(ServiceCollectionExtensions.HttpClientPrefix + "Items").ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler()); // the app's own handler
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        using var ours = await factory.CreateClient(ServiceCollectionExtensions.HttpClientPrefix + "Items").GetAsync(Server.BaseUrl + "/redirect");
        using var theirs = await factory.CreateClient("the-app's-own").GetAsync(Server.BaseUrl + "/redirect");

        Assert.Equal(System.Net.HttpStatusCode.Found, ours.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, theirs.StatusCode);
    }

    [Fact]
    public void The_extractors_http_clients_send_apipipelines_user_agent_unless_the_app_sets_one()
    {
        // As the built-in client does: some APIs (GitHub's) refuse requests without one.
        var services = new ServiceCollection();
        services.AddApiPipeline(ApiPipelineRegistry.Instance, Configuration());
        services.AddHttpClient(ServiceCollectionExtensions.HttpClientPrefix + "metered", client => client.DefaultRequestHeaders.UserAgent.ParseAdd("MyApp/2.0"));
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        Assert.Equal("ApiPipeline/0.1", factory.CreateClient(ServiceCollectionExtensions.HttpClientPrefix + "Items").DefaultRequestHeaders.UserAgent.ToString());
        Assert.Equal("MyApp/2.0", factory.CreateClient(ServiceCollectionExtensions.HttpClientPrefix + "metered").DefaultRequestHeaders.UserAgent.ToString());
        Assert.Empty(factory.CreateClient("the-app's-own").DefaultRequestHeaders.UserAgent);
    }

    [Fact]
    public async Task Two_runs_of_one_pipeline_at_once_take_turns_and_both_land()
    {
        // Two schedules of one extractor for different inputs start together: they share its output folder and state.
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, Configuration()).BuildServiceProvider();
        var runner = provider.GetRequiredService<PipelineRunner>();

        var runs = await Task.WhenAll(
            runner.RunAsync(new RunRequest { Target = "OwnerItems", Input = new Dictionary<string, string> { ["owner"] = "alice" } }),
            runner.RunAsync(new RunRequest { Target = "OwnerItems", Input = new Dictionary<string, string> { ["owner"] = "bob" } }));

        Assert.All(runs, r => Assert.Equal(PipelineStatus.Succeeded, r.Outcome));
        var written = Directory.EnumerateFiles(Path.Combine(Dir.Path, "OwnerItems"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).Count();
        Assert.Equal(runs.Sum(r => r.Records), written);
        Assert.Equal(2 * TestServer.TotalItems, written);
    }

    [Fact]
    public async Task Two_runs_of_one_pipeline_file_with_its_own_output_directory_take_turns_whatever_the_hosts_output()
    {
        // Two hosts (another working folder each, so another ApiPipeline:Output) run one file that writes into its own directory.
        string data = Path.Combine(Dir.Path, "data");
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: file_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\noutput:\n  type: jsonl\n  config:\n    directory: {data}\n");
        PipelineRunner Host(string output) => new(
            ApiPipelineRegistry.Instance,
            new ApiPipelineOptions { Output = Path.Combine(Dir.Path, output), State = Path.Combine(Dir.Path, "state.db") },
            httpClients: _ => new HttpClient(new SlowHandler()));

        var runs = await Task.WhenAll(Host("a").RunAsync(new RunRequest { Target = file }), Host("b").RunAsync(new RunRequest { Target = file }));

        Assert.All(runs, r => Assert.True(r.Outcome == PipelineStatus.Succeeded, r.ToText()));
        Assert.Equal(2 * TestServer.TotalItems, Directory.EnumerateFiles(Path.Combine(data, "file_items"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).Count());
    }

    /// <summary>Each request a little late, so that two runs started together overlap.</summary>
    private sealed class SlowHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(100, cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task The_scheduler_runs_each_schedule_and_again_after_its_interval()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddApiPipeline(ApiPipelineRegistry.Instance, Configuration()).AddApiPipelineScheduler();
        using var host = builder.Build();
        var scheduler = host.Services.GetServices<IHostedService>().OfType<PipelineScheduler>().Single();

        await host.StartAsync();
        await WaitUntil(() => scheduler.Runs >= 1);
        Assert.Equal(PipelineStatus.Succeeded, scheduler.LastRuns["hourly"].Outcome);
        Assert.Equal(TestServer.TotalItems, scheduler.LastRuns["hourly"].Records);

        await Task.Delay(200);
        clock.Advance(TimeSpan.FromHours(1));
        await WaitUntil(() => scheduler.Runs >= 2);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_scheduled_run_that_fails_is_logged_as_an_error()
    {
        var logs = new ListLoggerProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(logs);
        builder.Services.AddApiPipeline(ApiPipelineRegistry.Instance, Configuration(new() { ["ApiPipeline:Schedules:hourly:Pipeline"] = "MissingItems" })).AddApiPipelineScheduler();
        using var host = builder.Build();
        var scheduler = host.Services.GetServices<IHostedService>().OfType<PipelineScheduler>().Single();

        await host.StartAsync();
        await WaitUntil(() => scheduler.Runs >= 1);
        await host.StopAsync();

        Assert.Equal(PipelineStatus.Failed, scheduler.LastRuns["hourly"].Outcome);
        var finished = Assert.Single(logs.Entries, e => e.Id.Id == 5005);
        Assert.Equal(LogLevel.Error, finished.Level);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-01:00:00")]
    public void A_schedule_interval_of_zero_or_less_is_a_configuration_error_naming_the_setting(string every)
    {
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, Configuration(new() { ["ApiPipeline:Schedules:hourly:Every"] = every })).BuildServiceProvider();

        var error = Assert.Throws<FormatException>(() => provider.GetRequiredService<IOptions<ApiPipelineOptions>>().Value);
        Assert.Contains("'ApiPipeline:Schedules:hourly:Every'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(-60, false)]
    [InlineData(0, true)]
    public async Task A_schedule_added_in_code_with_an_interval_of_zero_or_less_is_refused_at_start_not_run_in_a_tight_loop(int everySeconds, bool throughConfigure)
    {
        var schedule = new ScheduleSettings { Pipeline = "Items", Every = TimeSpan.FromSeconds(everySeconds) };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.UtcNow));
        if (throughConfigure)
        {
            builder.Services.AddApiPipeline(ApiPipelineRegistry.Instance, Configuration(), options => options.Schedules["now"] = schedule).AddApiPipelineScheduler();
        }
        else
        {
            builder.Services.AddApiPipeline(ApiPipelineRegistry.Instance, Configuration()).AddApiPipelineScheduler(new Dictionary<string, ScheduleSettings> { ["now"] = schedule });
        }

        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.StartAsync());
        Assert.StartsWith($"Schedule 'now' (pipeline 'Items'): Every is {schedule.Every}, but a schedule runs again after a time longer than zero, e.g. TimeSpan.FromHours(1)", error.Message, StringComparison.Ordinal);
        lock (Server.Targets)
        {
            Assert.Empty(Server.Targets);
        }
    }

    [Fact]
    public async Task The_scheduler_waits_intervals_longer_than_a_timer_can()
    {
        // Task.Delay refuses waits of about 49.7 days and more; a 60-day schedule must still run again after 60 days.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddApiPipeline(ApiPipelineRegistry.Instance, Configuration(new() { ["ApiPipeline:Schedules:hourly:Every"] = "60d" })).AddApiPipelineScheduler();
        using var host = builder.Build();
        var scheduler = host.Services.GetServices<IHostedService>().OfType<PipelineScheduler>().Single();

        await host.StartAsync();
        await WaitUntil(() => scheduler.Runs >= 1);
        int days = 0;
        while (scheduler.Runs < 2)
        {
            Assert.True(days < 200, "the second run never came");
            await Task.Delay(20);
            clock.Advance(TimeSpan.FromDays(1));
            days++;
        }

        Assert.InRange(days, 60, 199);
        await host.StopAsync();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_registered_chain_whose_step_dead_letters_resolves_and_runs()
    {
        // The shop chain's step 2 (GroupMembers) is [OnError(ErrorMode.DeadLetter)]: the chain is set up as `run` sets it up, dead-letter file included.
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, Configuration()).BuildServiceProvider();

        var chain = provider.GetRequiredKeyedService<IChain<Shop, Detail>>("shop");
        string folder = Path.Combine(Dir.Path, "mine");
        ChainResult result;
        await using (var output = new JsonlOutput<Detail>(TestJson.Default.Detail, new JsonlOutputOptions<Detail> { Directory = folder, Name = "shop" }))
        {
            result = await chain.ExecuteAsync(new Shop("acme"), output);
        }

        Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
        Assert.Equal(15, Directory.EnumerateFiles(Path.Combine(folder, "shop"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).Count());
    }

    [Fact]
    public void An_extractors_client_does_not_cut_an_attempt_its_timeout_allows_beyond_100_seconds()
    {
        // HttpClient.Timeout (100 s by default) cuts every request: an extractor configured to wait longer per attempt gets a client
        // without that cut (its own timeouts bound each attempt); others keep it.
        var services = new ServiceCollection();
        services.AddApiPipeline(ApiPipelineRegistry.Instance, Configuration(new() { ["ApiPipeline:Extractors:Items:Timeout"] = "3m" }));
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        Assert.Equal(Timeout.InfiniteTimeSpan, factory.CreateClient(ServiceCollectionExtensions.HttpClientPrefix + "Items").Timeout);
        Assert.Equal(TimeSpan.FromSeconds(100), factory.CreateClient(ServiceCollectionExtensions.HttpClientPrefix + "metered").Timeout);
        // A chain's steps share its client: one step allowing 3 minutes does not unbound the other's requests, which only the client bounds.
        Assert.Equal(TimeSpan.FromSeconds(100), factory.CreateClient(ServiceCollectionExtensions.HttpClientPrefix + "mixed_timeouts").Timeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, SharedHttp.For(new TimeoutOptions { PerAttempt = TimeSpan.FromMinutes(3) }).Timeout);
        Assert.Equal(TimeSpan.FromSeconds(100), SharedHttp.For(new TimeoutOptions { PerAttempt = TimeSpan.FromSeconds(30) }).Timeout);
        Assert.Same(SharedHttp.Client, SharedHttp.For(null));
    }

    /// <summary>
    /// An empty configured credential (an appsettings placeholder, "Credentials": { "TOKEN": "" }) is no value: the environment variable
    /// of the same name is used, as for a name that is not configured at all.
    /// </summary>
    [Fact]
    public async Task An_empty_configured_credential_falls_back_to_the_environment_variable()
    {
        string name = "APIPIPELINE_TEST_PLACEHOLDER_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "env-token-123456789");
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"ApiPipeline:Credentials:{name}"] = "" }).Build();
            var options = new ApiPipelineOptions();
            options.Bind(configuration.GetSection("ApiPipeline"));
            var runner = new PipelineRunner(ApiPipelineRegistry.Instance, options);

            var credentials = runner.Common(new ExtractorOptions(), new RunRequest { Target = "x" }).Credentials!;

            Assert.Equal("env-token-123456789", await credentials.GetAsync(name, CancellationToken.None));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
