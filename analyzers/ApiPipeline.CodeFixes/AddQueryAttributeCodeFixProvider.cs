using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace ApiPipeline.CodeFixes;

/// <summary>Sends an unused input member as a query parameter (APP1301): <c>[Query]</c> on a property or field, <c>[property: Query]</c> on a record parameter.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddQueryAttributeCodeFixProvider)), Shared]
internal sealed class AddQueryAttributeCodeFixProvider : DocumentCodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [UnusedInputMemberAnalyzer.UnusedInputMemberId];

    /// <inheritdoc/>
    protected override string? Title(SyntaxNode root, Diagnostic diagnostic)
        => Target(root, diagnostic) is not null && diagnostic.Properties.TryGetValue(UnusedInputMemberAnalyzer.MemberProperty, out var member)
            ? $"Send '{member}' as a query parameter: add [Query]"
            : null;

    /// <inheritdoc/>
    protected override string EquivalenceKey(Diagnostic diagnostic) => nameof(AddQueryAttributeCodeFixProvider);

    /// <inheritdoc/>
    protected override void Fix(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var target = Target(root, diagnostic);
        var name = SyntaxFactory.ParseName("global::ApiPipeline.Query").WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
        var attribute = SyntaxFactory.Attribute(name);
        switch (target)
        {
            case ParameterSyntax parameter:
                var list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute))
                    .WithTarget(SyntaxFactory.AttributeTargetSpecifier(SyntaxFactory.Token(SyntaxKind.PropertyKeyword)))
                    .WithTrailingTrivia(SyntaxFactory.Space);
                editor.ReplaceNode(parameter, (node, _) =>
                {
                    var p = (ParameterSyntax)node;
                    var leading = p.GetLeadingTrivia();
                    return p.WithoutLeadingTrivia().WithAttributeLists(p.AttributeLists.Insert(0, list)).WithLeadingTrivia(leading);
                });
                break;
            case MemberDeclarationSyntax member:
                editor.AddAttribute(member, attribute);
                break;
        }
    }

    private static SyntaxNode? Target(SyntaxNode root, Diagnostic diagnostic)
    {
        if (!DiagnosticSpans.IsIn(root, diagnostic))
        {
            return null;
        }

        return root.FindToken(diagnostic.Location.SourceSpan.Start).Parent switch
        {
            ParameterSyntax { Parent.Parent: RecordDeclarationSyntax } parameter => parameter,
            PropertyDeclarationSyntax property => property,
            VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax field } declarator when field.Declaration.Variables.Count == 1 => field,
            _ => null,
        };
    }
}
