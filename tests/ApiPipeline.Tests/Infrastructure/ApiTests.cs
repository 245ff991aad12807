namespace ApiPipeline.Tests;

/// <summary>Base of end-to-end tests: one Kestrel server per test class; each test maps its own <c>/{scenario}</c> prefix.</summary>
public abstract class ApiTests(ApiFixture fixture)
{
    protected TestApi Api => fixture.Api;

    /// <summary>Options pointing an extractor at the test server.</summary>
    protected ExtractorOptions At => new() { BaseUrl = Api.BaseUrl };

    /// <summary>The absolute URL of a target on the test server.</summary>
    protected string Url(string target) => Api.BaseUrl + target;

    /// <summary>Maps <c>/{scenario}</c> and returns the extractor input for it.</summary>
    protected Scenario Map(string scenario, Microsoft.AspNetCore.Http.RequestDelegate handler)
    {
        Api.Map("/" + scenario, handler);
        return new Scenario(scenario);
    }

    protected IReadOnlyList<string> Targets(string scenario) => Api.TargetsTo("/" + scenario);

    protected IReadOnlyList<RecordedRequest> Requests(string scenario) => Api.RequestsTo("/" + scenario);
}
