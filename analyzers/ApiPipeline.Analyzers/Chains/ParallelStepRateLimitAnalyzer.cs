using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// APP1701: a <c>[Chain]</c> step with <c>Mode = ProcessingMode.Parallel</c> calls its extractor for many inputs at once; an
/// <c>[Extractor]</c> without <c>[RateLimited]</c> then sends as fast as <c>MaxConcurrency</c> allows and meets 429s.
/// Reported on the step property.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class ParallelStepRateLimitAnalyzer : ExtractorAnalyzer
{
    public const string ParallelWithoutRateLimitId = "APP1701";

    private const int Parallel = 2;

    public static readonly DiagnosticDescriptor ParallelWithoutRateLimit = new(
        ParallelWithoutRateLimitId,
        "Parallel step calls an extractor without [RateLimited]",
        "Step '{0}' runs extractor '{1}' in parallel, but '{1}' has no [RateLimited], so it sends as many requests as MaxConcurrency allows and is likely to be throttled (429); add [RateLimited(RequestsPerSecond = …)] with the rate the API allows to '{1}'",
        DiagnosticCategories.Chain,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(ParallelWithoutRateLimitId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [ParallelWithoutRateLimit];

    /// <inheritdoc/>
    protected override void AnalyzeOtherType(SymbolAnalysisContext context, INamedTypeSymbol type, KnownTypes known)
    {
        var chain = known.Get("ApiPipeline.ChainAttribute");
        var step = known.Get("ApiPipeline.StepAttribute");
        var rateLimited = known.Get("ApiPipeline.RateLimitedAttribute");
        if (chain is null || step is null || rateLimited is null || !Has(type, chain))
        {
            return;
        }

        foreach (var member in type.GetMembers())
        {
            if (member is not IPropertySymbol property || property.Type is not INamedTypeSymbol target || target.TypeKind != TypeKind.Class)
            {
                continue;
            }

            foreach (var attribute in property.GetAttributes())
            {
                if (!KnownTypes.Is(attribute, step) || !IsParallel(attribute))
                {
                    continue;
                }

                if (Has(target, known.ExtractorAttribute) && !Has(target, rateLimited))
                {
                    context.ReportDiagnostic(Diagnostic.Create(ParallelWithoutRateLimit, Location(property, context.CancellationToken), property.Name, target.Name));
                }

                break;
            }
        }
    }

    private static bool IsParallel(AttributeData attribute)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == "Mode" && argument.Value.Value is int mode)
            {
                return mode == Parallel;
            }
        }

        return false;
    }

    private static bool Has(INamedTypeSymbol type, INamedTypeSymbol attributeType)
    {
        foreach (var attribute in type.GetAttributes())
        {
            if (KnownTypes.Is(attribute, attributeType))
            {
                return true;
            }
        }

        return false;
    }

    // The property name in the declaration that carries [Step] (a partial property has two declarations).
    private static Location Location(IPropertySymbol property, System.Threading.CancellationToken cancellationToken)
    {
        foreach (var reference in property.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is PropertyDeclarationSyntax declaration && declaration.AttributeLists.Count > 0)
            {
                return declaration.Identifier.GetLocation();
            }
        }

        return property.Locations.IsDefaultOrEmpty ? Microsoft.CodeAnalysis.Location.None : property.Locations[0];
    }
}
