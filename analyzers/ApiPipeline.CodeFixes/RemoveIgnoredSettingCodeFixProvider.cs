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

/// <summary>Removes a <c>[Paginated]</c> setting the style ignores (APP1102).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveIgnoredSettingCodeFixProvider)), Shared]
internal sealed class RemoveIgnoredSettingCodeFixProvider : DocumentCodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [PaginationAnalyzer.IgnoredSettingId];

    /// <inheritdoc/>
    protected override string? Title(SyntaxNode root, Diagnostic diagnostic)
        => Argument(root, diagnostic) is { } argument ? $"Remove '{argument.NameEquals!.Name.Identifier.ValueText}'" : null;

    /// <inheritdoc/>
    protected override string EquivalenceKey(Diagnostic diagnostic) => nameof(RemoveIgnoredSettingCodeFixProvider);

    /// <inheritdoc/>
    protected override void Fix(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (Argument(root, diagnostic) is { } argument)
        {
            // The last setting takes the comma before it along, with whatever the comma carries: a comment there (on the line of a
            // setting that stays) is kept. Otherwise nothing around it is, which would leave a blank line or a stray space.
            bool commentBefore = argument.Parent is AttributeArgumentListSyntax list && list.Arguments.Last() == argument && list.Arguments.SeparatorCount > 0
                && list.Arguments.GetSeparator(list.Arguments.SeparatorCount - 1).TrailingTrivia.Any(static t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia));
            editor.RemoveNode(argument, commentBefore ? SyntaxRemoveOptions.KeepExteriorTrivia : SyntaxGenerator.DefaultRemoveOptions);
        }
    }

    private static AttributeArgumentSyntax? Argument(SyntaxNode root, Diagnostic diagnostic)
    {
        if (!DiagnosticSpans.IsIn(root, diagnostic))
        {
            return null;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var argument = node as AttributeArgumentSyntax ?? node.Parent as AttributeArgumentSyntax;
        return argument?.NameEquals is not null ? argument : null;
    }
}
