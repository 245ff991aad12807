using ApiPipeline.CodeFixes;
using Microsoft.CodeAnalysis.Testing;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>Fixes for durations (APP1501/APP1502), a missing record key (APP1601) and a missing [RateLimited] (APP1701).</summary>
public class ResilienceAndStateFixTests
{
    [Fact]
    public Task Rewrite_durations_to_canonical_form_with_Fix_All()
    {
        var test = new CodeFixTest<DurationAnalyzer, CanonicalDurationCodeFixProvider>(
            Code.With("""
                [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                [Retry(BaseDelay = {|APP1502:"90s"|}, MaxDelay = {|APP1501:"5 minutes"|}, MaxRetryAfter = {|APP1501:"2 seconds"|})]
                [Timeouts(PerAttempt = {|APP1501:"5 min"|}, Total = {|APP1501:"1h 30m"|})]
                public partial class Items : IExtractor<NoInput, Item>;
                """),
            Code.With("""
                [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                [Retry(BaseDelay = "1m30s", MaxDelay = "5m", MaxRetryAfter = "2s")]
                [Timeouts(PerAttempt = "5m", Total = "1h30m")]
                public partial class Items : IExtractor<NoInput, Item>;
                """));
        test.NumberOfFixAllIterations = 1;
        return test.RunAsync();
    }

    [Fact]
    public Task Ambiguous_durations_get_no_fix()
    {
        var source = Code.With("""
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            [Retry(BaseDelay = {|APP1501:"1x"|}, MaxDelay = {|APP1501:"5M"|}, MaxRetryAfter = {|APP1501:"1.5s"|})]
            public partial class Items : IExtractor<NoInput, Item>;
            """);
        return new CodeFixTest<DurationAnalyzer, CanonicalDurationCodeFixProvider>(source, source).RunAsync();
    }

    [Fact]
    public Task Mark_the_Id_parameter_of_a_positional_record_as_key() => new CodeFixTest<WatermarkKeyAnalyzer, AddKeyAttributeCodeFixProvider>(
        Code.With("""
            public sealed record Order(long Id, System.DateTimeOffset UpdatedAt);

            [JsonSerializable(typeof(Order))]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = {|APP1601:"5m"|})]
            public partial class Orders : IExtractor<NoInput, Order>;
            """),
        Code.With("""
            public sealed record Order([property: Key] long Id, System.DateTimeOffset UpdatedAt);

            [JsonSerializable(typeof(Order))]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = "5m")]
            public partial class Orders : IExtractor<NoInput, Order>;
            """)).RunAsync();

    [Fact]
    public Task Mark_the_Id_property_as_key() => new CodeFixTest<WatermarkKeyAnalyzer, AddKeyAttributeCodeFixProvider>(
        Code.With("""
            public sealed class Order
            {
                public long Id { get; set; }

                public System.DateTimeOffset UpdatedAt { get; set; }
            }

            [JsonSerializable(typeof(Order))]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = {|APP1601:"5m"|})]
            public partial class Orders : IExtractor<NoInput, Order>;
            """),
        Code.With("""
            public sealed class Order
            {
                [Key]
                public long Id { get; set; }

                public System.DateTimeOffset UpdatedAt { get; set; }
            }

            [JsonSerializable(typeof(Order))]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = "5m")]
            public partial class Orders : IExtractor<NoInput, Order>;
            """)).RunAsync();

    [Fact]
    public Task Add_RateLimited_to_the_extractor_of_a_parallel_step() => new CodeFixTest<ParallelStepRateLimitAnalyzer, AddRateLimitedCodeFixProvider>(
        Code.Alone(ParallelStepRateLimitAnalyzerTests.Model + """
            [Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(GhJson))]
            public partial class RepoIssues : IExtractor<RepoRef, Issue>;

            [Chain]
            public partial class OrgIssues
            {
                [Step(1)] public partial OrgRepos Repos { get; }

                [Step(2, Mode = ProcessingMode.Parallel)]
                [Map(nameof(Repo.Owner), To = nameof(RepoRef.Owner))]
                [Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))]
                public partial RepoIssues {|APP1701:Issues|} { get; }
            }
            """),
        Code.Alone(ParallelStepRateLimitAnalyzerTests.Model + """
            [Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(GhJson))]
            [RateLimited(RequestsPerSecond = 10)]
            public partial class RepoIssues : IExtractor<RepoRef, Issue>;

            [Chain]
            public partial class OrgIssues
            {
                [Step(1)] public partial OrgRepos Repos { get; }

                [Step(2, Mode = ProcessingMode.Parallel)]
                [Map(nameof(Repo.Owner), To = nameof(RepoRef.Owner))]
                [Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))]
                public partial RepoIssues Issues { get; }
            }
            """)).RunAsync();
}
