using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Checks every duration written in an attribute of an extractor (<c>[Retry]</c>, <c>[Timeouts]</c>, <c>[CircuitBreaker]</c>,
/// <c>[RateLimited]</c>, <c>[Watermark]</c>, <c>[Auth]</c>, <c>[TimeWindows]</c>) against the one duration grammar (<see cref="DurationText"/>): one that does not
/// parse is an error (APP1501, the extractor would throw when created); one that parses but is not written the canonical way
/// (<c>"90s"</c> for <c>"1m30s"</c>) is info (APP1502). Both carry the canonical form, when there is an unambiguous one, for the fix.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class DurationAnalyzer : ExtractorAnalyzer
{
    public const string InvalidDurationId = "APP1501";

    public const string NonCanonicalDurationId = "APP1502";

    /// <summary>Diagnostic property: the canonical form of the duration, when there is an unambiguous one.</summary>
    public const string CanonicalProperty = "Canonical";

    public static readonly DiagnosticDescriptor InvalidDuration = new(
        InvalidDurationId,
        "Duration does not parse",
        "{0}.{1} = \"{2}\" is not a duration ({3}); write {4}",
        DiagnosticCategories.Resilience,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(InvalidDurationId));

    public static readonly DiagnosticDescriptor NonCanonicalDuration = new(
        NonCanonicalDurationId,
        "Duration is not in canonical form",
        "{0}.{1} = \"{2}\" is valid but reads more clearly as \"{3}\"; write the largest units first",
        DiagnosticCategories.Resilience,
        DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(NonCanonicalDurationId));

    /// <summary>The duration settings, by attribute: metadata name, short name, string properties holding a duration.</summary>
    internal static readonly (string MetadataName, string ShortName, string[] Settings)[] DurationSettings =
    [
        ("ApiPipeline.RetryAttribute", "Retry", ["BaseDelay", "MaxDelay", "MaxRetryAfter"]),
        ("ApiPipeline.TimeoutsAttribute", "Timeouts", ["PerAttempt", "Total"]),
        ("ApiPipeline.CircuitBreakerAttribute", "CircuitBreaker", ["SamplingDuration", "BreakDuration"]),
        ("ApiPipeline.RateLimitedAttribute", "RateLimited", ["RecoveryInterval"]),
        ("ApiPipeline.WatermarkAttribute", "Watermark", ["Lag", "AllowedLateness"]),
        ("ApiPipeline.AuthAttribute", "Auth", ["RefreshBefore"]),
        ("ApiPipeline.TimeWindowsAttribute", "TimeWindows", ["Size", "Offset"]),
    ];

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [InvalidDuration, NonCanonicalDuration];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        foreach (var (metadataName, shortName, settings) in DurationSettings)
        {
            if (extractor.FindAttribute(metadataName) is not { } attribute
                || (shortName == "Watermark" && WatermarkField.IsNumeric(extractor, attribute)))
            {
                // A numeric watermark counts its Lag and AllowedLateness in units; the generator checks those (APP0007).
                continue;
            }

            foreach (var setting in settings)
            {
                if (!attribute.Settings.TryGetValue(setting, out var constant) || constant.IsNull || constant.Value is not string text)
                {
                    continue;
                }

                string? canonical = DurationText.TryCanonical(text);
                var properties = canonical is null
                    ? ImmutableDictionary<string, string?>.Empty
                    : ImmutableDictionary<string, string?>.Empty.Add(CanonicalProperty, canonical);
                if (!DurationGrammar.TryParse(text, out _, out string problem))
                {
                    extractor.Report(InvalidDuration, attribute.ValueLocation(setting), properties, shortName, setting, text, problem, canonical is null ? DurationGrammar.AcceptedForms : $"\"{canonical}\"");
                }
                else if (canonical is not null && canonical != text)
                {
                    extractor.Report(NonCanonicalDuration, attribute.ValueLocation(setting), properties, shortName, setting, text, canonical);
                }
            }
        }
    }
}
