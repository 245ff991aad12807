using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Reports two extractors of one compilation with the same name (APP1001): names identify extractors in logs, errors and the registry;
/// names that differ only in case (APP1005), which share what the host keys ignoring case (settings, output folders on some file
/// systems); and a name with a <c>/</c> (APP1006), which the host cannot run as a pipeline (dead-letter entries read <c>a/b</c> as step
/// <c>b</c> of chain <c>a</c>). A hand-written <c>[RegisteredExtractor("name")]</c> class counts under its registered name, as the
/// registry lists it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class ExtractorNameAnalyzer : ExtractorAnalyzer
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

    public const string NamesDifferInCaseId = "APP1005";

    public static readonly DiagnosticDescriptor NamesDifferInCase = new(
        NamesDifferInCaseId,
        "Two extractors' names differ only in case",
        "The extractor name '{0}' differs only in case from '{1}' ({2}); they share their ApiPipeline:Extractors settings (configuration keys ignore case) and, on Windows and macOS, their output folders, so give each a name of its own",
        DiagnosticCategories.Extractor,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(NamesDifferInCaseId));

    public const string SlashInNameId = "APP1006";

    public static readonly DiagnosticDescriptor SlashInName = new(
        SlashInNameId,
        "Extractor name contains '/'",
        "The extractor name '{0}' contains '/'; the host runs an extractor as the pipeline of that name, and dead-letter entries and replay read 'a/b' as step 'b' of chain 'a', so use another character ('-', '_' or '.')",
        DiagnosticCategories.Extractor,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(SlashInNameId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [DuplicateName, NamesDifferInCase, SlashInName];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        var index = ExtractorIndex.For(extractor.Compilation, extractor.Known, extractor.CancellationToken);
        var location = extractor.HasExplicitName
            ? AttributeSyntaxes.ValueLocation(AttributeSyntaxes.NamedArgument(extractor.Syntax, "Name"), extractor.Syntax)
            : extractor.Identifier;
        if (Finding(index, extractor.Name, extractor.Type) is { } finding)
        {
            extractor.Report(finding.Descriptor, location, finding.Arguments);
        }

        ReportSlash(extractor, extractor.Name, location);
    }

    /// <inheritdoc/>
    protected override void AnalyzeRegisteredExtractor(RegisteredExtractorContext extractor)
    {
        if (extractor.Name is not { } name)
        {
            return;
        }

        var index = ExtractorIndex.For(extractor.Compilation, extractor.Known, extractor.CancellationToken);
        var location = AttributeSyntaxes.ValueLocation(extractor.NameArgument, extractor.Syntax);
        if (Finding(index, name, extractor.Type) is { } finding)
        {
            extractor.Report(finding.Descriptor, location, finding.Arguments);
        }

        ReportSlash(extractor, name, location);
    }

    /// <summary>APP1006 when <paramref name="name"/> contains a <c>/</c>.</summary>
    private static void ReportSlash(ExtractorClassContext extractor, string name, Location? location)
    {
        if (name.IndexOf('/') >= 0)
        {
            extractor.Report(SlashInName, location, name);
        }
    }

    /// <summary>
    /// APP1001 with its arguments when another class is listed under <paramref name="name"/>, else APP1005 when another name differs
    /// from it only in case; <see langword="null"/> when neither.
    /// </summary>
    private static (DiagnosticDescriptor Descriptor, object?[] Arguments)? Finding(ExtractorIndex index, string name, INamedTypeSymbol type)
    {
        if (Others(index, name, type) is { } others)
        {
            return (DuplicateName, new object?[] { name, others });
        }

        return CaseVariants(index, name) is { } variants ? (NamesDifferInCase, new object?[] { name, variants.Names, variants.Types }) : null;
    }

    /// <summary>The other names that equal <paramref name="name"/> ignoring case, and their classes, for the message; <see langword="null"/> when there are none.</summary>
    private static (string Names, string Types)? CaseVariants(ExtractorIndex index, string name)
    {
        var variants = index.ByName
            .Where(entry => entry.Key != name && string.Equals(entry.Key, name, StringComparison.OrdinalIgnoreCase))
            .OrderBy(entry => entry.Key, StringComparer.Ordinal)
            .ToList();
        return variants.Count == 0
            ? null
            : (string.Join("', '", variants.Select(v => v.Key)), string.Join(", ", variants.SelectMany(v => v.Value).Select(t => t.ToDisplayString()).OrderBy(n => n, StringComparer.Ordinal)));
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
