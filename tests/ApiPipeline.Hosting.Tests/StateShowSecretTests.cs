using System.Text.Json.Serialization;
using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>An input whose member looks secret (<c>ApiToken</c>), sent in the path.</summary>
public sealed record TokenInPath(string ApiToken);

/// <summary>An input whose member looks secret (<c>ApiKey</c>), sent under an innocent query name.</summary>
public sealed record KeyInQuery([property: Query("q")] string ApiKey);

[JsonSerializable(typeof(Item))]
[JsonSerializable(typeof(TokenInPath))]
[JsonSerializable(typeof(KeyInQuery))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class SecretInputJson : JsonSerializerContext;

/// <summary>The token of the input goes in the path (the test server answers <c>/owners/{owner}/items</c>).</summary>
[Extractor("http://localhost", "/owners/{api_token}/items", Json = typeof(SecretInputJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
public sealed partial class TokenPathItems : IExtractor<TokenInPath, Item>;

/// <summary>The key of the input goes in the query as <c>?q=</c>.</summary>
[Extractor("http://localhost", "/items", Json = typeof(SecretInputJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
public sealed partial class KeyQueryItems : IExtractor<KeyInQuery, Item>;

/// <summary>
/// docs/resilience.md: values of secret-looking input members are scrubbed "in URLs and in the input's partition key (logs, state)";
/// the run's own log line (event 1001) does hide them (<c>from /owners/***/items</c>). <c>state show</c> prints the stored partition key
/// as it is, so the token the user gave with <c>--input</c> is printed on the console.
/// </summary>
public sealed class StateShowSecretTests : ServerTests
{
    [Theory]
    [InlineData("TokenPathItems", "api_token")]
    [InlineData("KeyQueryItems", "api_key")]
    public async Task State_show_does_not_print_the_value_of_a_secret_looking_input_member(string extractor, string member)
    {
        const string Secret = "SUPERSECRET42";
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var output = new StringWriter();
        int code = await PipelineHost.RunAsync(["run", extractor, "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", $"{member}={Secret}"], ApiPipelineRegistry.Instance, host =>
        {
            host.Out = output;
            host.Error = output;
            host.Configuration = new ConfigurationBuilder().Build();
            host.LoggerFactory = factory;
            host.Progress = ProgressMode.None;
        });
        Assert.True(code == ExitCodes.Success, output.ToString());
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(Secret, StringComparison.Ordinal)); // the run's logs hide it

        var (showCode, shown, error) = await CliTests.Cli(null, "state", "show", extractor, "--output", Dir.Path);

        Assert.True(showCode == ExitCodes.Success, shown + error);
        Assert.Contains("partition ", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, shown, StringComparison.Ordinal);
    }
}
