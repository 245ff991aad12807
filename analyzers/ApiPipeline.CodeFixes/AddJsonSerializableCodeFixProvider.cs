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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace ApiPipeline.CodeFixes;

/// <summary>
/// Adds <c>[JsonSerializable(typeof(TOut))]</c> to the JSON context of an <c>[Extractor]</c> or a hand-written
/// <c>[RegisteredExtractor]</c> (APP1201), next to its other registrations.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddJsonSerializableCodeFixProvider)), Shared]
internal sealed class AddJsonSerializableCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [JsonContextAnalyzer.RecordTypeNotRegisteredId];

    // The edit lands in the context's file, which may not be the diagnostic's; several extractors may need the same line: no Fix All.

    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => null;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            // As the analyzer: a passthrough extractor (RawRecord<TFields>) needs TFields registered, a hand-written one its TOut.
            (INamedTypeSymbol? json, ITypeSymbol? record, KnownTypes? known) = await ExtractorLookup.FindAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false) is { } extractor
                ? (extractor.JsonContext, WatermarkKeyAnalyzer.RecordFields(extractor.OutputType), extractor.Known)
                : await ExtractorLookup.FindRegisteredAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false) is { } handWritten
                    ? (handWritten.JsonContext, handWritten.OutputType, handWritten.Known)
                    : default;
            if (json is null || record is null || known?.JsonSerializableAttribute is not { } attributeType
                || JsonContextAnalyzer.Registers(json, record, known)
                || ExtractorLookup.Declaration(context.Document.Project.Solution, json, context.CancellationToken) is not { } target)
            {
                continue;
            }

            string recordName = record.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Add [JsonSerializable(typeof({recordName}))] to '{json.Name}'",
                    ct => AddAsync(target.Document, target.Declaration, record, attributeType, ct),
                    nameof(AddJsonSerializableCodeFixProvider)),
                diagnostic);
        }
    }

    private static async Task<Solution> AddAsync(Document document, TypeDeclarationSyntax declaration, ITypeSymbol record, INamedTypeSymbol attributeType, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var generator = editor.Generator;
        var name = SyntaxFactory.ParseName("global::System.Text.Json.Serialization.JsonSerializable").WithAdditionalAnnotations(Simplifier.Annotation);
        var attribute = SyntaxFactory.Attribute(
            name,
            SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(
                SyntaxFactory.AttributeArgument(SyntaxFactory.TypeOfExpression((TypeSyntax)generator.TypeExpression(record))))));
        var list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute));

        var registrations = declaration.AttributeLists
            .Where(l => l.Attributes.Any(a => editor.SemanticModel.GetSymbolInfo(a, cancellationToken).Symbol?.ContainingType is { } t && SymbolEqualityComparer.Default.Equals(t, attributeType)))
            .ToList();
        var anchor = registrations.LastOrDefault() ?? declaration.AttributeLists.FirstOrDefault();
        if (anchor is null)
        {
            editor.ReplaceNode(declaration, (node, g) => g.AddAttributes(node, attribute).WithAdditionalAnnotations(Formatter.Annotation));
        }
        else
        {
            var leading = anchor.GetLeadingTrivia();
            var indentation = TriviaHelpers.Indentation(anchor);
            var line = list.WithLeadingTrivia(indentation).WithTrailingTrivia(TriviaHelpers.EndOfLine(anchor));
            if (registrations.Count > 0)
            {
                editor.InsertAfter(anchor, line);
            }
            else
            {
                editor.InsertBefore(anchor, line.WithLeadingTrivia(leading));
                editor.ReplaceNode(anchor, (node, _) => node.WithLeadingTrivia(indentation));
            }
        }

        return editor.GetChangedDocument().Project.Solution;
    }
}
