using System.Runtime.CompilerServices;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests;

/// <summary>
/// The resilience and auth attributes (<c>[Retry]</c>, <c>[Timeouts]</c>, <c>[CircuitBreaker]</c>, <c>[RateLimited]</c>, <c>[OnError]</c>,
/// <c>[Auth]</c>) become <c>Resilience = new ResilienceOptions { … }</c> and <c>Auth = new AuthOptions { … }</c> in the definition, named
/// arguments as initializers and durations as <c>Duration.Parse</c> calls; each output compiles against the real runtime.
/// </summary>
public sealed class ResilienceSnapshotTests
{
    [Fact]
    public void ResilienceAllAttributes() => Verify("""
        [Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
        [RateLimited(RequestsPerSecond = 20, MaxConcurrent = 4, Burst = 5, QuotaReserve = 2, RecoveryInterval = "15s")]
        [Retry(MaxRetries = 5, Backoff = Backoff.Linear, BaseDelay = "500ms", MaxDelay = "30s", Jitter = false, MaxRetryAfter = "1h30m")]
        [Timeouts(PerAttempt = "10s", Total = "2m")]
        [CircuitBreaker(FailureRatio = 0.25, MinimumThroughput = 20, SamplingDuration = "1m", BreakDuration = "45s")]
        [OnError(ErrorMode.DeadLetter, MaxConsecutivePageFailures = 5)]
        [Auth(AuthKind.OAuth2ClientCredentials, Id = "SHOP_CLIENT_ID", Secret = "SHOP_CLIENT_SECRET", TokenUrl = "https://auth.example.com/token", Scope = "orders:read", Audience = "https://api.example.com/orders", ClientAuthentication = OAuthClientAuthentication.Basic, RefreshBefore = "2m")]
        """);

    [Fact]
    public void ResilienceDefaults() => Verify("""
        [Retry]
        [Timeouts]
        [CircuitBreaker]
        [RateLimited]
        """);

    [Fact]
    public void ResilienceConstructorArguments() => Verify("""
        [RateLimited(2.5)]
        [Retry(7)]
        [OnError(ErrorMode.Continue)]
        [Auth(AuthKind.ApiKey, Secret = "SHOP_API_KEY", QueryParam = "api_key")]
        """);

    [Fact]
    public void AuthOnly_WritesNoResilienceOptions() => Verify("""
        [Auth(AuthKind.Bearer, Secret = "GITHUB_TOKEN")]
        """);

    [Fact]
    public void Spec_CarriesEachAttributeAsInitializers()
    {
        var result = GeneratorHarness.Run(TestSources.Common, Source("""
            [Retry(3, BaseDelay = "250ms")]
            [OnError(ErrorMode.Skip)]
            """));

        var spec = Assert.Single(Specs(result));
        var resilience = Assert.IsType<ResilienceSpec>(spec.Resilience);
        Assert.Equal(
            [new PropertyInit("MaxRetries", "3"), new PropertyInit("BaseDelay", "global::ApiPipeline.Duration.Parse(\"250ms\")")],
            resilience.Retry!);
        Assert.Equal([new PropertyInit("OnError", "global::ApiPipeline.ErrorMode.Skip")], resilience.OnError!);
        Assert.Null(resilience.Timeout);
        Assert.Null(resilience.CircuitBreaker);
        Assert.Null(resilience.RateLimit);
        Assert.Null(resilience.Auth);
    }

    [Fact]
    public void A_null_duration_means_the_default_and_compiles()
    {
        var result = GeneratorHarness.Run(TestSources.Common, Source("[CircuitBreaker(BreakDuration = null)]"));

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        Assert.DoesNotContain("BreakDuration", ItemsSource(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Spec_WithoutResilienceAttributes_HasNoResilience()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Extractor());

        Assert.Null(Assert.Single(Specs(result)).Resilience);
    }

    [Fact]
    public void ChangingARetryNumber_ReEmitsTheExtractor()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, Source("[Retry(MaxRetries = 3)]"));
        var first = GeneratorHarness.Run(compilation);

        var oldTree = compilation.SyntaxTrees[1];
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(Source("[Retry(MaxRetries = 4)]"), oldTree.FilePath)), first.Driver);

        var reasons = second.RunResult.TrackedSteps[TrackingNames.Specs].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
        Assert.Contains("MaxRetries = 4,", ItemsSource(second), StringComparison.Ordinal);
    }

    [Fact]
    public void EqualResilienceAttributes_GiveEqualSpecs()
    {
        string source = Source("""
            [RateLimited(10, MaxConcurrent = 2)]
            [Auth(AuthKind.Basic, Id = "USER", Secret = "PASSWORD")]
            """);

        var first = Assert.Single(Specs(GeneratorHarness.Run(TestSources.Common, source)));
        var second = Assert.Single(Specs(GeneratorHarness.Run(TestSources.Common, source)));

        Assert.NotSame(first.Resilience, second.Resilience);
        Assert.Equal(first.Resilience, second.Resilience);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    private static ExtractorSpec[] Specs(HarnessResult result)
        => [.. result.RunResult.TrackedSteps[TrackingNames.Extractors]
            .SelectMany(step => step.Outputs)
            .Select(output => Assert.IsType<ExtractorResult>(output.Value).Spec)
            .OfType<ExtractorSpec>()];

    private static string Source(string attributes) => TestSources.Usings + $$"""
        namespace Demo;

        [Extractor("https://api.example.com", "/repos/{owner}/{repo}/items", Json = typeof(TestJson))]
        {{attributes}}
        public partial class Items : IExtractor<RepoRef, Item>;
        """;

    [Fact]
    public void A_named_argument_wins_over_the_constructor_argument_it_repeats()
    {
        // The attribute's constructor sets MaxRetries, then the named argument sets it again: the generated initializer has it once.
        var result = GeneratorHarness.Run(TestSources.Common, Source("""
            [Retry(-1, MaxRetries = 3)]
            [RateLimited(-1, RequestsPerSecond = 10)]
            """));

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string source = ItemsSource(result);
        Assert.Contains("MaxRetries = 3,", source, StringComparison.Ordinal);
        Assert.DoesNotContain("MaxRetries = -1", source, StringComparison.Ordinal);
        Assert.Contains("RequestsPerSecond = 10", source, StringComparison.Ordinal);
    }

    private static void Verify(string attributes, [CallerMemberName] string name = "")
    {
        var result = GeneratorHarness.Run(TestSources.Common, Source(attributes));

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        Snapshot.Verify(name, ItemsSource(result));
    }

    /// <summary>The extractor's own generated file (the generator may add shared files next to it).</summary>
    private static string ItemsSource(HarnessResult result)
        => Assert.Single(result.Sources, s => s.HintName == "Demo.Items.g.cs").SourceText.ToString();
}
