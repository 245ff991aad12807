using System.Collections.Immutable;
using System.Linq;
using ApiPipeline.Generators.Chaining.Model;
using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Generators.Chaining;

/// <summary>
/// The chain and registry branches of <see cref="PipelineGenerator"/>: <c>[Chain]</c> classes through <see cref="ChainParser"/> →
/// <see cref="ChainSpec"/> → <see cref="ChainEmitter"/> (diagnostics reported separately, as for extractors), <c>[Output]</c> classes
/// through <see cref="OutputParser"/>, and one registry per assembly from the collected <see cref="RegistryExtractor"/>s, chains and
/// <see cref="RegistryOutput"/>s.
/// </summary>
internal static class ChainGenerator
{
    public const string ChainAttributeName = "ApiPipeline.ChainAttribute";

    /// <summary>
    /// Adds the chain and registry branches; the registry reads the extractor branch's results (each extractor parsed once). Returns the
    /// hint names that occur more than once ignoring case among <paramref name="extractorHintNames"/>, the chains' and the registry's,
    /// which the extractor branch needs as well.
    /// </summary>
    public static IncrementalValueProvider<ImmutableEquatableArray<string>> Initialize(
        IncrementalGeneratorInitializationContext context,
        IncrementalValuesProvider<ExtractorResult> extractorResults,
        IncrementalValueProvider<ImmutableArray<string>> extractorHintNames)
    {
        var chains = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ChainAttributeName,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                static (ctx, ct) => ChainParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Chains);

        var specs = chains
            .Select(static (result, _) => result.Spec)
            .Where(static spec => spec is not null)
            .WithTrackingName(TrackingNames.ChainSpecs);

        var diagnostics = chains
            .Select(static (result, _) => result.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(TrackingNames.ChainDiagnostics);

        var collidingHintNames = specs
            .Select(static (spec, _) => spec!.HintName)
            .Collect()
            .Combine(extractorHintNames)
            .Select(static (names, _) => HintNames.Colliding([.. names.Left, .. names.Right, RegistryEmitter.HintName]))
            .WithTrackingName(TrackingNames.CollidingHintNames);

        context.RegisterSourceOutput(specs.Combine(collidingHintNames), static (spc, pair) =>
            spc.AddSource(HintNames.Unique(pair.Left!.HintName, pair.Left.MetadataName, pair.Right), ChainEmitter.Emit(pair.Left)));
        context.RegisterSourceOutput(diagnostics, static (spc, list) => spc.Report(list));

        // The registry: small equatable entries collected from every extractor and chain of the compilation.
        var generatedExtractors = extractorResults
            .Select(static (result, _) => result.Registry)
            .Where(static entry => entry is not null)
            .WithTrackingName(TrackingNames.RegistryExtractors)
            .Collect();

        // Hand-written extractors ([RegisteredExtractor]): listed beside the generated ones, with their own name and factory.
        var registered = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                RegisteredExtractorParser.AttributeName,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                static (ctx, ct) => RegisteredExtractorParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.RegisteredExtractors);

        context.RegisterSourceOutput(registered.Select(static (result, _) => result.Diagnostics).Where(static d => d.Count > 0), static (spc, list) => spc.Report(list));

        var extractors = generatedExtractors
            .Combine(registered.Select(static (result, _) => result.Extractor).Where(static entry => entry is not null).Collect())
            .Select(static (pair, _) => pair.Left.AddRange(pair.Right));

        var registeredChains = specs
            .Where(static spec => spec!.Accessible)
            .Select(static (spec, _) => new RegistryChain(spec!.FullTypeName.Replace("global::", string.Empty).Replace("@", string.Empty), spec.FullTypeName))
            .Collect();

        // User output types: each class on its own, then names checked for duplicates over all of them.
        var outputs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                OutputParser.OutputAttributeName,
                static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                static (ctx, ct) => OutputParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Outputs);

        var registeredOutputs = outputs
            .Select(static (result, _) => result.Output)
            .Where(static output => output is not null)
            .WithTrackingName(TrackingNames.RegistryOutputs)
            .Collect();

        var outputDiagnostics = outputs
            .Select(static (result, _) => result.Diagnostics)
            .Where(static d => d.Count > 0);
        var duplicateNames = outputs
            .Select(static (result, _) => result.Output is null ? null : new OutputName(result.Output.Name, result.Output.TypeName, result.NameLocation))
            .Where(static name => name is not null)
            .Collect()
            .Select(static (names, _) => OutputParser.DuplicateNames(names!).ToImmutableEquatableArray())
            .WithTrackingName(TrackingNames.OutputDiagnostics);

        context.RegisterSourceOutput(outputDiagnostics, static (spc, list) => spc.Report(list));
        context.RegisterSourceOutput(duplicateNames, static (spc, list) => spc.Report(list));

        var registry = extractors
            .Combine(registeredChains)
            .Combine(registeredOutputs)
            .Select(static (pair, _) => new RegistrySpec(
                pair.Left.Left.OrderBy(e => e!.TypeName, System.StringComparer.Ordinal).Select(e => e!).ToImmutableEquatableArray(),
                pair.Left.Right.OrderBy(c => c.TypeName, System.StringComparer.Ordinal).ToImmutableEquatableArray(),
                pair.Right.OrderBy(o => o!.TypeName, System.StringComparer.Ordinal).Select(o => o!).ToImmutableEquatableArray()))
            .WithTrackingName(TrackingNames.Registry);

        context.RegisterSourceOutput(registry, static (spc, spec) =>
        {
            if (spec.Extractors.Count + spec.Chains.Count + spec.Outputs.Count > 0)
            {
                spc.AddSource(RegistryEmitter.HintName, RegistryEmitter.Emit(spec));
            }
        });

        return collidingHintNames;
    }
}
