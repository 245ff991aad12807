using System;
using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Analyzers;

/// <summary>The ApiPipeline and System.Text.Json types the analyzers look for, resolved once per compilation.</summary>
internal sealed class KnownTypes
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<string, INamedTypeSymbol?> _byName = new(StringComparer.Ordinal);

    private KnownTypes(Compilation compilation, INamedTypeSymbol extractorAttribute)
    {
        _compilation = compilation;
        ExtractorAttribute = extractorAttribute;
        PaginatedAttribute = compilation.GetTypeByMetadataName("ApiPipeline.PaginatedAttribute");
        QueryAttribute = compilation.GetTypeByMetadataName("ApiPipeline.QueryAttribute");
        RegisteredExtractorAttribute = compilation.GetTypeByMetadataName("ApiPipeline.RegisteredExtractorAttribute");
        ExtractorInterface = compilation.GetTypeByMetadataName("ApiPipeline.IExtractor`2");
        NoInput = compilation.GetTypeByMetadataName("ApiPipeline.NoInput");
        PaginationEnum = compilation.GetTypeByMetadataName("ApiPipeline.Pagination");
        JsonSerializerContext = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonSerializerContext");
        JsonSerializableAttribute = compilation.GetTypeByMetadataName("System.Text.Json.Serialization.JsonSerializableAttribute");
    }

    public INamedTypeSymbol ExtractorAttribute { get; }

    public INamedTypeSymbol? PaginatedAttribute { get; }

    public INamedTypeSymbol? QueryAttribute { get; }

    public INamedTypeSymbol? RegisteredExtractorAttribute { get; }

    public INamedTypeSymbol? ExtractorInterface { get; }

    public INamedTypeSymbol? NoInput { get; }

    public INamedTypeSymbol? PaginationEnum { get; }

    public INamedTypeSymbol? JsonSerializerContext { get; }

    public INamedTypeSymbol? JsonSerializableAttribute { get; }

    /// <summary>Any other type by metadata name (such as an attribute a newer check reads), resolved once per compilation.</summary>
    public INamedTypeSymbol? Get(string metadataName) => _byName.GetOrAdd(metadataName, name => _compilation.GetTypeByMetadataName(name));

    /// <summary>The known types, or <see langword="null"/> when the compilation does not reference ApiPipeline (then nothing is analyzed).</summary>
    public static KnownTypes? TryCreate(Compilation compilation)
    {
        var extractor = compilation.GetTypeByMetadataName("ApiPipeline.ExtractorAttribute");
        return extractor is null ? null : new KnownTypes(compilation, extractor);
    }

    /// <summary>Whether <paramref name="attribute"/> is an application of <paramref name="type"/>.</summary>
    public static bool Is(AttributeData attribute, INamedTypeSymbol? type)
        => type is not null && SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, type);
}
