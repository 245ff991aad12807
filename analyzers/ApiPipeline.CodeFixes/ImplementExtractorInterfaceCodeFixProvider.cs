using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ApiPipeline.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace ApiPipeline.CodeFixes;

/// <summary>
/// Adds <c>IExtractor&lt;TIn, TOut&gt;</c> to an extractor that implements none (APP0002), when both types follow from the
/// attribute: the path has no placeholders (so <c>TIn</c> is <c>NoInput</c>) and the JSON context registers exactly one type
/// (<c>TOut</c>). Otherwise the types are a choice only the user can make, and no fix is offered.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ImplementExtractorInterfaceCodeFixProvider)), Shared]
internal sealed class ImplementExtractorInterfaceCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [GeneratorDiagnosticIds.NoExtractorInterface];

    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            var extractor = await ExtractorLookup.FindAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false);
            if (extractor is null || Infer(extractor) is not { } constructed)
            {
                continue;
            }

            string display = constructed.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            var document = context.Document;
            var span = diagnostic.Location.SourceSpan;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Implement {display}",
                    async ct =>
                    {
                        var editor = await DocumentEditor.CreateAsync(document, ct).ConfigureAwait(false);
                        var declaration = editor.OriginalRoot.FindNode(span, getInnermostNodeForTie: true).FirstAncestorOrSelf<ClassDeclarationSyntax>();
                        if (declaration is not null)
                        {
                            editor.ReplaceNode(declaration, (node, g) => g.AddInterfaceType(node, g.TypeExpression(constructed)));
                        }

                        return editor.GetChangedDocument();
                    },
                    nameof(ImplementExtractorInterfaceCodeFixProvider)),
                diagnostic);
        }
    }

    private static INamedTypeSymbol? Infer(ExtractorContext extractor)
    {
        var known = extractor.Known;
        if (known.ExtractorInterface is null || known.NoInput is null || known.JsonSerializableAttribute is null
            || extractor.Type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, known.ExtractorInterface))
            || extractor.Path is not { } path || path.IndexOf('{') >= 0
            || extractor.JsonContext is not { } json)
        {
            return null;
        }

        var registered = new List<ITypeSymbol>();
        foreach (var attribute in json.GetAttributes())
        {
            // A collection (List<Item>, Item[]) is how records arrive, not what one record is: its element is the record type.
            // A dictionary is neither a record nor a page of them.
            if (KnownTypes.Is(attribute, known.JsonSerializableAttribute) && attribute.ConstructorArguments.Length >= 1
                && attribute.ConstructorArguments[0].Value is ITypeSymbol registeredType && !IsDictionary(registeredType)
                && Element(registeredType) is { TypeKind: not TypeKind.Error } type
                && !registered.Contains(type, SymbolEqualityComparer.Default))
            {
                registered.Add(type);
            }
        }

        return registered.Count == 1 ? known.ExtractorInterface.Construct(known.NoInput, registered[0]) : null;
    }

    private static bool IsDictionary(ITypeSymbol type)
        => (type is INamedTypeSymbol named ? type.AllInterfaces.Prepend(named) : type.AllInterfaces)
            .Any(i => i is { IsGenericType: true, Arity: 2 } && i.OriginalDefinition.ToDisplayString() is "System.Collections.Generic.IDictionary<TKey, TValue>" or "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>");

    /// <summary>The element type of an array or of the one <c>IEnumerable&lt;T&gt;</c> a type implements (not of <see cref="string"/>); else the type itself.</summary>
    private static ITypeSymbol Element(ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol array)
        {
            return array.ElementType;
        }

        if (type.SpecialType == SpecialType.System_String)
        {
            return type;
        }

        var candidates = type is INamedTypeSymbol named ? type.AllInterfaces.Prepend(named) : type.AllInterfaces;
        var sequences = candidates
            .Where(i => i is { IsGenericType: true } && i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)
            .ToList();
        return sequences.Count == 1 ? sequences[0].TypeArguments[0] : type;
    }
}
