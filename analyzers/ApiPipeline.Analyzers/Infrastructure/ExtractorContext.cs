using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// One <c>[Extractor]</c> class as the analyzers see it: the attribute values, their syntax (for exact locations), the
/// <c>IExtractor&lt;TIn, TOut&gt;</c> types and the <c>[Paginated]</c> attribute. Every part may be missing in broken code;
/// checks test for <see langword="null"/> and stay silent rather than guess.
/// </summary>
internal sealed class ExtractorContext : ExtractorClassContext
{
    private ExtractorContext(INamedTypeSymbol type, KnownTypes known, Compilation compilation, AttributeData attribute, Action<Diagnostic> report, CancellationToken cancellationToken)
        : base(type, known, compilation, attribute, report, cancellationToken)
    {
        Attribute = attribute;
        var args = attribute.ConstructorArguments;
        if (args.Length == 2)
        {
            BaseUrl = args[0].Value as string;
            Path = args[1].Value as string;
        }

        Name = type.Name;
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == "Name" && argument.Value.Value is string name && name.Length > 0)
            {
                Name = name;
                HasExplicitName = true;
            }
        }

        foreach (var other in type.GetAttributes())
        {
            if (KnownTypes.Is(other, known.PaginatedAttribute))
            {
                Paginated = other;
                PaginatedSyntax = AttributeSyntaxes.Syntax(other, cancellationToken);
                break;
            }
        }
    }

    /// <summary>The <c>[Extractor]</c> application.</summary>
    public AttributeData Attribute { get; }

    /// <summary>The base URL, when it is a constant string.</summary>
    public string? BaseUrl { get; }

    /// <summary>The path template, when it is a constant string.</summary>
    public string? Path { get; }

    /// <summary>The extractor's name: <c>Name</c>, or the class name.</summary>
    public string Name { get; }

    /// <summary>Whether <c>Name</c> is set on the attribute.</summary>
    public bool HasExplicitName { get; }

    /// <summary>The <c>[Paginated]</c> application, if any.</summary>
    public AttributeData? Paginated { get; }

    /// <summary>Its syntax.</summary>
    public AttributeSyntax? PaginatedSyntax { get; }

    /// <summary>The base URL argument.</summary>
    public AttributeArgumentSyntax? BaseUrlArgument => AttributeSyntaxes.ConstructorArgument(Syntax, 0, "baseUrl");

    /// <summary>The path argument.</summary>
    public AttributeArgumentSyntax? PathArgument => AttributeSyntaxes.ConstructorArgument(Syntax, 1, "path");

    /// <summary>The class name's location in the declaration carrying <c>[Extractor]</c>.</summary>
    public Location Identifier
    {
        get
        {
            for (SyntaxNode? node = Syntax; node is not null; node = node.Parent)
            {
                if (node is BaseTypeDeclarationSyntax declaration)
                {
                    return declaration.Identifier.GetLocation();
                }
            }

            return Type.Locations.IsDefaultOrEmpty ? Location.None : Type.Locations[0];
        }
    }

    /// <summary>Builds the context for a type marked <c>[Extractor]</c>; <see langword="null"/> for every other type.</summary>
    public static ExtractorContext? TryCreate(SymbolAnalysisContext context, KnownTypes known)
        => context.Symbol is INamedTypeSymbol type
            ? TryCreate(type, known, context.Compilation, context.ReportDiagnostic, context.CancellationToken)
            : null;

    /// <summary>Builds the context for a type marked <c>[Extractor]</c>; <see langword="null"/> for every other type.</summary>
    public static ExtractorContext? TryCreate(INamedTypeSymbol type, KnownTypes known, Compilation compilation, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        if (type.TypeKind != TypeKind.Class)
        {
            return null;
        }

        foreach (var attribute in type.GetAttributes())
        {
            if (KnownTypes.Is(attribute, known.ExtractorAttribute))
            {
                return new ExtractorContext(type, known, compilation, attribute, report, cancellationToken);
            }
        }

        return null;
    }

    /// <summary>
    /// <c>TIn</c> and <c>TOut</c> when <paramref name="type"/> implements <c>IExtractor&lt;TIn, TOut&gt;</c> exactly once with valid
    /// types; both <see langword="null"/> otherwise.
    /// </summary>
    public static (ITypeSymbol? Input, ITypeSymbol? Output) ExtractorTypes(INamedTypeSymbol type, KnownTypes known)
    {
        INamedTypeSymbol? extractorInterface = null;
        int count = 0;
        if (known.ExtractorInterface is not null)
        {
            foreach (var candidate in type.AllInterfaces)
            {
                if (SymbolEqualityComparer.Default.Equals(candidate.OriginalDefinition, known.ExtractorInterface))
                {
                    extractorInterface = candidate;
                    count++;
                }
            }
        }

        return count == 1 && extractorInterface!.TypeArguments.Length == 2
            && extractorInterface.TypeArguments[0].TypeKind != TypeKind.Error
            && extractorInterface.TypeArguments[1].TypeKind != TypeKind.Error
                ? (extractorInterface.TypeArguments[0], extractorInterface.TypeArguments[1])
                : (null, null);
    }

    /// <summary>
    /// The extractor's attribute <paramref name="metadataName"/> (for example <c>"ApiPipeline.RetryAttribute"</c>), or
    /// <see langword="null"/> when it is not applied or the type does not exist in this compilation.
    /// </summary>
    public AppliedAttribute? FindAttribute(string metadataName)
    {
        var type = Known.Get(metadataName);
        if (type is null)
        {
            return null;
        }

        foreach (var attribute in Type.GetAttributes())
        {
            if (KnownTypes.Is(attribute, type))
            {
                return new AppliedAttribute(attribute, CancellationToken);
            }
        }

        return null;
    }

    /// <summary>The class name, for a diagnostic without a location in source.</summary>
    protected override Location Fallback => Identifier;

    /// <summary>The <c>[Paginated]</c> named arguments that are set explicitly, by name.</summary>
    public Dictionary<string, TypedConstant> PaginatedSettings()
    {
        var settings = new Dictionary<string, TypedConstant>(StringComparer.Ordinal);
        if (Paginated is not null)
        {
            foreach (var argument in Paginated.NamedArguments)
            {
                settings[argument.Key] = argument.Value;
            }
        }

        return settings;
    }

    /// <summary>The pagination style: <see cref="PaginationStyle.None"/> without <c>[Paginated]</c>; <see langword="null"/> when it is not a known constant.</summary>
    public PaginationStyle? Style
        => Paginated is null
            ? PaginationStyle.None
            : Paginated.ConstructorArguments.Length == 1 && Paginated.ConstructorArguments[0].Value is int style && style >= 0 && style <= (int)PaginationStyle.PageNumber
                ? (PaginationStyle)style
                : null;

    /// <summary>The <c>[Paginated]</c> style argument.</summary>
    public AttributeArgumentSyntax? StyleArgument => AttributeSyntaxes.ConstructorArgument(PaginatedSyntax, 0, "style");
}

/// <summary>Mirrors <c>ApiPipeline.Pagination</c> (the analyzers do not reference the runtime).</summary>
internal enum PaginationStyle
{
    None = 0,
    Cursor = 1,
    HeaderCursor = 2,
    NextUrl = 3,
    LinkHeader = 4,
    Offset = 5,
    PageNumber = 6,
}
