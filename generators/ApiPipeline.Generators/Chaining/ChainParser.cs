using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ApiPipeline.Generators.Chaining.Model;
using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Generators.Chaining;

/// <summary>
/// Turns a <c>[Chain]</c> class into a <see cref="ChainParseResult"/>: its steps in order and, for every step after the first, the mapping
/// code that builds its input, checked member by member. Never throws on odd input.
/// </summary>
internal static partial class ChainParser
{
    private const string StepAttributeName = "ApiPipeline.StepAttribute";
    private const string MapAttributeName = "ApiPipeline.MapAttribute";
    private const string BatchedAttributeName = "ApiPipeline.BatchedAttribute";
    private static readonly string[] ModeNames = ["Single", "Sequential", "Parallel"];
    private static readonly string[] ErrorModeNames = ["FailFast", "Continue", "Skip", "DeadLetter"];

    public static ChainParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var spec = TryParse(context, diagnostics, cancellationToken);
        return new ChainParseResult(diagnostics.Count == 0 ? spec : null, diagnostics.ToImmutableEquatableArray());
    }

    private static ChainSpec? TryParse(GeneratorAttributeSyntaxContext context, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax syntax || type.TypeKind != TypeKind.Class)
        {
            return null;
        }

        var identifier = syntax.Identifier.GetLocation();
        string name = context.Attributes[0].NamedArguments.FirstOrDefault(a => a.Key == "Name").Value.Value is string given && given.Length > 0 ? given : type.Name;
        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChainShape, identifier, name, "is not partial"));
            return null;
        }

        if (type.Arity > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChainShape, identifier, name, "is generic"));
            return null;
        }

        if (type.IsFileLocal || Symbols.ContainingTypes(type).Any(o => o.IsFileLocal))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChainShape, identifier, name, "is file-local (or nested in a file-local type), but its generated part is in another file; remove the file modifier"));
            return null;
        }

        if (name.IndexOf('/') >= 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SlashInChainName, NamedArgumentLocation(context.Attributes[0].ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax, "Name") ?? identifier, "chain", name));
            return null;
        }

        var containing = new List<string>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not TypeDeclarationSyntax outerSyntax
                || !outerSyntax.Modifiers.Any(SyntaxKind.PartialKeyword) || outer.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChainShape, identifier, name, $"is nested in '{outer.Name}', which is not a non-generic partial type"));
                return null;
            }

            containing.Insert(0, "partial " + Keyword(outerSyntax) + " " + Symbols.Escape(outer.Name));
        }

        var steps = ReadSteps(type, name, diagnostics, cancellationToken);
        if (steps is null)
        {
            return null;
        }

        if (steps.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChainSteps, identifier, name, "has no steps; mark partial get-only extractor properties with [Step(1)], [Step(2)], …"));
            return null;
        }

        steps.Sort((a, b) => a.Order.CompareTo(b.Order));
        for (int i = 1; i < steps.Count; i++)
        {
            if (steps[i].Order == steps[i - 1].Order)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChainSteps, steps[i].StepLocation, name, $"has two steps at position {steps[i].Order} ('{steps[i - 1].Name}' and '{steps[i].Name}'); give each step its own position"));
            }
        }

        if (diagnostics.Count > 0)
        {
            return null;
        }

        var compilation = context.SemanticModel.Compilation;
        var specs = new List<StepSpec>(steps.Count);
        for (int i = 0; i < steps.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = steps[i];
            var reads = new SortedSet<int>();
            string? map = i == 0
                ? FirstStep(step, diagnostics)
                : Mapping(name, steps, i, compilation, reads, diagnostics, cancellationToken);
            specs.Add(new StepSpec
            {
                Name = step.Name,
                PropertyName = Symbols.Escape(step.Property.Name),
                PropertyModifiers = step.Modifiers,
                PropertyType = Symbols.FullNameWithNullable(step.Property.Type),
                ExtractorType = Symbols.FullName(Symbols.Core(step.Property.Type)),
                IsGeneratedExtractor = step.IsGeneratedExtractor,
                InputType = Symbols.FullName(step.Input),
                OutputType = Symbols.FullName(step.Output),
                Mode = ModeNames[step.Mode],
                MaxConcurrency = step.MaxConcurrency,
                OnError = step.OnError,
                Batch = step.Batch,
                Map = map,
                Reads = reads.ToImmutableEquatableArray(),
            });
        }

        if (diagnostics.Count > 0)
        {
            return null;
        }

        return new ChainSpec
        {
            HintName = HintNames.Readable(type, ".Chain.g.cs"),
            MetadataName = HintNames.MetadataName(type),
            Namespace = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty),
            ContainingTypes = containing.ToImmutableEquatableArray(),
            TypeDeclaration = Keyword(syntax) + " " + Symbols.Escape(type.Name),
            TypeName = Symbols.Escape(type.Name),
            FullTypeName = Symbols.FullName(type),
            Name = name,
            InputType = Symbols.FullName(steps[0].Input),
            OutputType = Symbols.FullName(steps[steps.Count - 1].Output),
            Accessible = Symbols.IsAccessibleInAssembly(type),
            Steps = specs.ToImmutableEquatableArray(),
            Hides = Hidden(type, compilation.GetTypeByMetadataName("ApiPipeline.IChain`2")?.Construct(steps[0].Input, steps[steps.Count - 1].Output), compilation),
        };
    }

    /// <summary>The members of the generated part other than constructors and step properties: <c>Definition</c>, <c>Executor</c>, then those of <c>IChain</c>.</summary>
    private static readonly string[] GeneratedMembers = ["Definition", "Name", "Executor", "ExecuteAsync", "ExecuteParallelChainsAsync", "ResetStateAsync"];

    /// <summary>The generated members that hide a member of a base class (<see cref="HiddenMembers"/>), which the emitter declares <c>new</c>.</summary>
    private static ImmutableEquatableArray<string> Hidden(INamedTypeSymbol type, INamedTypeSymbol? chain, Compilation compilation)
        => HiddenMembers.Of(type, [.. GeneratedMembers.Select(name => (name, chain?.GetMembers(name).OfType<IMethodSymbol>().FirstOrDefault()))], compilation, ChainGenerator.ChainAttributeName, baseChain => ChainInterface(baseChain, compilation));

    /// <summary>
    /// The <c>IChain&lt;TIn, TOut&gt;</c> a <c>[Chain]</c> class's generated part implements: its first step's input to its last step's
    /// records, from its <c>[Step]</c> properties; <see langword="null"/> when they do not say.
    /// </summary>
    private static INamedTypeSymbol? ChainInterface(INamedTypeSymbol chain, Compilation compilation)
    {
        var steps = chain.GetMembers().OfType<IPropertySymbol>()
            .Select(p => (Extractor: Symbols.ExtractorInterface(p.Type), Order: p.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == StepAttributeName)?.ConstructorArguments.FirstOrDefault().Value as int?))
            .Where(step => step.Order is not null)
            .OrderBy(step => step.Order)
            .ToList();
        return steps.Count == 0 || steps.Any(step => step.Extractor is null)
            ? null
            : compilation.GetTypeByMetadataName("ApiPipeline.IChain`2")?.Construct(steps[0].Extractor!.TypeArguments[0], steps[steps.Count - 1].Extractor!.TypeArguments[1]);
    }

    /// <summary>The step properties, each checked; <see langword="null"/> when one of them is unusable (the diagnostics say why).</summary>
    private static List<Step>? ReadSteps(INamedTypeSymbol type, string chain, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var steps = new List<Step>();
        bool ok = true;
        foreach (var property in type.GetMembers().OfType<IPropertySymbol>())
        {
            var stepAttribute = property.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == StepAttributeName);
            if (stepAttribute is null)
            {
                continue;
            }

            var stepSyntax = stepAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var declaration = property.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<PropertyDeclarationSyntax>().FirstOrDefault();
            var location = declaration?.Identifier.GetLocation() ?? stepSyntax?.GetLocation();
            string stepName = NamedString(stepAttribute, "Name") ?? property.Name;

            if (stepName.IndexOf('/') >= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SlashInChainName, NamedArgumentLocation(stepSyntax, "Name") ?? location, "step", stepName));
                ok = false;
                continue;
            }

            string? problem = null;
            if (declaration is null || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                problem = "is not declared 'partial'";
            }
            else if (property.IsStatic)
            {
                problem = "is static";
            }
            else if (property.PartialImplementationPart is not null || declaration.ExpressionBody is not null
                     || declaration.AccessorList is null || declaration.AccessorList.Accessors.Count != 1
                     || !declaration.AccessorList.Accessors[0].IsKind(SyntaxKind.GetAccessorDeclaration)
                     || declaration.AccessorList.Accessors[0].Body is not null || declaration.AccessorList.Accessors[0].ExpressionBody is not null)
            {
                problem = "must have only a 'get;' accessor and no body (the generator writes it)";
            }

            INamedTypeSymbol? extractor = null;
            if (problem is null)
            {
                extractor = Symbols.ExtractorInterface(Symbols.Core(property.Type));
                if (extractor is null || property.Type.TypeKind is not (TypeKind.Class or TypeKind.Struct))
                {
                    problem = $"has type '{Symbols.Display(property.Type)}', which is not a class implementing IExtractor<TIn, TOut> exactly once";
                }
            }

            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StepProperty, location, stepName, chain, problem));
                ok = false;
                continue;
            }

            var extractorType = Symbols.Core(property.Type);
            bool generated = Symbols.HasAttribute(extractorType, Symbols.ExtractorAttributeName);
            if (!generated && !(extractorType is INamedTypeSymbol { IsAbstract: false } named
                                && named.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StepExtractorNotCreatable, location, stepName, Symbols.Display(extractorType)));
                ok = false;
                continue;
            }

            int order = stepAttribute.ConstructorArguments.Length == 1 && stepAttribute.ConstructorArguments[0].Value is int o ? o : 0;
            var batchedAttribute = property.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == BatchedAttributeName);
            int mode = stepAttribute.NamedArguments.FirstOrDefault(a => a.Key == "Mode").Value.Value is int m && m is >= 0 and <= 2 ? m : -1;
            var onErrorArgument = stepAttribute.NamedArguments.FirstOrDefault(a => a.Key == "OnError").Value;
            steps.Add(new Step
            {
                Property = property,
                Name = stepName,
                Order = order,
                Modifiers = string.Join(" ", declaration!.Modifiers.Select(t => t.ValueText)),
                Input = extractor!.TypeArguments[0],
                Output = extractor.TypeArguments[1],
                IsGeneratedExtractor = generated,
                StepSyntax = stepSyntax,
                StepLocation = stepSyntax?.GetLocation() ?? location,
                ExplicitMode = mode,
                MaxConcurrency = stepAttribute.NamedArguments.FirstOrDefault(a => a.Key == "MaxConcurrency").Value.Value is int c ? c : 4,
                OnError = onErrorArgument.Value is int e && e is >= 0 and <= 3 ? ErrorModeNames[e] : null,
                BatchedAttribute = batchedAttribute,
                Batch = batchedAttribute is null ? null : new BatchSpec(
                    NamedInt(batchedAttribute, "Size", 100),
                    NamedInt(batchedAttribute, "MaxConcurrentBatches", 10),
                    batchedAttribute.NamedArguments.FirstOrDefault(a => a.Key == "RetryFailedBatches").Value.Value is not false,
                    NamedInt(batchedAttribute, "MaxBatchRetries", 2)),
                Maps = [.. property.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == MapAttributeName)],
            });
        }

        return ok ? steps : null;
    }

    /// <summary>The first step takes the chain input as it is: no mappings, no batching.</summary>
    private static string? FirstStep(Step step, List<DiagnosticInfo> diagnostics)
    {
        step.Mode = step.ExplicitMode >= 0 ? step.ExplicitMode : 0;
        foreach (var map in step.Maps)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStepSettings, AttributeLocation(map) ?? step.StepLocation, step.Name, "the first step takes the chain input as it is, so it has no [Map]; mappings build the inputs of later steps"));
        }

        if (step.BatchedAttribute is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStepSettings, AttributeLocation(step.BatchedAttribute) ?? step.StepLocation, step.Name, "the first step takes the one chain input, so it cannot be [Batched]"));
        }

        CheckConcurrency(step, diagnostics);
        return null;
    }

    private static void CheckConcurrency(Step step, List<DiagnosticInfo> diagnostics)
    {
        if (step.MaxConcurrency < 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStepSettings, NamedArgumentLocation(step.StepSyntax, "MaxConcurrency") ?? step.StepLocation, step.Name, $"MaxConcurrency must be at least 1, not {step.MaxConcurrency}"));
        }
    }

    private static string Keyword(TypeDeclarationSyntax syntax) => syntax is RecordDeclarationSyntax record
        ? record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record"
        : syntax.Keyword.ValueText;

    private static string? NamedString(AttributeData attribute, string name)
        => attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is string s && s.Length > 0 ? s : null;

    private static int NamedInt(AttributeData attribute, string name, int fallback)
        => attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is int i ? i : fallback;

    private static Location? AttributeLocation(AttributeData attribute)
        => attribute.ApplicationSyntaxReference?.GetSyntax() is AttributeSyntax syntax ? syntax.GetLocation() : null;

    private static Location? PositionalArgumentLocation(AttributeData attribute, int index)
    {
        var arguments = (attribute.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax)?.ArgumentList?.Arguments;
        return arguments is { } list && list.Count > index && list[index].NameEquals is null ? list[index].GetLocation() : null;
    }

    private static Location? NamedArgumentLocation(AttributeSyntax? attribute, string name)
        => attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)?.GetLocation();

    /// <summary>A step property while it is being parsed (symbols live only inside the transform).</summary>
    private sealed class Step
    {
        public required IPropertySymbol Property { get; init; }

        public required string Name { get; init; }

        public required int Order { get; init; }

        public required string Modifiers { get; init; }

        public required ITypeSymbol Input { get; init; }

        public required ITypeSymbol Output { get; init; }

        public required bool IsGeneratedExtractor { get; init; }

        public AttributeSyntax? StepSyntax { get; init; }

        public Location? StepLocation { get; init; }

        /// <summary>The <c>Mode</c> given on <c>[Step]</c>, or -1.</summary>
        public int ExplicitMode { get; init; }

        /// <summary>The mode in force (the explicit one, else Single for the first step and Sequential for the others).</summary>
        public int Mode { get; set; }

        public int MaxConcurrency { get; init; }

        public string? OnError { get; init; }

        public AttributeData? BatchedAttribute { get; init; }

        public BatchSpec? Batch { get; init; }

        public required List<AttributeData> Maps { get; init; }
    }
}
