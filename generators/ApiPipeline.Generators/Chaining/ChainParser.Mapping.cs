using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ApiPipeline.Generators.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Generators.Chaining;

internal static partial class ChainParser
{
    private static readonly HashSet<string> CollectionTypes = new(StringComparer.Ordinal)
    {
        "System.Collections.Generic.IEnumerable<T>",
        "System.Collections.Generic.IReadOnlyList<T>",
        "System.Collections.Generic.IReadOnlyCollection<T>",
        "System.Collections.Generic.IList<T>",
        "System.Collections.Generic.ICollection<T>",
        "System.Collections.Generic.List<T>",
        "System.Collections.Immutable.ImmutableArray<T>",
    };

    /// <summary>
    /// The body of a later step's mapping lambda: <c>parent</c> itself when the step takes the previous record as it is, else
    /// <c>new Input(Param: …) { Property = … }</c> with every value converted safely. Reports each problem at the attribute argument.
    /// A mapping <c>FromStep</c> a step before the previous one reads that step's record from the lineage; its position goes to
    /// <paramref name="reads"/>.
    /// </summary>
    private static string? Mapping(string chain, List<Step> steps, int index, Compilation compilation, SortedSet<int> reads, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var step = steps[index];
        var previous = steps[index - 1];
        var chainInput = steps[0].Input;
        int before = diagnostics.Count;
        step.Mode = step.ExplicitMode >= 0 ? step.ExplicitMode : 1;
        CheckConcurrency(step, diagnostics);
        bool batched = step.Batch is not null;
        if (batched)
        {
            if (step.ExplicitMode >= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStepSettings, NamedArgumentLocation(step.StepSyntax, "Mode") ?? step.StepLocation, step.Name, "a [Batched] step runs its batches in parallel (at most MaxConcurrentBatches at once); remove Mode"));
            }

            var batch = step.Batch!;
            if (batch.Size < 1 || batch.MaxConcurrentBatches < 1 || batch.MaxBatchRetries < 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStepSettings, AttributeLocation(step.BatchedAttribute!) ?? step.StepLocation, step.Name, $"[Batched] needs Size >= 1 (is {batch.Size}), MaxConcurrentBatches >= 1 (is {batch.MaxConcurrentBatches}) and MaxBatchRetries >= 0 (is {batch.MaxBatchRetries})"));
            }
        }

        var input = step.Input;
        var parent = previous.Output;
        if (step.Maps.Count == 0 && !batched && Conversions.Classify(parent, input, compilation) == ConversionKind.Same)
        {
            // The step takes the previous record as it is.
            return diagnostics.Count > before ? null : "parent";
        }

        var creation = Symbols.Creation(input);
        if (creation is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StepInputNotCreatable, step.StepLocation, step.Name, Symbols.Display(input)));
            return null;
        }

        var assigned = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var map in step.Maps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (map.ConstructorArguments.Length != 1 || map.ConstructorArguments[0].Value is not string source || source.Length == 0)
            {
                continue;
            }

            var mapSyntax = map.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var sourceLocation = PositionalArgumentLocation(map, 0) ?? mapSyntax?.GetLocation() ?? step.StepLocation;
            var toLocation = NamedArgumentLocation(mapSyntax, "To") ?? sourceLocation;
            bool fromChainInput = map.NamedArguments.FirstOrDefault(a => a.Key == "From").Value.Value is 1;
            string? to = NamedString(map, "To");
            int sourceStep = index - 1;
            string? fromStep = NamedString(map, "FromStep");
            if (fromStep is not null)
            {
                var fromStepLocation = NamedArgumentLocation(mapSyntax, "FromStep") ?? sourceLocation;
                int named = steps.FindIndex(s => s.Name == fromStep || s.Property.Name == fromStep);
                if (named < 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapSourceStepNotFound, fromStepLocation, step.Name, source, fromStep, chain, Names(steps.Select(s => s.Name))));
                    continue;
                }

                string? problem = fromChainInput ? "From = MapFrom.ChainInput names another source; set either From or FromStep"
                    : named == index ? "it is this step itself; map from a step before it"
                    : named > index ? $"it is step {named + 1} and runs after this step (step {index + 1}); map from a step before it"
                    : batched && named < index - 1 ? $"this step is [Batched] and builds one input from many records of step '{previous.Name}', each descending from its own record of step '{steps[named].Name}'; map from the previous step or the chain input"
                    : steps.Skip(named + 1).Take(index - 1 - named).FirstOrDefault(s => s.Batch is not null) is { } batchedStep
                        ? $"its records reach this step only through the [Batched] step '{batchedStep.Name}', which builds one input from many records; map from a step after it"
                    : null;
                if (problem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapSourceStepNotEarlier, fromStepLocation, step.Name, source, fromStep, problem));
                    continue;
                }

                sourceStep = named;
            }

            // The source: a member path on the chain input, the previous record, or an earlier step's record in the lineage.
            bool fromLineage = !fromChainInput && sourceStep < index - 1;
            var root = fromChainInput ? chainInput : steps[sourceStep].Output;
            string rootDescription = fromChainInput ? "the chain input" : $"the record of step '{steps[sourceStep].Name}'";
            string expression = fromChainInput ? "input"
                : fromLineage ? $"lineage.Get<{Symbols.FullName(root)}>({(sourceStep + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)})"
                : batched ? "p" : "parent";
            var current = root;
            bool mayBeNull = false;
            bool found = true;
            var segments = source.Split('.');
            foreach (var segment in segments)
            {
                var members = Symbols.Readable(Symbols.Core(current));
                var member = members.FirstOrDefault(m => m.Name == segment);
                if (member.Type is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapSourceNotFound, sourceLocation, step.Name, segment, Symbols.Display(Symbols.Core(current)), ReferenceEquals(current, root) ? rootDescription : $"reached by '{source}'", Names(members.Select(m => m.Name))));
                    found = false;
                    break;
                }

                // '?.' only on what can be null itself: inside a null-conditional read, a struct is reached only when its object was not null.
                bool conditional = mayBeNull && (!current.IsValueType || Symbols.IsNullableValue(current));
                expression = (conditional ? expression + "?." : expression + ".") + Symbols.Escape(member.Name);
                current = member.Type;
                mayBeNull |= Symbols.AllowsNull(member.Type);
            }

            if (!found)
            {
                continue;
            }

            string targetName = to ?? segments[segments.Length - 1];
            var target = creation.Find(targetName);
            if (target is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapTargetNotFound, toLocation, step.Name, targetName, Symbols.Display(input), Names(creation.Writable.Select(w => w.Name))));
                continue;
            }

            if (assigned.ContainsKey(target.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateMapTarget, toLocation, step.Name, target.Name, Symbols.Display(input)));
                continue;
            }

            string sourcePath = fromChainInput ? "input." + source : fromStep is not null ? steps[sourceStep].Name + "." + source : source;
            string? value;
            if (batched && !fromChainInput)
            {
                value = BatchValue(step, target, input, current, expression, mayBeNull, sourcePath, sourceLocation, toLocation, compilation, diagnostics);
            }
            else
            {
                var kind = Conversions.Classify(current, target.Type, compilation);
                if (kind == ConversionKind.None)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapTypeMismatch, sourceLocation, step.Name, sourcePath, Symbols.Display(current), target.Name, Symbols.Display(target.Type), Symbols.Display(input)));
                    value = null;
                }
                else
                {
                    value = Conversions.Apply(kind, expression, mayBeNull, Symbols.AllowsNull(target.Type), step.Name, sourcePath, target.Name);
                }
            }

            if (value is not null)
            {
                assigned[target.Name] = value;
                if (fromLineage)
                {
                    reads.Add(sourceStep + 1);
                }
            }
        }

        // Missing members are reported once the declared mappings are right, so a mistyped mapping is not reported twice.
        if (diagnostics.Count == before)
        {
            foreach (var writable in creation.Writable)
            {
                if (writable.Required && !assigned.ContainsKey(writable.Name))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnmappedInput, step.StepLocation, step.Name, writable.Name, Symbols.Display(writable.Type), Symbols.Display(input), Symbols.Display(parent)));
                }
            }
        }

        if (diagnostics.Count > before)
        {
            return null;
        }

        var arguments = creation.Writable.Where(w => w.Kind == WritableKind.Parameter && assigned.ContainsKey(w.Name)).Select(w => $"{Symbols.Escape(w.Name)}: {assigned[w.Name]}");
        var initializers = creation.Writable.Where(w => w.Kind != WritableKind.Parameter && assigned.ContainsKey(w.Name)).Select(w => $"{Symbols.Escape(w.Name)} = {assigned[w.Name]}").ToList();
        string created = $"new {Symbols.FullName(input)}({string.Join(", ", arguments)})";
        return initializers.Count == 0 ? created : $"{created} {{ {string.Join(", ", initializers)} }}";
    }

    /// <summary>One value per record of a batch, collected into a collection member or joined with commas into a string member.</summary>
    private static string? BatchValue(Step step, Writable target, ITypeSymbol input, ITypeSymbol source, string expression, bool mayBeNull, string sourcePath, Location? sourceLocation, Location? toLocation, Compilation compilation, List<DiagnosticInfo> diagnostics)
    {
        var targetCore = Symbols.Core(target.Type);
        bool joined = targetCore.SpecialType == SpecialType.System_String;
        var element = joined ? targetCore : CollectionElement(targetCore);
        if (element is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BatchedMapTarget, toLocation, step.Name, target.Name, Symbols.Display(target.Type), Symbols.Display(input), Symbols.Display(Symbols.Core(source))));
            return null;
        }

        var kind = Conversions.Classify(source, element, compilation);
        if (kind == ConversionKind.None)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MapTypeMismatch, sourceLocation, step.Name, sourcePath, Symbols.Display(source), target.Name + (joined ? "" : "[…]"), Symbols.Display(element), Symbols.Display(input)));
            return null;
        }

        string each = Conversions.Apply(kind, expression, mayBeNull, Symbols.AllowsNull(element) && !joined, step.Name, sourcePath, target.Name);
        string select = $"global::System.Linq.Enumerable.Select(batch, static p => {each})";
        return joined ? $"string.Join(\",\", {select})" : $"[.. {select}]";
    }

    private static ITypeSymbol? CollectionElement(ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            return array.ElementType;
        }

        return type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named && CollectionTypes.Contains(named.OriginalDefinition.ToDisplayString())
            ? named.TypeArguments[0]
            : null;
    }

    private static string Names(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count == 0 ? "(none)" : string.Join(", ", list);
    }
}
