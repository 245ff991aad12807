using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Every <c>[Extractor]</c> class declared in a compilation, found once per compilation on first use and shared by all analyzers.
/// Checks that compare extractors (duplicate names, input members no extractor uses, and later chains between extractors)
/// read it from an ordinary symbol action, so their diagnostics stay local to the symbol and show live in the editor.
/// </summary>
internal sealed class ExtractorIndex
{
    private static readonly ConditionalWeakTable<Compilation, ExtractorIndex> Cache = new();

    private ExtractorIndex(Compilation compilation, KnownTypes known, CancellationToken cancellationToken)
    {
        var all = new List<ExtractorContext>();
        var stack = new Stack<INamespaceOrTypeSymbol>();
        stack.Push(compilation.Assembly.GlobalNamespace);
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = stack.Pop();
            foreach (var member in current.GetMembers())
            {
                if (member is INamespaceSymbol ns)
                {
                    stack.Push(ns);
                }
                else if (member is INamedTypeSymbol type)
                {
                    stack.Push(type);
                    var extractor = ExtractorContext.TryCreate(type, known, compilation, static _ => { }, cancellationToken);
                    if (extractor is not null)
                    {
                        all.Add(extractor);
                    }
                }
            }
        }

        Extractors = all;
        foreach (var extractor in all)
        {
            if (!ByName.TryGetValue(extractor.Name, out var named))
            {
                ByName[extractor.Name] = named = [];
            }

            named.Add(extractor);
            if (extractor.InputType is { } type)
            {
                // Under the declared type: a generic input record is analysed as Search<T>, and an extractor names Search<string>.
                var input = type is INamedTypeSymbol generic ? generic.OriginalDefinition : type;
                if (!ByInput.TryGetValue(input, out var inputs))
                {
                    ByInput[input] = inputs = [];
                }

                inputs.Add(extractor);
            }
        }
    }

    /// <summary>All extractors of the compilation.</summary>
    public IReadOnlyList<ExtractorContext> Extractors { get; }

    /// <summary>Extractors by <see cref="ExtractorContext.Name"/>.</summary>
    public Dictionary<string, List<ExtractorContext>> ByName { get; } = new(StringComparer.Ordinal);

    /// <summary>Extractors by input type, a generic one by its definition (<c>Search&lt;T&gt;</c> for <c>Search&lt;string&gt;</c>).</summary>
    public Dictionary<ITypeSymbol, List<ExtractorContext>> ByInput { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>The index of <paramref name="compilation"/>, built on first use.</summary>
    public static ExtractorIndex For(Compilation compilation, KnownTypes known, CancellationToken cancellationToken)
        => Cache.GetValue(compilation, c => new ExtractorIndex(c, known, cancellationToken));
}
