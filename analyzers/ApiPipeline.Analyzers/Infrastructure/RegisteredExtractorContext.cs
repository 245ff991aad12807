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
internal sealed class RegisteredExtractorContext : ExtractorClassContext
{
    private RegisteredExtractorContext(INamedTypeSymbol type, KnownTypes known, Compilation compilation, AttributeData attribute, Action<Diagnostic> report, CancellationToken cancellationToken)
        : base(type, known, compilation, attribute, report, cancellationToken)
    {
        // As the generator: a name that is empty or starts or ends with white space is not listed (APP0119).
        if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string name
            && name.Length > 0 && name.Trim() == name)
        {
            Name = name;
        }
    }

    /// <summary>The name the registry lists it under, when it is a constant the generator accepts.</summary>
    public string? Name { get; }

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

    /// <summary>The attribute, or the class when the attribute is not in source.</summary>
    protected override Location Fallback => Syntax?.GetLocation() ?? (Type.Locations.IsDefaultOrEmpty ? Location.None : Type.Locations[0]);
}
