using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Every <c>[Extractor]</c> class and every hand-written <c>[RegisteredExtractor]</c> class declared in a compilation, found once per
/// compilation on first use and shared by all analyzers. Checks that compare extractors (duplicate names, input members no extractor
/// uses, and later chains between extractors) read it from an ordinary symbol action, so their diagnostics stay local to the symbol
/// and show live in the editor.
/// </summary>
internal sealed class ExtractorIndex
{
    private static readonly ConditionalWeakTable<Compilation, ExtractorIndex> Cache = new();

    private ExtractorIndex(Compilation compilation, KnownTypes known, CancellationToken cancellationToken)
    {
        var all = new List<ExtractorContext>();
        var handWritten = new List<RegisteredExtractorContext>();
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
                    else if (RegisteredExtractorContext.TryCreate(type, known, compilation, static _ => { }, cancellationToken) is { } registered)
                    {
                        handWritten.Add(registered);
                    }
                }
            }
        }

        Extractors = all;
        foreach (var extractor in all)
        {
            AddName(extractor.Name, extractor.Type);
            if (extractor.InputType is { } type)
            {
                var input = Declared(type);
                if (!ByInput.TryGetValue(input, out var inputs))
                {
                    ByInput[input] = inputs = [];
                }

                inputs.Add(extractor);
            }
        }

        foreach (var extractor in handWritten)
        {
            if (extractor.Name is { } name)
            {
                AddName(name, extractor.Type);
            }

            if (extractor.InputType is { } type)
            {
                HandWrittenInputs.Add(Declared(type));
            }
        }
    }

    /// <summary>All <c>[Extractor]</c> classes of the compilation.</summary>
    public IReadOnlyList<ExtractorContext> Extractors { get; }

    /// <summary>
    /// The classes the registry lists under each name: an <c>[Extractor]</c> under its <see cref="ExtractorContext.Name"/>, a
    /// hand-written extractor under its <c>[RegisteredExtractor]</c> name.
    /// </summary>
    public Dictionary<string, List<INamedTypeSymbol>> ByName { get; } = new(StringComparer.Ordinal);

    /// <summary><c>[Extractor]</c> classes by input type, a generic one by its definition (<c>Search&lt;T&gt;</c> for <c>Search&lt;string&gt;</c>).</summary>
    public Dictionary<ITypeSymbol, List<ExtractorContext>> ByInput { get; } = new(SymbolEqualityComparer.Default);

    /// <summary>The input types hand-written extractors take (a generic one by its definition): their code may read any member.</summary>
    public HashSet<ITypeSymbol> HandWrittenInputs { get; } = new(SymbolEqualityComparer.Default);

    // Under the declared type: a generic input record is analysed as Search<T>, and an extractor names Search<string>.
    private static ITypeSymbol Declared(ITypeSymbol type) => type is INamedTypeSymbol generic ? generic.OriginalDefinition : type;

    private void AddName(string name, INamedTypeSymbol type)
    {
        if (!ByName.TryGetValue(name, out var named))
        {
            ByName[name] = named = [];
        }

        named.Add(type);
    }

    /// <summary>The index of <paramref name="compilation"/>, built on first use.</summary>
    public static ExtractorIndex For(Compilation compilation, KnownTypes known, CancellationToken cancellationToken)
        => Cache.GetValue(compilation, c => new ExtractorIndex(c, known, cancellationToken));
}
