using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace ApiPipeline.CodeFixes;

/// <summary>
/// Adds <c>[RateLimited(RequestsPerSecond = 10)]</c> to the extractor a parallel chain step calls (APP1701); the extractor may
/// live in another document. The rate is a placeholder to adjust to what the API allows.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddRateLimitedCodeFixProvider)), Shared]
internal sealed class AddRateLimitedCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [ParallelStepRateLimitAnalyzer.ParallelWithoutRateLimitId];

    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => null;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!DiagnosticSpans.IsIn(root, diagnostic)
                || root.FindToken(diagnostic.Location.SourceSpan.Start).Parent is not PropertyDeclarationSyntax property
                || model.GetDeclaredSymbol(property, context.CancellationToken) is not { Type: INamedTypeSymbol extractor })
            {
                continue;
            }

            foreach (var reference in extractor.DeclaringSyntaxReferences)
            {
                if (await reference.GetSyntaxAsync(context.CancellationToken).ConfigureAwait(false) is ClassDeclarationSyntax declaration
                    && declaration.AttributeLists.Count > 0
                    && context.Document.Project.Solution.GetDocument(declaration.SyntaxTree) is { } document)
                {
                    var solution = context.Document.Project.Solution;
                    context.RegisterCodeFix(
                        CodeAction.Create($"Add [RateLimited(RequestsPerSecond = 10)] to '{extractor.Name}'", ct => ApplyAsync(solution, document, declaration, ct), nameof(AddRateLimitedCodeFixProvider)),
                        diagnostic);
                    break;
                }
            }
        }
    }

    private static async Task<Solution> ApplyAsync(Solution solution, Document document, ClassDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return solution;
        }

        var editor = new SyntaxEditor(root, solution.Services);
        var name = SyntaxFactory.ParseName("global::ApiPipeline.RateLimited").WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
        var attribute = SyntaxFactory.Attribute(
            name,
            SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(
                SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(10)))
                    .WithNameEquals(SyntaxFactory.NameEquals("RequestsPerSecond")))));
        editor.AddAttribute(declaration, attribute);
        return solution.WithDocumentSyntaxRoot(document.Id, editor.GetChangedRoot());
    }
}
