using System.Threading;
using System.Threading.Tasks;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.CodeFixes;

/// <summary>Finds the extractor a diagnostic is about (its location is on the class or inside its <c>[Extractor]</c>), as the analyzers see it.</summary>
internal static class ExtractorLookup
{
    public static async Task<ExtractorContext?> FindAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || !DiagnosticSpans.IsIn(root, diagnostic))
        {
            return null;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var declaration = node.FirstAncestorOrSelf<ClassDeclarationSyntax>();
        if (declaration is null || model.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol type)
        {
            return null;
        }

        var known = KnownTypes.TryCreate(model.Compilation);
        return known is null ? null : ExtractorContext.TryCreate(type, known, model.Compilation, static _ => { }, cancellationToken);
    }

    /// <summary>The first source declaration of <paramref name="type"/> in <paramref name="solution"/>, with its document.</summary>
    public static (Document Document, TypeDeclarationSyntax Declaration)? Declaration(Solution solution, ITypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && solution.GetDocument(reference.SyntaxTree) is { } document)
            {
                return (document, declaration);
            }
        }

        return null;
    }
}
