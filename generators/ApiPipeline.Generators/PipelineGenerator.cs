using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Generators;

/// <summary>
/// Writes the implementation of every <c>[Extractor]</c> partial class. The pipeline: find classes by attribute
/// (<c>ForAttributeWithMetadataName</c>), project each to an equatable <see cref="Model.ExtractorResult"/>, then emit source
/// from the specs and report diagnostics separately, so a moved line re-emits nothing.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class PipelineGenerator : IIncrementalGenerator
{
    /// <summary>The attribute that marks an extractor.</summary>
    public const string ExtractorAttributeName = "ApiPipeline.ExtractorAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var extractors = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ExtractorAttributeName,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Extractors);

        var specs = extractors
            .Select(static (result, _) => result.Spec)
            .Where(static spec => spec is not null)
            .WithTrackingName(TrackingNames.Specs);

        var diagnostics = extractors
            .Select(static (result, _) => result.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(diagnostics, static (spc, list) => spc.Report(list));

        // [Chain] classes and the per-assembly registry (Chaining/ChainGenerator.cs). Hint names are readable unless two of this
        // generator's files (extractors, chains, the registry) have the same one ignoring case; only then do those files take a hash
        // (Helpers/HintNames.cs).
        var collidingHintNames = Chaining.ChainGenerator.Initialize(context, extractors, specs.Select(static (spec, _) => spec!.HintName).Collect());
        context.RegisterSourceOutput(specs.Combine(collidingHintNames), static (spc, pair) =>
            spc.AddSource(HintNames.Unique(pair.Left!.HintName, pair.Left.MetadataName, pair.Right), Emitter.Emit(pair.Left)));
    }
}
