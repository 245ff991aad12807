using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace ApiPipeline.CodeFixes;

/// <summary>
/// Two fixes for a placeholder that matches no input member (APP0003): change it to the closest member name when one is an
/// unambiguous typo away ("did you mean"), and add the member to the input type (a <c>string</c> parameter of a positional
/// record, otherwise a <c>required string</c> property).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UnboundPlaceholderCodeFixProvider)), Shared]
internal sealed class UnboundPlaceholderCodeFixProvider : CodeFixProvider
{
    private static readonly Regex PlaceholderInMessage = new(@"'\{([A-Za-z0-9_\-]+)\}'", RegexOptions.CultureInvariant);

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [GeneratorDiagnosticIds.UnboundPlaceholder];

    // Each fix depends on its placeholder and several may touch one declaration: no Fix All.

    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => null;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            var extractor = await ExtractorLookup.FindAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false);
            if (root is null || extractor?.InputType is not { } input || extractor.Path is not { } path || !InputMembers.IsUserInput(input, extractor.Known))
            {
                continue;
            }

            var members = InputMembers.Of(input, extractor.Known);
            var bound = new HashSet<string>(members.Select(m => NameRules.Normalize(m.Name)));
            var unbound = UrlText.Placeholders(path).Where(p => !bound.Contains(NameRules.Normalize(p.Name))).Select(p => p.Name).Distinct().ToList();
            var match = PlaceholderInMessage.Match(diagnostic.GetMessage(CultureInfo.InvariantCulture));
            string? placeholder = match.Success && unbound.Contains(match.Groups[1].Value) ? match.Groups[1].Value : unbound.Count == 1 ? unbound[0] : null;
            if (placeholder is null)
            {
                continue;
            }

            var literal = Literals.At(root, diagnostic);
            string? closest = Names.Closest(placeholder, members.Select(m => m.Name));
            if (literal is not null && closest is not null)
            {
                string replacement = IsLowerStyle(placeholder) ? NameRules.SnakeCase(closest) : closest;
                var document = context.Document;
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Change '{{{placeholder}}}' to '{{{replacement}}}' (did you mean '{closest}'?)",
                        async ct =>
                        {
                            var current = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
                            var text = literal.Token.ValueText.Replace("{" + placeholder + "}", "{" + replacement + "}");
                            return current is null ? document : document.WithSyntaxRoot(current.ReplaceNode(literal, Literals.With(literal, text)));
                        },
                        nameof(UnboundPlaceholderCodeFixProvider) + ".Rename." + placeholder),
                    diagnostic);
            }

            if (ExtractorLookup.Declaration(context.Document.Project.Solution, input, context.CancellationToken) is { } target)
            {
                string member = NameRules.PascalCase(placeholder);
                if (!SyntaxFacts.IsValidIdentifier(member))
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Add '{member}' to '{input.Name}'",
                        ct => AddMemberAsync(target.Document, target.Declaration, member, ct),
                        nameof(UnboundPlaceholderCodeFixProvider) + ".Add." + placeholder),
                    diagnostic);
            }
        }
    }

    private static bool IsLowerStyle(string placeholder) => placeholder.All(c => !char.IsUpper(c));

    private static async Task<Solution> AddMemberAsync(Document document, TypeDeclarationSyntax declaration, string name, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var stringType = SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.StringKeyword));
        if (declaration is RecordDeclarationSyntax { ParameterList: { } parameters })
        {
            var parameter = SyntaxFactory.Parameter(SyntaxFactory.Identifier(name)).WithType(stringType);
            int index = parameters.Parameters.IndexOf(p => p.Default is not null || p.Modifiers.Any(SyntaxKind.ParamsKeyword));
            var list = index < 0 ? parameters.Parameters.Add(parameter) : parameters.Parameters.Insert(index, parameter);
            editor.ReplaceNode(parameters, parameters.WithParameters(list).WithAdditionalAnnotations(Formatter.Annotation));
            return editor.GetChangedDocument().Project.Solution;
        }

        bool required = declaration.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp11 };
        var property = SyntaxFactory.PropertyDeclaration(stringType, SyntaxFactory.Identifier(name))
            .AddModifiers(SyntaxFactory.Token(SyntaxKind.PublicKeyword))
            .AddAccessorListAccessors(
                SyntaxFactory.AccessorDeclaration(SyntaxKind.GetAccessorDeclaration).WithSemicolonToken(SyntaxFactory.Token(SyntaxKind.SemicolonToken)),
                SyntaxFactory.AccessorDeclaration(required ? SyntaxKind.InitAccessorDeclaration : SyntaxKind.SetAccessorDeclaration).WithSemicolonToken(SyntaxFactory.Token(SyntaxKind.SemicolonToken)));
        property = required
            ? property.AddModifiers(SyntaxFactory.Token(SyntaxKind.RequiredKeyword))
            : property.WithInitializer(SyntaxFactory.EqualsValueClause(SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(string.Empty))))
                .WithSemicolonToken(SyntaxFactory.Token(SyntaxKind.SemicolonToken));
        property = property.WithAdditionalAnnotations(Formatter.Annotation);

        editor.ReplaceNode(declaration, (node, _) =>
        {
            var type = (TypeDeclarationSyntax)node;
            if (type.OpenBraceToken.IsKind(SyntaxKind.None) || type.OpenBraceToken.IsMissing)
            {
                type = type.WithSemicolonToken(default)
                    .WithOpenBraceToken(SyntaxFactory.Token(SyntaxKind.OpenBraceToken))
                    .WithCloseBraceToken(SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithTrailingTrivia(type.SemicolonToken.TrailingTrivia));
            }

            var last = type.Members.LastOrDefault(m => m is PropertyDeclarationSyntax or FieldDeclarationSyntax);
            var members = last is null ? type.Members.Insert(0, property) : type.Members.Insert(type.Members.IndexOf(last) + 1, property);
            return type.WithMembers(members).WithAdditionalAnnotations(Formatter.Annotation);
        });
        return editor.GetChangedDocument().Project.Solution;
    }
}
