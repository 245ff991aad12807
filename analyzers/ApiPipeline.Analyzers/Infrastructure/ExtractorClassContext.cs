using System;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Analyzers;

/// <summary>
/// What every extractor class the registry lists has for the analyzers, generated (<see cref="ExtractorContext"/>) or hand-written
/// (<see cref="RegisteredExtractorContext"/>): the class, its marking attribute's syntax, its <c>Json</c> context and its
/// <c>IExtractor&lt;TIn, TOut&gt;</c> types. Every part may be missing in broken code; checks test for <see langword="null"/>.
/// </summary>
internal abstract class ExtractorClassContext
{
    private readonly Action<Diagnostic> _report;

    private protected ExtractorClassContext(INamedTypeSymbol type, KnownTypes known, Compilation compilation, AttributeData attribute, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        Type = type;
        Known = known;
        Compilation = compilation;
        _report = report;
        CancellationToken = cancellationToken;
        Syntax = AttributeSyntaxes.Syntax(attribute, cancellationToken);
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == "Json" && argument.Value.Kind == TypedConstantKind.Type)
            {
                JsonContext = argument.Value.Value as INamedTypeSymbol;
            }
        }

        (InputType, OutputType) = ExtractorContext.ExtractorTypes(type, known);
    }

    /// <summary>The extractor class.</summary>
    public INamedTypeSymbol Type { get; }

    /// <summary>The well-known types of this compilation.</summary>
    public KnownTypes Known { get; }

    /// <summary>The compilation.</summary>
    public Compilation Compilation { get; }

    /// <summary>Cancels the analysis.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The marking attribute's syntax, when written in source.</summary>
    public AttributeSyntax? Syntax { get; }

    /// <summary>The <c>Json</c> context type, when set.</summary>
    public INamedTypeSymbol? JsonContext { get; }

    /// <summary><c>TIn</c>, when the class implements <c>IExtractor&lt;TIn, TOut&gt;</c> exactly once with valid types.</summary>
    public ITypeSymbol? InputType { get; }

    /// <summary><c>TOut</c>, under the same condition as <see cref="InputType"/>.</summary>
    public ITypeSymbol? OutputType { get; }

    /// <summary>Reports <paramref name="descriptor"/> at <paramref name="location"/> when it is in source, else at <see cref="Fallback"/>.</summary>
    public void Report(DiagnosticDescriptor descriptor, Location? location, params object?[] arguments)
        => Report(descriptor, location, null, arguments);

    /// <summary>Reports <paramref name="descriptor"/> with properties for a code fix.</summary>
    public void Report(DiagnosticDescriptor descriptor, Location? location, ImmutableDictionary<string, string?>? properties, params object?[] arguments)
        => _report(Diagnostic.Create(descriptor, location is { IsInSource: true } ? location : Fallback, properties, arguments));

    /// <summary>Where a diagnostic without a location in source goes.</summary>
    protected abstract Location Fallback { get; }
}
