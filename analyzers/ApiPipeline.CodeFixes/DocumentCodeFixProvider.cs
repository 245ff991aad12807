using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;

namespace ApiPipeline.CodeFixes;

/// <summary>
/// Base of a fix that edits only the document of its diagnostic: one <see cref="SyntaxEditor"/> applies one or many diagnostics,
/// so Fix All (document, project, solution) applies every fix in one pass instead of merging text changes.
/// </summary>
internal abstract class DocumentCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider()
        => FixAllProvider.Create(async (context, document, diagnostics) =>
        {
            var ordered = diagnostics.Where(d => context.CodeActionEquivalenceKey is null || EquivalenceKey(d) == context.CodeActionEquivalenceKey).ToImmutableArray();
            return ordered.IsEmpty ? document : await ApplyAsync(document, ordered, context.CancellationToken).ConfigureAwait(false);
        });

    /// <inheritdoc/>
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            string? title = Title(root, diagnostic);
            if (title is null)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => ApplyAsync(document, [diagnostic], ct), EquivalenceKey(diagnostic)),
                diagnostic);
        }
    }

    /// <summary>The fix's title for <paramref name="diagnostic"/>, or <see langword="null"/> when it cannot be fixed.</summary>
    protected abstract string? Title(SyntaxNode root, Diagnostic diagnostic);

    /// <summary>The fix's equivalence key (Fix All applies diagnostics with the same key). Default: the diagnostic ID.</summary>
    protected virtual string EquivalenceKey(Diagnostic diagnostic) => GetType().Name + "." + diagnostic.Id;

    /// <summary>Applies the fix of one diagnostic to <paramref name="editor"/>; does nothing when it cannot.</summary>
    protected abstract void Fix(SyntaxEditor editor, SyntaxNode root, Diagnostic diagnostic, CancellationToken cancellationToken);

    private async Task<Document> ApplyAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var editor = new SyntaxEditor(root, document.Project.Solution.Services);
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (Title(root, diagnostic) is not null)
            {
                Fix(editor, root, diagnostic, cancellationToken);
            }
        }

        return document.WithSyntaxRoot(editor.GetChangedRoot());
    }
}
