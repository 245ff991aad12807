using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Reports two extractors of one compilation with the same name (APP1001): names identify extractors in logs, errors and the registry.
/// A hand-written <c>[RegisteredExtractor("name")]</c> class counts under its registered name, as the registry lists it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class DuplicateNameAnalyzer : ExtractorAnalyzer
{
    public const string DuplicateNameId = "APP1001";

    public static readonly DiagnosticDescriptor DuplicateName = new(
        DuplicateNameId,
        "Two extractors have the same name",
        "The extractor name '{0}' is also used by '{1}'; names identify extractors in logs, errors and the registry, so give each a unique name",
        DiagnosticCategories.Extractor,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(DuplicateNameId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [DuplicateName];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        var index = ExtractorIndex.For(extractor.Compilation, extractor.Known, extractor.CancellationToken);
        if (Others(index, extractor.Name, extractor.Type) is not { } others)
        {
            return;
        }

        var location = extractor.HasExplicitName
            ? AttributeSyntaxes.ValueLocation(AttributeSyntaxes.NamedArgument(extractor.Syntax, "Name"), extractor.Syntax)
            : extractor.Identifier;
        extractor.Report(DuplicateName, location, extractor.Name, others);
    }

    /// <inheritdoc/>
    protected override void AnalyzeRegisteredExtractor(RegisteredExtractorContext extractor)
    {
        if (extractor.Name is not { } name)
        {
            return;
        }

        var index = ExtractorIndex.For(extractor.Compilation, extractor.Known, extractor.CancellationToken);
        if (Others(index, name, extractor.Type) is { } others)
        {
            extractor.Report(DuplicateName, AttributeSyntaxes.ValueLocation(extractor.NameArgument, extractor.Syntax), name, others);
        }
    }

    /// <summary>The other classes listed under <paramref name="name"/>, for the message; <see langword="null"/> when there are none.</summary>
    private static string? Others(ExtractorIndex index, string name, INamedTypeSymbol type)
    {
        if (!index.ByName.TryGetValue(name, out var named))
        {
            return null;
        }

        var others = named
            .Where(t => !SymbolEqualityComparer.Default.Equals(t, type))
            .Select(t => t.ToDisplayString())
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();
        return others.Count == 0 ? null : string.Join("', '", others);
    }
}
