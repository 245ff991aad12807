using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Diagnostics;

/// <summary>What stops the generator from writing an extractor. Checks that do not stop generation live in the analyzers.</summary>
internal static class DiagnosticDescriptors
{
    public const string Category = "ApiPipeline.Extractor";

    public const string NotPartialId = "APP0001";
    public const string NoExtractorInterfaceId = "APP0002";
    public const string UnboundPlaceholderId = "APP0003";
    public const string MissingJsonContextId = "APP0004";
    public const string UnsupportedShapeId = "APP0005";
    public const string InvalidEndpointId = "APP0006";

    public static readonly DiagnosticDescriptor NotPartial = Create(
        NotPartialId,
        "Extractor class must be partial",
        "The extractor '{0}' must be declared 'partial' so that ApiPipeline can generate its implementation; add the 'partial' modifier");

    public static readonly DiagnosticDescriptor NoExtractorInterface = Create(
        NoExtractorInterfaceId,
        "Extractor must implement IExtractor<TIn, TOut>",
        "The extractor '{0}' must implement IExtractor<TIn, TOut> exactly once, naming its input and record types, e.g. ': IExtractor<RepoRef, Issue>'");

    public static readonly DiagnosticDescriptor UnboundPlaceholder = Create(
        UnboundPlaceholderId,
        "Route placeholder has no matching input member",
        "The path placeholder '{{{0}}}' of extractor '{1}' matches no public property or field of the input type '{2}'; add a member named '{3}' to '{2}' or fix the placeholder");

    public static readonly DiagnosticDescriptor MissingJsonContext = Create(
        MissingJsonContextId,
        "Extractor needs a JsonSerializerContext",
        "The extractor '{0}' needs a System.Text.Json source-generated context for its records: set Json = typeof(YourContext) on [Extractor], where YourContext derives from JsonSerializerContext and has [JsonSerializable(typeof({1}))]");

    public static readonly DiagnosticDescriptor UnsupportedShape = Create(
        UnsupportedShapeId,
        "Extractor class cannot be generic or nested in a non-partial type",
        "The extractor '{0}' {1}; declare it as a non-generic partial class, nested only in partial types");

    public static readonly DiagnosticDescriptor InvalidEndpoint = Create(
        InvalidEndpointId,
        "Invalid base URL or path template",
        "The extractor '{0}' has an invalid endpoint: {1}");

    private static DiagnosticDescriptor Create(string id, string title, string message) => new(
        id,
        title,
        message,
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: $"https://github.com/apipipeline/apipipeline/blob/main/docs/diagnostics/{id}.md");
}
