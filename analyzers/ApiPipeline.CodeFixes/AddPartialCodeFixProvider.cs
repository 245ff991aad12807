using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace ApiPipeline.CodeFixes;

/// <summary>Adds <c>partial</c> to an extractor (APP0001) or to the types it is nested in (APP0005, when none of them is generic).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddPartialCodeFixProvider)), Shared]
internal sealed class AddPartialCodeFixProvider : DocumentCodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [GeneratorDiagnosticIds.NotPartial, GeneratorDiagnosticIds.UnsupportedShape];

    /// <inheritdoc/>
    protected override string? Title(SyntaxNode root, Diagnostic diagnostic)
    {
        var targets = Targets(root, diagnostic);
        if (targets.Count == 0)
        {
            return null;
        }

        return diagnostic.Id == GeneratorDiagnosticIds.NotPartial
            ? $"Make '{targets[0].Identifier.ValueText}' partial"
            : "Make " + string.Join(", ", targets.Select(t => "'" + t.Identifier.ValueText + "'")) + " partial";
    }

    /// <inheritdoc/>
    protected override void Fix(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        foreach (var target in Targets(root, diagnostic))
        {
            editor.ReplaceNode(target, (node, generator) => generator.WithModifiers(node, generator.GetModifiers(node).WithPartial(true)));
        }
    }

    private static List<TypeDeclarationSyntax> Targets(SyntaxNode root, Diagnostic diagnostic)
    {
        var result = new List<TypeDeclarationSyntax>();
        if (!DiagnosticSpans.IsIn(root, diagnostic)
            || root.FindToken(diagnostic.Location.SourceSpan.Start).Parent is not TypeDeclarationSyntax declaration)
        {
            return result;
        }

        if (diagnostic.Id == GeneratorDiagnosticIds.NotPartial)
        {
            if (!IsPartial(declaration))
            {
                result.Add(declaration);
            }

            return result;
        }

        // APP0005: fixable only when the extractor and every containing type are non-generic; then each non-partial container gets 'partial'.
        if (declaration.TypeParameterList is not null || !IsPartial(declaration))
        {
            return result;
        }

        foreach (var outer in declaration.Ancestors().OfType<TypeDeclarationSyntax>())
        {
            if (outer.TypeParameterList is not null)
            {
                result.Clear();
                return result;
            }

            if (!IsPartial(outer))
            {
                result.Add(outer);
            }
        }

        return result;
    }

    private static bool IsPartial(TypeDeclarationSyntax declaration) => declaration.Modifiers.Any(SyntaxKind.PartialKeyword);
}
