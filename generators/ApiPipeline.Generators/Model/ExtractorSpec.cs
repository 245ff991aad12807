using ApiPipeline.Generators.Helpers;

namespace ApiPipeline.Generators.Model;

/// <summary>
/// Everything needed to emit one extractor. Equality contract: two specs are equal when every member is equal by value
/// (strings, enums, and <see cref="ImmutableEquatableArray{T}"/> element by element); it holds no symbols, syntax or compilation.
/// </summary>
internal sealed record ExtractorSpec
{
    /// <summary>The generated file's readable hint name, <c>Namespace.Type.g.cs</c>; <see cref="HintNames.Unique"/> gives the one used.</summary>
    public required string HintName { get; init; }

    /// <summary>The type's metadata name (<c>Namespace.Outer+Type</c>), which sets the hint name apart when another type's is the same ignoring case.</summary>
    public required string MetadataName { get; init; }

    /// <summary>The namespace, or <see langword="null"/> for the global namespace.</summary>
    public required string? Namespace { get; init; }

    /// <summary>Declarations of the containing types, outermost first (<c>partial class Outer</c>).</summary>
    public required ImmutableEquatableArray<string> ContainingTypes { get; init; }

    /// <summary>The declaration keyword and name of the extractor type (<c>class GitHubIssues</c>).</summary>
    public required string TypeDeclaration { get; init; }

    /// <summary>The simple name of the extractor type.</summary>
    public required string TypeName { get; init; }

    /// <summary>The extractor's name (the class name unless <c>Name</c> is set).</summary>
    public required string Name { get; init; }

    public required string BaseUrl { get; init; }

    public required string PathTemplate { get; init; }

    /// <summary>The fully qualified (<c>global::</c>) input type.</summary>
    public required string InputType { get; init; }

    /// <summary>The fully qualified (<c>global::</c>) record type.</summary>
    public required string OutputType { get; init; }

    /// <summary>The fully qualified (<c>global::</c>) JSON context type.</summary>
    public required string JsonContextType { get; init; }

    /// <summary>The first request's URL, in order: literal text, path values and query parameters.</summary>
    public required ImmutableEquatableArray<UrlPart> Url { get; init; }

    /// <summary>The named arguments of <c>[Paginated]</c> as <c>PaginationOptions</c> initializers.</summary>
    public required ImmutableEquatableArray<PropertyInit> Pagination { get; init; }

    /// <summary>The resilience and authentication attributes, or <see langword="null"/> when the extractor has none.</summary>
    public ResilienceSpec? Resilience { get; init; }

    /// <summary>The <c>[Watermark]</c> as <c>WatermarkOptions</c> initializers, or <see langword="null"/> when the extractor has none.</summary>
    public ImmutableEquatableArray<PropertyInit>? Watermark { get; init; }

    /// <summary>The <c>[TimeWindows]</c> strategy as <c>TimeWindowOptions</c> initializers, or <see langword="null"/> when the extractor has none.</summary>
    public ImmutableEquatableArray<PropertyInit>? TimeWindows { get; init; }

    /// <summary>Whether the extractor has <c>[ConditionalRequests]</c>.</summary>
    public bool ConditionalRequests { get; init; }

    /// <summary>For a passthrough extractor (<c>IExtractor&lt;TIn, RawRecord&lt;TFields&gt;&gt;</c>), <c>TFields</c> fully qualified; else <see langword="null"/>.</summary>
    public string? RawFieldsType { get; init; }

    /// <summary>For a passthrough extractor whose <c>TFields</c> the generator can read directly, its reader; else <see langword="null"/>.</summary>
    public RawFieldsSpec? RawFieldsReader { get; init; }

    /// <summary>The generated members that hide a base class's member, which the generated part declares <c>new</c>.</summary>
    public required ImmutableEquatableArray<string> Hides { get; init; }
}

/// <summary>The kind of a URL part.</summary>
internal enum UrlPartKind
{
    Literal,
    PathValue,
    Query,
}

/// <summary>One part of the first request's URL.</summary>
/// <param name="Kind">Literal text, a path value or a query parameter.</param>
/// <param name="Text">The literal text, the placeholder name, or the query parameter name.</param>
/// <param name="Member">The input member, for path values and query parameters.</param>
/// <param name="ValueKind">How the member becomes text.</param>
/// <param name="ValueType">For <see cref="ValueKind.Formattable"/> and <see cref="ValueKind.FormattableSequence"/>: the fully qualified (element) struct type.</param>
/// <param name="IsValueType">Whether the member's type is a non-nullable value type.</param>
internal sealed record UrlPart(UrlPartKind Kind, string Text, string? Member = null, ValueKind ValueKind = ValueKind.String, string? ValueType = null, bool IsValueType = false);

/// <summary>A property initializer: <c>Name = Value</c>, with the value as a C# expression.</summary>
internal sealed record PropertyInit(string Name, string Value);

/// <summary>The parser's answer for one class: a spec when it can be generated, and the diagnostics found.</summary>
/// <param name="Spec">The spec, when the extractor can be generated.</param>
/// <param name="Diagnostics">What stops it from being generated.</param>
/// <param name="Registry">Its entry in the generated registry (names and type shapes), when it is generated and accessible.</param>
internal sealed record ExtractorResult(ExtractorSpec? Spec, ImmutableEquatableArray<Diagnostics.DiagnosticInfo> Diagnostics, Chaining.Model.RegistryExtractor? Registry = null);
