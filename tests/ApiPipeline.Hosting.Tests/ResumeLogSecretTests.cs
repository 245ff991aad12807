using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// docs/observability.md, event 1001 <c>RunStarting</c>: "from where (the checkpoint's URL when it resumes, else the input's partition …;
/// redacted)"; docs/resilience.md: values of secret-looking input members are scrubbed "in every URL shown (errors, spans, logs, …)".
/// A fresh run's line masks the input's <c>AccessToken</c> (<c>from /feeds/***/items</c>); a run that resumes an interrupted one logs
/// the stored checkpoint URL through <c>UrlRedactor.Redact</c> only, which knows query names, so the token in the path is logged in clear.
/// </summary>
public sealed class ResumeLogSecretTests : ServerTests
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
