using System.Text.Json.Serialization;
using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>A tenant's feed, addressed by its token in the path.</summary>
public sealed record FeedToken(string AccessToken);

[JsonSerializable(typeof(Item))]
[JsonSerializable(typeof(FeedToken))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class FeedJson : JsonSerializerContext;

/// <summary>Incremental on <c>UpdatedAt</c>; late records go to the dead-letter file.</summary>
[Extractor("http://localhost", "/feeds/{access_token}/items", Json = typeof(FeedJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Watermark(nameof(Item.UpdatedAt), Param = "since", Key = nameof(Item.Id), Lag = "10d", AllowedLateness = "1h", Late = LateRecordPolicy.DeadLetter)]
public sealed partial class FeedItems : IExtractor<FeedToken, Item>;

/// <summary>As <see cref="FeedItems"/>'s feed, by pages; a failed page is dead-lettered.</summary>
[Extractor("http://localhost", "/feeds/{access_token}/items", Json = typeof(FeedJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[OnError(ErrorMode.DeadLetter)]
public sealed partial class FeedPages : IExtractor<FeedToken, Item>;

/// <summary>
/// Secrets the host is given (an input member that looks secret, a header of the settings) stay out of what a run shows and writes: log
/// lines, errors, dead-letter entries. The input's token is sent in the path, where only the input's own values say what to mask.
/// </summary>
public sealed class InputSecretTests : ServerTests
{
    [Fact]
    public async Task A_resumed_runs_starting_line_does_not_log_the_inputs_secret_member()
    {
        const string Token = "tok-SUPERSECRET-77";
        bool down = true;
        Server.Respond = context => context.Request.Query["page"] == "2" && Volatile.Read(ref down)
            ? TestServer.Reply(context, """{"message":"down"}""", 503)
            : TestServer.Reply(context, context.Request.Query["page"] is var page && (page == "1" || page == "2") ? $$"""{"data":[{"id":{{page}},"name":"a","updated_at":"2026-01-10T00:00:00Z"}]}""" : """{"data":[]}""", 200);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Extractors:FeedPages:OnError"] = "FailFast" }).Build();

        var (first, firstLogs) = await RunAsync(configuration, Token);
        Assert.True(first == ExitCodes.Failure, string.Join('\n', firstLogs));
        Assert.DoesNotContain(firstLogs, line => line.Contains(Token, StringComparison.Ordinal));

        Volatile.Write(ref down, false);
        var (second, secondLogs) = await RunAsync(configuration, Token);

        Assert.True(second == ExitCodes.Success, string.Join('\n', secondLogs));
        Assert.Contains(secondLogs, line => line.StartsWith("Starting pipeline 'FeedPages'", StringComparison.Ordinal) && line.Contains("page=2", StringComparison.Ordinal));
        Assert.DoesNotContain(secondLogs, line => line.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_incremental_runs_starting_line_does_not_log_the_inputs_secret_member()
    {
        // The second run of an incremental extractor starts from its stored watermark (?since=…): the same line, the same leak.
        const string Token = "tok-SUPERSECRET-77";
        Server.Respond = context => TestServer.Reply(context, """{"data":[{"id":1,"name":"new","updated_at":"2026-01-10T00:00:00Z"}]}""", 200);
        var configuration = new ConfigurationBuilder().Build();

        var (first, firstLogs) = await RunAsync(configuration, Token, "FeedItems");
        var (second, secondLogs) = await RunAsync(configuration, Token, "FeedItems");

        Assert.True(first == ExitCodes.Success && second == ExitCodes.Success, string.Join('\n', firstLogs.Concat(secondLogs)));
        Assert.DoesNotContain(firstLogs, line => line.Contains(Token, StringComparison.Ordinal));
        Assert.Contains(secondLogs, line => line.StartsWith("Starting pipeline 'FeedItems'", StringComparison.Ordinal) && line.Contains("since=", StringComparison.Ordinal));
        Assert.DoesNotContain(secondLogs, line => line.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_late_records_dead_letter_entry_does_not_hold_the_inputs_secret_member()
    {
        const string Token = "tok-SUPERSECRET-77";
        int run = 0;
        Server.Respond = context => TestServer.Reply(context, Volatile.Read(ref run) == 1
            ? """{"data":[{"id":1,"name":"new","updated_at":"2026-01-10T00:00:00Z"}]}"""
            : """{"data":[{"id":2,"name":"late","updated_at":"2026-01-05T00:00:00Z"}]}""", 200);

        Volatile.Write(ref run, 1);
        var first = await CliTests.Cli(null, "run", "FeedItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", "access_token=" + Token);
        Assert.True(first.Code == ExitCodes.Success, first.Out + first.Err);
        Volatile.Write(ref run, 2);
        var second = await CliTests.Cli(null, "run", "FeedItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", "access_token=" + Token);
        Assert.True(second.Code is ExitCodes.Success or ExitCodes.PartialSuccess, second.Out + second.Err);

        string file = Path.Combine(Dir.Path, "FeedItems.dead-letter.jsonl");
        Assert.True(File.Exists(file), second.Out + second.Err);
        string letters = await File.ReadAllTextAsync(file);
        Assert.Contains("\"kind\":\"LateRecord\"", letters, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, letters, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_header_from_the_settings_echoed_by_the_api_is_not_printed_or_dead_lettered()
    {
        const string Token = "ghp_SUPERSECRET0123456789";
        Server.Respond = context => TestServer.Reply(context, $$"""{"message":"Bad credentials","received":"{{context.Request.Headers.Authorization}}"}""", 401);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Extractors:Items:BaseUrl"] = Server.BaseUrl,
            ["ApiPipeline:Extractors:Items:Headers:Authorization"] = "Bearer " + Token,
            ["ApiPipeline:Extractors:Items:OnError"] = "DeadLetter",
        }).Build();

        var (code, output, error) = await CliTests.Cli(configuration, "run", "Items", "--output", Dir.Path);

        Assert.NotEqual(ExitCodes.Success, code);
        Assert.DoesNotContain(Token, output + error, StringComparison.Ordinal);
        string letters = Path.Combine(Dir.Path, "Items.dead-letter.jsonl");
        Assert.True(File.Exists(letters), output + error);
        string entries = await File.ReadAllTextAsync(letters);
        Assert.Contains("401", entries, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, entries, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cookie_header_from_the_settings_does_not_mask_the_other_cookies_it_carries()
    {
        // A Cookie header has no scheme ("Bearer …"): its short values (lang=en) stay readable in the API's error text.
        Server.Respond = context => TestServer.Reply(context, """{"message":"unsupported locale lang=en; use lang=de"}""", 400);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Extractors:Items:BaseUrl"] = Server.BaseUrl,
            ["ApiPipeline:Extractors:Items:Headers:Cookie"] = "session=9f8e7d6c5b4a3210ffee; lang=en",
            ["ApiPipeline:Extractors:Items:OnError"] = "DeadLetter",
        }).Build();

        var (code, output, error) = await CliTests.Cli(configuration, "run", "Items", "--output", Dir.Path);

        Assert.NotEqual(ExitCodes.Success, code);
        Assert.DoesNotContain("9f8e7d6c5b4a3210ffee", output + error, StringComparison.Ordinal);
        string entries = await File.ReadAllTextAsync(Path.Combine(Dir.Path, "Items.dead-letter.jsonl"));
        Assert.True(entries.Contains("unsupported locale lang=en", StringComparison.Ordinal), entries);
    }

    [Fact]
    public async Task A_cookie_header_from_the_settings_echoed_by_the_api_without_its_name_is_not_dead_lettered()
    {
        // A session cookie's secret is its value, which an API may echo without its name ("session <value> expired").
        const string Session = "s3ss10n-SUPERSECRET-4242";
        Server.Respond = context => TestServer.Reply(context, $$"""{"message":"session {{Session}} expired"}""", 401);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Extractors:Items:BaseUrl"] = Server.BaseUrl,
            ["ApiPipeline:Extractors:Items:Headers:Cookie"] = "sid=" + Session,
            ["ApiPipeline:Extractors:Items:OnError"] = "DeadLetter",
        }).Build();

        var (code, output, error) = await CliTests.Cli(configuration, "run", "Items", "--output", Dir.Path);

        Assert.NotEqual(ExitCodes.Success, code);
        string entries = await File.ReadAllTextAsync(Path.Combine(Dir.Path, "Items.dead-letter.jsonl"));
        Assert.Contains("expired", entries, StringComparison.Ordinal);
        Assert.DoesNotContain(Session, output + error + entries, StringComparison.Ordinal);
    }

    private async Task<(int Code, List<string> Logs)> RunAsync(IConfiguration configuration, string token, string extractor = "FeedPages")
    {
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        var output = new StringWriter();
        int code = await PipelineHost.RunAsync(["run", extractor, "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", "access_token=" + token], ApiPipelineRegistry.Instance, host =>
        {
            host.Out = output;
            host.Error = output;
            host.Configuration = configuration;
            host.LoggerFactory = factory;
            host.Progress = ProgressMode.None;
        });
        return (code, [.. logs.Entries.Select(e => e.Message), output.ToString()]);
    }
}
