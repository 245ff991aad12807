using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>Review of how the host supplies credentials: each test fails because of a product bug.</summary>
public sealed class ReviewAuthHostTests
{
    [Fact]
    public async Task ReviewAuth_an_empty_configured_credential_falls_back_to_the_environment_variable()
    {
        // A common appsettings.json pattern is a placeholder, "Credentials": { "GITHUB_TOKEN": "" }, with the real value in the
        // GITHUB_TOKEN environment variable in production. docs/observability.md: "Credentials are looked up by the names [Auth] gives
        // ... before environment variables", and the engine treats an empty value as "not set" (Authenticator.ReadAsync:
        // IsNullOrEmpty). PipelineRunner.Common's lookup returns the empty configured value instead of falling back, so the page fails
        // with "the secret 'X' is not set; set the environment variable X ..." although that variable IS set: a misleading error.
        string name = "REVIEW_AUTH_HOST_TOKEN_" + Guid.NewGuid().ToString("N");
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
