using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;

namespace ApiPipeline.CodeFixes;

/// <summary>Removes the empty segments of a malformed response path (APP1105): <c>".data..items."</c> → <c>"data.items"</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RepairPathCodeFixProvider)), Shared]
internal sealed class RepairPathCodeFixProvider : DocumentCodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [PaginationAnalyzer.MalformedPathId];

    /// <inheritdoc/>
    protected override string? Title(SyntaxNode root, Diagnostic diagnostic)
        => Literals.At(root, diagnostic) is not null && Repaired(diagnostic) is { Length: > 0 } repaired ? $"Change the path to \"{repaired}\"" : null;

    /// <inheritdoc/>
    protected override string EquivalenceKey(Diagnostic diagnostic) => nameof(RepairPathCodeFixProvider);

    /// <inheritdoc/>
    protected override void Fix(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (Literals.At(root, diagnostic) is { } literal && Repaired(diagnostic) is { } repaired)
        {
            editor.ReplaceNode(literal, Literals.With(literal, repaired));
        }
    }

    private static string? Repaired(Diagnostic diagnostic)
        => diagnostic.Properties.TryGetValue(PaginationAnalyzer.RepairedPathProperty, out var value) ? value : null;
}
