using System.Collections.Immutable;
using System.Composition;
using System.Linq;
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
/// Marks the record's <c>Id</c> member as its key (APP1601): <c>[Key]</c> on a property or field, <c>[property: Key]</c> on a
/// positional record parameter. The record may live in another document.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddKeyAttributeCodeFixProvider)), Shared]
internal sealed class AddKeyAttributeCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [WatermarkKeyAnalyzer.LagWithoutKeyId];

    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => null;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(WatermarkKeyAnalyzer.IdMemberProperty, out var memberName) || string.IsNullOrEmpty(memberName))
            {
                continue;
            }

            var target = await TargetAsync(context.Document, diagnostic, memberName!, context.CancellationToken).ConfigureAwait(false);
            if (target is null)
            {
                continue;
            }

            var solution = context.Document.Project.Solution;
            context.RegisterCodeFix(
                CodeAction.Create($"Mark '{memberName}' as the record's key: add [Key]", ct => ApplyAsync(solution, target.Value.Document, target.Value.Node, ct), nameof(AddKeyAttributeCodeFixProvider)),
                diagnostic);
        }
    }

    private static async Task<(Document Document, SyntaxNode Node)?> TargetAsync(Document document, Diagnostic diagnostic, string memberName, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || !DiagnosticSpans.IsIn(root, diagnostic))
        {
            return null;
        }

        var declaration = root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<BaseTypeDeclarationSyntax>();
        if (declaration is null || model.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol extractor)
        {
            return null;
        }

        var extractorInterface = extractor.AllInterfaces.FirstOrDefault(i => i.OriginalDefinition.ToDisplayString() == "ApiPipeline.IExtractor<TIn, TOut>");
        if (extractorInterface is null || extractorInterface.TypeArguments.Length != 2)
        {
            return null;
        }

        var member = WatermarkKeyAnalyzer.RecordFields(extractorInterface.TypeArguments[1])?.GetMembers(memberName).FirstOrDefault(m => m is IPropertySymbol or IFieldSymbol);
        foreach (var reference in member?.DeclaringSyntaxReferences ?? [])
        {
            var node = await reference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false);
            var target = node switch
            {
                ParameterSyntax { Parent.Parent: RecordDeclarationSyntax } parameter => parameter,
                PropertyDeclarationSyntax property => property,
                VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax field } when field.Declaration.Variables.Count == 1 => (SyntaxNode)field,
                _ => null,
            };
            if (target is not null && document.Project.Solution.GetDocument(target.SyntaxTree) is { } targetDocument)
            {
                return (targetDocument, target);
            }
        }

        return null;
    }

    private static async Task<Solution> ApplyAsync(Solution solution, Document document, SyntaxNode target, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return solution;
        }

        var editor = new SyntaxEditor(root, solution.Services);
        var name = SyntaxFactory.ParseName("global::ApiPipeline.Key").WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
        var attribute = SyntaxFactory.Attribute(name);
        if (target is ParameterSyntax parameter)
        {
            var list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute))
                .WithTarget(SyntaxFactory.AttributeTargetSpecifier(SyntaxFactory.Token(SyntaxKind.PropertyKeyword)))
                .WithTrailingTrivia(SyntaxFactory.Space);
            editor.ReplaceNode(parameter, (node, _) =>
            {
                var p = (ParameterSyntax)node;
                var leading = p.GetLeadingTrivia();
                return p.WithoutLeadingTrivia().WithAttributeLists(p.AttributeLists.Insert(0, list)).WithLeadingTrivia(leading);
            });
        }
        else
        {
            editor.AddAttribute(target, attribute);
        }

        return solution.WithDocumentSyntaxRoot(document.Id, editor.GetChangedRoot());
    }
}
