using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Numbers of the resilience attributes outside the ranges <c>ResilienceOptions.Validate</c> accepts (the extractor would throw
/// <c>ArgumentException</c> when created): <c>[Retry]</c> <c>MaxRetries</c> (APP1511), <c>[RateLimited]</c> rates and limits
/// (APP1512), <c>[CircuitBreaker]</c> <c>FailureRatio</c> and <c>MinimumThroughput</c> (APP1513).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class ResilienceRangeAnalyzer : ExtractorAnalyzer
{
    public const string MaxRetriesOutOfRangeId = "APP1511";

    public const string RateLimitOutOfRangeId = "APP1512";

    public const string CircuitBreakerOutOfRangeId = "APP1513";

    public static readonly DiagnosticDescriptor MaxRetriesOutOfRange = new(
        MaxRetriesOutOfRangeId,
        "MaxRetries is out of range",
        "[Retry] MaxRetries must be 0 or more, not {0}; use 0 to try once without retrying",
        DiagnosticCategories.Resilience,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(MaxRetriesOutOfRangeId));

    public static readonly DiagnosticDescriptor RateLimitOutOfRange = new(
        RateLimitOutOfRangeId,
        "Rate limit setting is out of range",
        "[RateLimited] {0} must be {1}, not {2}; {3}",
        DiagnosticCategories.Resilience,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(RateLimitOutOfRangeId));

    public static readonly DiagnosticDescriptor CircuitBreakerOutOfRange = new(
        CircuitBreakerOutOfRangeId,
        "Circuit breaker setting is out of range",
        "[CircuitBreaker] {0} must be {1}, not {2}; {3}",
        DiagnosticCategories.Resilience,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(CircuitBreakerOutOfRangeId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [MaxRetriesOutOfRange, RateLimitOutOfRange, CircuitBreakerOutOfRange];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        if (extractor.FindAttribute("ApiPipeline.RetryAttribute") is { } retry)
        {
            // A named setting is assigned after the constructor has run, so when both are written only the named one counts.
            if (retry.Settings.TryGetValue("MaxRetries", out var named))
            {
                if (named.Value is int max && max < 0)
                {
                    extractor.Report(MaxRetriesOutOfRange, retry.ValueLocation("MaxRetries"), max);
                }
            }
            else if (retry.ConstructorValue<int>(0) is var positional and < 0 && retry.Data.ConstructorArguments.Length == 1)
            {
                extractor.Report(MaxRetriesOutOfRange, AttributeSyntaxes.ValueLocation(retry.ConstructorArgument(0, "maxRetries"), retry.Syntax), positional);
            }
        }

        if (extractor.FindAttribute("ApiPipeline.RateLimitedAttribute") is { } rate)
        {
            const string RateRange = "0 (no rate limit) or at least 0.001";
            if (rate.Settings.TryGetValue("RequestsPerSecond", out var rpsConstant))
            {
                if (rpsConstant.Value is double rps && !IsValidRate(rps))
                {
                    extractor.Report(RateLimitOutOfRange, rate.ValueLocation("RequestsPerSecond"), "RequestsPerSecond", RateRange, Text(rps), "write the requests per second the API allows, e.g. 10");
                }
            }
            else if (rate.Data.ConstructorArguments.Length == 1 && rate.ConstructorValue<double>(0) is var positional && !IsValidRate(positional))
            {
                extractor.Report(RateLimitOutOfRange, AttributeSyntaxes.ValueLocation(rate.ConstructorArgument(0, "requestsPerSecond"), rate.Syntax), "requestsPerSecond", RateRange, Text(positional), "write the requests per second the API allows, e.g. 10");
            }

            CheckNotNegative(extractor, rate, "Burst", "the requests allowed at once after a quiet period; 0 means 1");
            CheckNotNegative(extractor, rate, "MaxConcurrent", "0 means no concurrency limit");
            CheckNotNegative(extractor, rate, "QuotaReserve", "0 means no reserve");
        }

        if (extractor.FindAttribute("ApiPipeline.CircuitBreakerAttribute") is { } breaker)
        {
            if (breaker.Settings.TryGetValue("FailureRatio", out var ratioConstant) && ratioConstant.Value is double ratio && !(ratio > 0 && ratio <= 1))
            {
                extractor.Report(CircuitBreakerOutOfRange, breaker.ValueLocation("FailureRatio"), "FailureRatio", "above 0 and at most 1", Text(ratio), "it is the share of failed attempts that opens the circuit, e.g. 0.5");
            }

            if (breaker.Settings.TryGetValue("MinimumThroughput", out var throughputConstant) && throughputConstant.Value is int throughput && throughput < 2)
            {
                extractor.Report(CircuitBreakerOutOfRange, breaker.ValueLocation("MinimumThroughput"), "MinimumThroughput", "2 or more", throughput, "it is the fewest attempts in the sampling window before the ratio counts, e.g. 10");
            }
        }
    }

    private static bool IsValidRate(double rps)
        => rps == 0 || (rps >= 0.001 && !double.IsInfinity(rps) && !double.IsNaN(rps));

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void CheckNotNegative(ExtractorContext extractor, AppliedAttribute attribute, string setting, string meaning)
    {
        if (attribute.Settings.TryGetValue(setting, out var constant) && constant.Value is int value && value < 0)
        {
            extractor.Report(RateLimitOutOfRange, attribute.ValueLocation(setting), setting, "0 or more", value, meaning);
        }
    }
}
