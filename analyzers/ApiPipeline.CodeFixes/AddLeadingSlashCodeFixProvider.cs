using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;

namespace ApiPipeline.CodeFixes;

/// <summary>Starts a path template with <c>/</c> (APP1003).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddLeadingSlashCodeFixProvider)), Shared]
internal sealed class AddLeadingSlashCodeFixProvider : DocumentCodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [EndpointAnalyzer.PathWithoutLeadingSlashId];

    /// <inheritdoc/>
    protected override string? Title(SyntaxNode root, Diagnostic diagnostic)
        => Literals.At(root, diagnostic) is not null ? "Start the path with '/'" : null;

    /// <inheritdoc/>
    protected override string EquivalenceKey(Diagnostic diagnostic) => nameof(AddLeadingSlashCodeFixProvider);

    /// <inheritdoc/>
    protected override void Fix(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (Literals.At(root, diagnostic) is { } literal && literal.Token.ValueText is { } path && !path.StartsWith("/", System.StringComparison.Ordinal))
        {
            editor.ReplaceNode(literal, Literals.With(literal, "/" + path.TrimStart()));
        }
    }
}
