using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.CodeFixes;

/// <summary>Line ends and indentation that match the file being edited.</summary>
internal static class TriviaHelpers
{
    /// <summary>The file's first line end (so an inserted line ends like the others), or <c>\n</c>.</summary>
    public static SyntaxTrivia EndOfLine(SyntaxNode node)
    {
        var root = node.SyntaxTree.GetRoot();
        var found = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        return found.IsKind(SyntaxKind.EndOfLineTrivia) ? found : SyntaxFactory.LineFeed;
    }

    /// <summary>The whitespace that indents <paramref name="node"/>'s line, or none.</summary>
    public static SyntaxTriviaList Indentation(SyntaxNode node)
    {
        var leading = node.GetLeadingTrivia();
        return leading.Count > 0 && leading[leading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia)
            ? SyntaxFactory.TriviaList(leading[leading.Count - 1])
            : default;
    }
}
