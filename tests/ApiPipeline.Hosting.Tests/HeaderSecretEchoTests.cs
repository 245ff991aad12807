using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// An <c>Authorization</c> header given through the settings' <c>Headers</c> (appsettings.json, <c>ExtractorOptions.Headers</c>), sent to
/// an API that answers 401 and echoes what it received, as many do. docs/resilience.md: "Secrets never leave the engine: every value
/// read or obtained … is scrubbed to *** from error details, body snippets and dead-letter entries, also when the API echoes it back".
/// The scrubber learns the secrets of <c>[Auth]</c>, of the input and of the URLs, but never the values of the configured headers, so
/// the token is printed in the run's error (summary and logs) and written to the dead-letter file.
/// </summary>
public sealed class HeaderSecretEchoTests : ServerTests
{
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
}
