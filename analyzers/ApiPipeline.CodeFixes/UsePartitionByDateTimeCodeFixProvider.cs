using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace ApiPipeline.CodeFixes;

/// <summary>Sets <c>PartitionByDateTime</c> instead of <c>PartitionBy</c> in an initializer, keeping the lambda (APP1801).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UsePartitionByDateTimeCodeFixProvider)), Shared]
internal sealed class UsePartitionByDateTimeCodeFixProvider : DocumentCodeFixProvider
{
    private const string NewName = "PartitionByDateTime";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [PartitionByDateTimeAnalyzer.DateTimePartitionId];

    /// <inheritdoc/>
    protected override string? Title(SyntaxNode root, Diagnostic diagnostic)
        => Target(root, diagnostic) is not null ? "Use PartitionByDateTime" : null;

    /// <inheritdoc/>
    protected override string EquivalenceKey(Diagnostic diagnostic) => nameof(UsePartitionByDateTimeCodeFixProvider);

    /// <inheritdoc/>
    protected override void Fix(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        // A block lambda may return several DateTimes, each a diagnostic renaming the same name: WithIdentifier keeps the node (and the
        // editor's tracking of it), so Fix All renames it again to the same result.
        if (Target(root, diagnostic) is { } name)
        {
            editor.ReplaceNode(name, (node, _) => ((IdentifierNameSyntax)node).WithIdentifier(SyntaxFactory.Identifier(node.GetLeadingTrivia(), NewName, node.GetTrailingTrivia())));
        }
    }

    // The 'PartitionBy' the lambda of the diagnostic is assigned to in an initializer that does not set PartitionByDateTime already.
    private static IdentifierNameSyntax? Target(SyntaxNode root, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.ContainsKey(PartitionByDateTimeAnalyzer.RenameProperty)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<AnonymousFunctionExpressionSyntax>() is not { } lambda)
        {
            return null;
        }

        SyntaxNode value = lambda;
        while (value.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            value = parenthesized;
        }

        return value.Parent is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "PartitionBy" } name, Parent: InitializerExpressionSyntax { RawKind: (int)SyntaxKind.ObjectInitializerExpression } initializer } assignment
            && assignment.Right == value
            && !initializer.Expressions.Any(e => e is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: NewName } })
            ? name
            : null;
    }
}
