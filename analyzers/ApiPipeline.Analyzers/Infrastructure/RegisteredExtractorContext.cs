using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// One <c>[RegisteredExtractor("name", Json = …)]</c> class (a hand-written <c>IExtractor&lt;TIn, TOut&gt;</c> that the generated
/// registry lists by name) as the analyzers see it: the name, the <c>Json</c> context, the <c>IExtractor&lt;TIn, TOut&gt;</c> types and
/// the attribute's syntax. A class that is also an <c>[Extractor]</c> is not one (the generator lists it as that, and reports APP0119
/// for this attribute). Every part may be missing in broken code; checks test for <see langword="null"/> and stay silent.
/// </summary>
internal sealed class RegisteredExtractorContext
{
    private readonly Action<Diagnostic> _report;

    private RegisteredExtractorContext(INamedTypeSymbol type, KnownTypes known, Compilation compilation, AttributeData attribute, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        Type = type;
        Known = known;
        Compilation = compilation;
        _report = report;
        CancellationToken = cancellationToken;
        Syntax = AttributeSyntaxes.Syntax(attribute, cancellationToken);

        // As the generator: a name that is empty or starts or ends with white space is not listed (APP0119).
        if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name
            && name.Length > 0 && name.Trim() == name)
        {
            Name = name;
        }

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

    /// <summary>The <c>[RegisteredExtractor]</c> application's syntax, when written in source.</summary>
    public AttributeSyntax? Syntax { get; }

    /// <summary>The name the registry lists it under, when it is a constant the generator accepts.</summary>
    public string? Name { get; }

    /// <summary>The <c>Json</c> context type, when set.</summary>
    public INamedTypeSymbol? JsonContext { get; }

    /// <summary><c>TIn</c>, when the class implements <c>IExtractor&lt;TIn, TOut&gt;</c> exactly once with valid types.</summary>
    public ITypeSymbol? InputType { get; }

    /// <summary><c>TOut</c>, under the same condition as <see cref="InputType"/>.</summary>
    public ITypeSymbol? OutputType { get; }

    /// <summary>The name argument.</summary>
    public AttributeArgumentSyntax? NameArgument => AttributeSyntaxes.ConstructorArgument(Syntax, 0, "name");

    /// <summary>Builds the context for a type marked <c>[RegisteredExtractor]</c> and not <c>[Extractor]</c>; <see langword="null"/> for every other type.</summary>
    public static RegisteredExtractorContext? TryCreate(SymbolAnalysisContext context, INamedTypeSymbol type, KnownTypes known)
        => TryCreate(type, known, context.Compilation, context.ReportDiagnostic, context.CancellationToken);

    /// <summary>Builds the context for a type marked <c>[RegisteredExtractor]</c> and not <c>[Extractor]</c>; <see langword="null"/> for every other type.</summary>
    public static RegisteredExtractorContext? TryCreate(INamedTypeSymbol type, KnownTypes known, Compilation compilation, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        if (type.TypeKind != TypeKind.Class || known.RegisteredExtractorAttribute is null)
        {
            return null;
        }

        AttributeData? registered = null;
        foreach (var attribute in type.GetAttributes())
        {
            if (KnownTypes.Is(attribute, known.ExtractorAttribute))
            {
                return null;
            }

            if (KnownTypes.Is(attribute, known.RegisteredExtractorAttribute))
            {
                registered = attribute;
            }
        }

        return registered is null ? null : new RegisteredExtractorContext(type, known, compilation, registered, report, cancellationToken);
    }

    /// <summary>Reports <paramref name="descriptor"/> at <paramref name="location"/> (or the attribute, or the class, when it is not in source).</summary>
    public void Report(DiagnosticDescriptor descriptor, Location? location, params object?[] arguments)
    {
        var where = location is { IsInSource: true } ? location
            : Syntax?.GetLocation() ?? (Type.Locations.IsDefaultOrEmpty ? Location.None : Type.Locations[0]);
        _report(Diagnostic.Create(descriptor, where, arguments));
    }
}
