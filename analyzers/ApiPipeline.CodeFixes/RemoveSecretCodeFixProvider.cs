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

/// <summary>
/// Removes a secret from an extractor URL literal (APP1401) and leaves a comment above the attribute saying where it belongs:
/// configuration, sent through an input member with <c>[Query]</c> or a header in <c>ExtractorOptions.Headers</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveSecretCodeFixProvider)), Shared]
internal sealed class RemoveSecretCodeFixProvider : DocumentCodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [SecretLiteralAnalyzer.SecretInUrlId];

    /// <inheritdoc/>
    protected override string? Title(SyntaxNode root, Diagnostic diagnostic)
        => Literals.At(root, diagnostic) is { } literal && Rewrite(literal, diagnostic).Text != literal.Token.ValueText
            ? "Remove the secret from the URL and read it from configuration"
            : null;

    /// <inheritdoc/>
    protected override string EquivalenceKey(Diagnostic diagnostic) => nameof(RemoveSecretCodeFixProvider);

    /// <inheritdoc/>
    protected override void Fix(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (Literals.At(root, diagnostic) is not { } literal)
        {
            return;
        }

        var (text, removed) = Rewrite(literal, diagnostic);
        editor.ReplaceNode(literal, Literals.With(literal, text));

        if (literal.FirstAncestorOrSelf<AttributeListSyntax>() is { } list)
        {
            string what = removed.Length == 0 ? "credentials" : string.Join(", ", removed);
            string example = removed.FirstOrDefault(r => r != "user info") ?? "api_key";
            var indentation = TriviaHelpers.Indentation(list);
            var endOfLine = TriviaHelpers.EndOfLine(list);
            var comment = SyntaxFactory.Comment(
                $"// Secret removed from the URL ({what}): read it from configuration at run time and send it through an input member with [Query(\"{example}\")] or ExtractorOptions.Headers.");

            // Computed from the current node, so several fixes on one attribute (Fix All) each keep their comment.
            editor.ReplaceNode(list, (node, _) => node.WithLeadingTrivia(node.GetLeadingTrivia().Add(comment).Add(endOfLine).AddRange(indentation)));
        }
    }

    private static (string Text, string[] Removed) Rewrite(LiteralExpressionSyntax literal, Diagnostic diagnostic)
    {
        string url = literal.Token.ValueText;
        bool isBaseUrl = diagnostic.Properties.TryGetValue(SecretLiteralAnalyzer.ArgumentProperty, out var argument) && argument == "baseUrl";
        var secrets = UrlText.SecretParameters(url);
        bool userInfo = isBaseUrl && UrlText.HasUserInfo(url);
        var removed = secrets.Select(s => s.Name).ToList();
        if (userInfo)
        {
            removed.Insert(0, "user info");
        }

        return (UrlText.Remove(url, secrets, userInfo), removed.ToArray());
    }
}
