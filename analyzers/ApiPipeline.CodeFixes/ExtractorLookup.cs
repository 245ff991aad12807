using System.Threading;
using System.Threading.Tasks;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.CodeFixes;

/// <summary>Finds the extractor a diagnostic is about (its location is on the class or inside its attributes), as the analyzers see it.</summary>
internal static class ExtractorLookup
{
    /// <summary>The <c>[Extractor]</c> class the diagnostic is in, or <see langword="null"/>.</summary>
    public static async Task<ExtractorContext?> FindAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
        => await ClassAsync(document, diagnostic, cancellationToken).ConfigureAwait(false) is { } found
            ? ExtractorContext.TryCreate(found.Type, found.Known, found.Compilation, static _ => { }, cancellationToken)
            : null;

    /// <summary>The hand-written <c>[RegisteredExtractor]</c> class the diagnostic is in, or <see langword="null"/>.</summary>
    public static async Task<RegisteredExtractorContext?> FindRegisteredAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
        => await ClassAsync(document, diagnostic, cancellationToken).ConfigureAwait(false) is { } found
            ? RegisteredExtractorContext.TryCreate(found.Type, found.Known, found.Compilation, static _ => { }, cancellationToken)
            : null;

    private static async Task<(INamedTypeSymbol Type, KnownTypes Known, Compilation Compilation)?> ClassAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
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

        return KnownTypes.TryCreate(model.Compilation) is { } known ? (type, known, model.Compilation) : null;
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
