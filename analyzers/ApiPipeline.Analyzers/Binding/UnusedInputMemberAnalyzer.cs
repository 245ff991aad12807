using System.Collections.Generic;
using System.Collections.Immutable;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Reports an input member that no extractor using the input type binds to a placeholder or sends as a query (APP1301). The
/// input type is checked against every extractor of the compilation (<see cref="ExtractorIndex"/>), so a member one of several
/// extractors sharing the input uses is not reported. An input type a hand-written <c>[RegisteredExtractor]</c> takes is not checked:
/// its code may read any member. Members inherited from a base type are not checked.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class UnusedInputMemberAnalyzer : ExtractorAnalyzer
{
    public const string UnusedInputMemberId = "APP1301";

    /// <summary>Diagnostic property: the member's name.</summary>
    public const string MemberProperty = "Member";

    public static readonly DiagnosticDescriptor UnusedInputMember = new(
        UnusedInputMemberId,
        "Input member is not sent",
        "'{0}.{1}' fills no path placeholder and has no [Query], so no extractor sends it; add [Query] to send it as '?{2}=', use it as {{{2}}} in a path, or remove it",
        DiagnosticCategories.Binding,
        DiagnosticSeverity.Info,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(UnusedInputMemberId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [UnusedInputMember];

    /// <inheritdoc/>
    protected override void AnalyzeOtherType(SymbolAnalysisContext context, INamedTypeSymbol type, KnownTypes known)
    {
        if (!InputMembers.IsUserInput(type, known))
        {
            return;
        }

        var index = ExtractorIndex.For(context.Compilation, known, context.CancellationToken);
        if (index.HandWrittenInputs.Contains(type) || !index.ByInput.TryGetValue(type, out var extractors))
        {
            return;
        }

        var used = new HashSet<string>();
        foreach (var extractor in extractors)
        {
            if (extractor.Path is not { } path)
            {
                return; // a path that is not a constant: what it uses is unknown
            }

            foreach (var placeholder in UrlText.Placeholders(path))
            {
                used.Add(NameRules.Normalize(placeholder.Name));
            }
        }

        foreach (var member in InputMembers.Of(type, known))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (member.Query is not null || used.Contains(NameRules.Normalize(member.Name))
                || !SymbolEqualityComparer.Default.Equals(member.Symbol.ContainingType, type)
                || member.Symbol.Locations.IsDefaultOrEmpty || !member.Symbol.Locations[0].IsInSource)
            {
                continue;
            }

            var properties = ImmutableDictionary<string, string?>.Empty.Add(MemberProperty, member.Name);
            context.ReportDiagnostic(Diagnostic.Create(UnusedInputMember, member.Symbol.Locations[0], properties, type.Name, member.Name, NameRules.SnakeCase(member.Name)));
        }
    }
}
