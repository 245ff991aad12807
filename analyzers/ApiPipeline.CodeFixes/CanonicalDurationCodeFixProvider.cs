using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;

namespace ApiPipeline.CodeFixes;

/// <summary>
/// Rewrites a duration literal to its canonical form (APP1501 when the intent is unambiguous, such as <c>"5 minutes"</c> →
/// <c>"5m"</c>; APP1502, such as <c>"90s"</c> → <c>"1m30s"</c>). Fix All rewrites every one in one pass.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CanonicalDurationCodeFixProvider)), Shared]
internal sealed class CanonicalDurationCodeFixProvider : DocumentCodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DurationAnalyzer.InvalidDurationId, DurationAnalyzer.NonCanonicalDurationId];

    /// <inheritdoc/>
    protected override string? Title(SyntaxNode root, Diagnostic diagnostic)
        => Literals.At(root, diagnostic) is { } literal && Canonical(diagnostic) is { } canonical && literal.Token.ValueText != canonical
            ? $"Write the duration as \"{canonical}\""
            : null;

    /// <inheritdoc/>
    protected override string EquivalenceKey(Diagnostic diagnostic) => nameof(CanonicalDurationCodeFixProvider);

    /// <inheritdoc/>
    protected override void Fix(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (Literals.At(root, diagnostic) is { } literal && Canonical(diagnostic) is { } canonical)
        {
            editor.ReplaceNode(literal, Literals.With(literal, canonical));
        }
    }

    private static string? Canonical(Diagnostic diagnostic)
        => diagnostic.Properties.TryGetValue(DurationAnalyzer.CanonicalProperty, out var canonical) && !string.IsNullOrEmpty(canonical) ? canonical : null;
}
