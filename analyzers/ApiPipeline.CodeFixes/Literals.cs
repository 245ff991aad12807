using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.CodeFixes;

/// <summary>Finds and rewrites the string literal a diagnostic points at.</summary>
internal static class Literals
{
    /// <summary>The string literal at the diagnostic's location (the location may be the literal or the attribute argument holding it).</summary>
    public static LiteralExpressionSyntax? At(SyntaxNode root, Diagnostic diagnostic)
    {
        if (!DiagnosticSpans.IsIn(root, diagnostic))
        {
            return null;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (node is AttributeArgumentSyntax argument)
        {
            node = argument.Expression;
        }

        return node as LiteralExpressionSyntax is { } literal && literal.IsKind(SyntaxKind.StringLiteralExpression) ? literal : null;
    }

    /// <summary>A regular string literal with <paramref name="value"/>, keeping the trivia of <paramref name="original"/>.</summary>
    public static LiteralExpressionSyntax With(LiteralExpressionSyntax original, string value)
        => SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(value)).WithTriviaFrom(original);
}

/// <summary>Where a diagnostic is in the document being fixed.</summary>
internal static class DiagnosticSpans
{
    /// <summary>
    /// Whether the diagnostic's span lies in <paramref name="root"/>'s document. The generator reports with file-path locations
    /// (no syntax tree, so its diagnostics root no compilation); those are taken to be in the document the fix was asked for.
    /// </summary>
    public static bool IsIn(SyntaxNode root, Diagnostic diagnostic)
    {
        var location = diagnostic.Location;
        if (location.Kind is not (LocationKind.SourceFile or LocationKind.ExternalFile))
        {
            return false;
        }

        if (location.SourceTree is { } tree && tree != root.SyntaxTree)
        {
            return false;
        }

        return root.FullSpan.Contains(location.SourceSpan);
    }
}
