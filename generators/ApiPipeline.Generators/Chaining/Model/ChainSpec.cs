using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;

namespace ApiPipeline.Generators.Chaining.Model;

/// <summary>
/// Everything needed to emit one <c>[Chain]</c> class. Equality contract: by value (strings, numbers, and
/// <see cref="ImmutableEquatableArray{T}"/> element by element), like <c>ExtractorSpec</c>; mapping code is carried as C# text, so the
/// spec holds no symbols, syntax or compilation.
/// </summary>
internal sealed record ChainSpec
{
    /// <summary>The generated file's readable hint name, <c>Namespace.Type.Chain.g.cs</c>; <see cref="HintNames.Unique"/> gives the one used.</summary>
    public required string HintName { get; init; }

    /// <summary>The generated members that hide a base class's member, which the generated part declares <c>new</c>.</summary>
    public required ImmutableEquatableArray<string> Hides { get; init; }

    /// <summary>The type's metadata name (<c>Namespace.Outer+Type</c>), which sets the hint name apart when another type's is the same ignoring case.</summary>
    public required string MetadataName { get; init; }

    /// <summary>The namespace, or <see langword="null"/> for the global namespace.</summary>
    public required string? Namespace { get; init; }

    /// <summary>Declarations of the containing types, outermost first.</summary>
    public required ImmutableEquatableArray<string> ContainingTypes { get; init; }

    /// <summary>The declaration keyword and name (<c>class OrgIssues</c>).</summary>
    public required string TypeDeclaration { get; init; }

    /// <summary>The simple (escaped) name of the chain class.</summary>
    public required string TypeName { get; init; }

    /// <summary>The fully qualified chain class, for the registry.</summary>
    public required string FullTypeName { get; init; }

    /// <summary>The chain's name.</summary>
    public required string Name { get; init; }

    /// <summary>The chain input: the first step's input (fully qualified).</summary>
    public required string InputType { get; init; }

    /// <summary>The chain's records: the last step's (fully qualified).</summary>
    public required string OutputType { get; init; }

    /// <summary>Whether the registry can reach the class (it and its containing types are at least internal).</summary>
    public required bool Accessible { get; init; }

    /// <summary>The steps, in order.</summary>
    public required ImmutableEquatableArray<StepSpec> Steps { get; init; }
}

/// <summary>One step of a <see cref="ChainSpec"/>.</summary>
internal sealed record StepSpec
{
    /// <summary>The step's name (the property name unless <c>Name</c> is set).</summary>
    public required string Name { get; init; }

    /// <summary>The property's (escaped) name.</summary>
    public required string PropertyName { get; init; }

    /// <summary>The property declaration's modifiers, repeated on the implementation (<c>public partial</c>).</summary>
    public required string PropertyModifiers { get; init; }

    /// <summary>The property's type as declared, fully qualified, with its nullable annotation.</summary>
    public required string PropertyType { get; init; }

    /// <summary>The extractor class (fully qualified).</summary>
    public required string ExtractorType { get; init; }

    /// <summary>Whether the extractor is an <c>[Extractor]</c> class: created with its generated constructor, records described by its <c>Definition</c>.</summary>
    public required bool IsGeneratedExtractor { get; init; }

    /// <summary>The extractor's input (fully qualified).</summary>
    public required string InputType { get; init; }

    /// <summary>The extractor's record type (fully qualified).</summary>
    public required string OutputType { get; init; }

    /// <summary>The processing mode's member name (<c>Parallel</c>).</summary>
    public required string Mode { get; init; }

    public required int MaxConcurrency { get; init; }

    /// <summary>The error mode's member name, or <see langword="null"/> for the extractor's.</summary>
    public string? OnError { get; init; }

    /// <summary>API-level batching, or <see langword="null"/>.</summary>
    public BatchSpec? Batch { get; init; }

    /// <summary>
    /// The body of the mapping lambda: an expression over <c>input</c> (the chain input) and <c>parent</c> (a record of the step before),
    /// plus <c>lineage</c> when <see cref="Reads"/> is not empty, or, for a batched step, <c>batch</c> (a list of them).
    /// <see langword="null"/> for the first step.
    /// </summary>
    public string? Map { get; init; }

    /// <summary>The 1-based positions of the steps before the previous one whose records the mapping reads (<c>FromStep</c>), ascending.</summary>
    public required ImmutableEquatableArray<int> Reads { get; init; }
}

/// <summary>The settings of <c>[Batched]</c>.</summary>
internal sealed record BatchSpec(int Size, int MaxConcurrentBatches, bool RetryFailedBatches, int MaxBatchRetries);

/// <summary>The parser's answer for one <c>[Chain]</c> class: a spec when it can be generated, and the diagnostics found.</summary>
internal sealed record ChainParseResult(ChainSpec? Spec, ImmutableEquatableArray<DiagnosticInfo> Diagnostics);
