using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>Reports two extractors of one compilation with the same name (APP1001): names identify extractors in logs, errors and the registry.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class DuplicateNameAnalyzer : ExtractorAnalyzer
{
    public const string DuplicateNameId = "APP1001";

    public static readonly DiagnosticDescriptor DuplicateName = new(
        DuplicateNameId,
        "Two extractors have the same name",
        "The extractor name '{0}' is also used by '{1}'; names identify extractors in logs, errors and the registry, so give each a unique Name",
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
        if (!index.ByName.TryGetValue(extractor.Name, out var named) || named.Count < 2)
        {
            return;
        }

        var others = named
            .Where(e => !SymbolEqualityComparer.Default.Equals(e.Type, extractor.Type))
            .Select(e => e.Type.ToDisplayString())
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();
        if (others.Count == 0)
        {
            return;
        }

        var location = extractor.HasExplicitName
            ? AttributeSyntaxes.ValueLocation(AttributeSyntaxes.NamedArgument(extractor.Syntax, "Name"), extractor.Syntax)
            : extractor.Identifier;
        extractor.Report(DuplicateName, location, extractor.Name, string.Join("', '", others));
    }
}
