using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ApiPipeline.Generators.Chaining.Model;
using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Generators.Chaining;

/// <summary>
/// Turns an <c>[Output("name")]</c> class into an <see cref="OutputParseResult"/>: a <see cref="RegistryOutput"/> when the class is an
/// <c>IOutput&lt;T&gt;</c> the registry can create (generic in its one unconstrained type parameter, or for one record type, with a
/// suitable public or internal constructor), else APP0115–APP0118. Duplicate names across classes are found later, over all of them
/// (<see cref="DuplicateNames"/>). Never throws on odd input.
/// </summary>
internal static class OutputParser
{
    public const string OutputAttributeName = "ApiPipeline.OutputAttribute";

    /// <summary>What APP0116 asks for when the class is not an output of either shape.</summary>
    private const string Shapes = "; declare 'class MyOutput<T> : IOutput<T>' (one unconstrained type parameter) or 'class MyOutput : IOutput<MyRecord>'";

    /// <summary>The output types every registry has; a user output may not take their names.</summary>
    private static readonly string[] BuiltIn = ["jsonl", "json"];

    /// <summary>The <c>config:</c> keys every output has (the runtime's <c>OutputConfig</c>); an output does not declare them again.</summary>
    private static readonly string[] CommonConfigKeys = ["format", "directory", "name", "partition_by", "batch_size", "flush_interval", "max_batch_bytes"];

    public static OutputParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax syntax)
        {
            return new OutputParseResult(null, null, ImmutableEquatableArray<DiagnosticInfo>.Empty);
        }

        var attribute = context.Attributes[0];
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var nameSyntax = attributeSyntax?.ArgumentList?.Arguments.FirstOrDefault();
        var nameLocation = nameSyntax?.GetLocation() ?? syntax.Identifier.GetLocation();
        string typeName = Symbols.PlainName(type.OriginalDefinition);
        var diagnostics = new List<DiagnosticInfo>();
        string? name = attribute.ConstructorArguments.Length >= 1 ? attribute.ConstructorArguments[0].Value as string : null;
        if (string.IsNullOrWhiteSpace(name) || name!.Trim() != name)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputName, nameLocation, name ?? "", typeName, "is empty or starts or ends with white space"));
        }
        else if (BuiltIn.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputName, nameLocation, name, typeName, $"is the built-in output type '{name.ToLowerInvariant()}'"));
        }

        var configKeys = ConfigKeys(attribute, attributeSyntax, nameLocation, typeName, diagnostics);
        var record = RecordType(type, out string? problem);
        problem = record is null ? problem + Shapes : Creatable.Unnameable(type, "Output");
        if (record is null || problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputNotAnOutput, syntax.Identifier.GetLocation(), typeName, problem!));
            return Result(null, nameLocation, diagnostics);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var refused = new List<string>();
        var constructor = Creatable.FirstCallable(
            type.InstanceConstructors.Where(c => c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal),
            c => Rank(c, record),
            _ => null,
            refused);
        if (constructor is null)
        {
            string t = Symbols.Display(record);
            string why = refused.Count > 0 ? "; it has none the registry can call: " + string.Join("; ", refused) : "";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputConstructorMissing, syntax.Identifier.GetLocation(), typeName, t, why));
            return Result(null, nameLocation, diagnostics);
        }

        if (diagnostics.Count > 0)
        {
            return Result(null, nameLocation, diagnostics);
        }

        bool generic = type.Arity == 1;
        string full = Symbols.FullName(type.OriginalDefinition);
        var output = new RegistryOutput(
            name!,
            typeName,
            generic ? full.Substring(0, full.LastIndexOf('<')) : full,
            generic ? null : Symbols.FullName(record),
            (OutputConstructor)Rank(constructor, record),
            configKeys.ToImmutableEquatableArray());
        return Result(output, nameLocation, diagnostics);
    }

    /// <summary>APP0115 for every output after the first (by class name) that shares a name, case-insensitively, with another.</summary>
    public static IEnumerable<DiagnosticInfo> DuplicateNames(IEnumerable<OutputName> names)
    {
        foreach (var group in names.GroupBy(n => n.Name, StringComparer.OrdinalIgnoreCase))
        {
            var ordered = group.OrderBy(n => n.TypeName, StringComparer.Ordinal).ToList();
            foreach (var duplicate in ordered.Skip(1))
            {
                yield return new DiagnosticInfo(
                    DiagnosticDescriptors.OutputNameId,
                    duplicate.Location,
                    new[] { duplicate.Name, duplicate.TypeName, $"is already the name of '{ordered[0].TypeName}'" }.ToImmutableEquatableArray());
            }
        }
    }

    /// <summary>The declared <c>config:</c> keys (after the name); APP0118 for an empty, padded, common or repeated one, on that key.</summary>
    private static List<string> ConfigKeys(AttributeData attribute, AttributeSyntax? syntax, Location nameLocation, string typeName, List<DiagnosticInfo> diagnostics)
    {
        var keys = new List<string>();
        if (attribute.ConstructorArguments.Length < 2 || attribute.ConstructorArguments[1].Kind != TypedConstantKind.Array)
        {
            return keys;
        }

        var arguments = syntax?.ArgumentList?.Arguments;
        var values = attribute.ConstructorArguments[1].Values;
        for (int i = 0; i < values.Length; i++)
        {
            string key = values[i].Value as string ?? "";
            // Keys written one by one after the name sit at argument i + 1; an explicit array puts them all in one argument.
            var location = arguments is { } list && list.Count == values.Length + 1 ? list[i + 1].GetLocation() : nameLocation;
            string? problem = string.IsNullOrWhiteSpace(key) || key.Trim() != key ? "is empty or starts or ends with white space"
                : CommonConfigKeys.Contains(key, StringComparer.Ordinal) ? "is a setting every output has already"
                : keys.Contains(key, StringComparer.Ordinal) ? "is declared twice"
                : null;
            if (problem is null)
            {
                keys.Add(key);
            }
            else
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputConfigKey, location, key, typeName, problem));
            }
        }

        return keys;
    }

    private static OutputParseResult Result(RegistryOutput? output, Location location, List<DiagnosticInfo> diagnostics)
        => new(output, LocationInfo.From(location), diagnostics.ToImmutableEquatableArray());

    /// <summary>
    /// The record type: the class's own type parameter for a generic output (which must implement <c>IOutput</c> of it), or the one
    /// <c>IOutput&lt;T&gt;</c> a non-generic class implements; <see langword="null"/> with the reason otherwise.
    /// </summary>
    private static ITypeSymbol? RecordType(INamedTypeSymbol type, out string? problem)
    {
        problem = null;
        if (type.TypeKind != TypeKind.Class || type.IsAbstract || type.IsStatic)
        {
            problem = "is not a concrete class";
            return null;
        }

        if (type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal) || (type.ContainingType is { } container && !Symbols.IsAccessibleInAssembly(container)))
        {
            problem = "is not accessible to the generated registry (make it and its containing types public or internal)";
            return null;
        }

        if (Symbols.ContainingTypes(type).FirstOrDefault(o => o.IsGenericType) is { } outer)
        {
            problem = $"is nested in the generic type '{outer.Name}'";
            return null;
        }

        var outputs = type.AllInterfaces.Where(IsOutputInterface).ToList();
        if (type.Arity > 1)
        {
            problem = "has more than one type parameter; a generic output has exactly one, the record type";
            return null;
        }

        if (type.Arity == 1)
        {
            var parameter = type.TypeParameters[0];
            if (parameter.HasReferenceTypeConstraint || parameter.HasValueTypeConstraint || parameter.HasUnmanagedTypeConstraint
                || parameter.HasNotNullConstraint || parameter.HasConstructorConstraint || parameter.ConstraintTypes.Length > 0)
            {
                problem = $"constrains its type parameter '{parameter.Name}'; the registry creates it for any record type, so '{parameter.Name}' must be unconstrained";
                return null;
            }

            if (!outputs.Any(o => SymbolEqualityComparer.Default.Equals(o.TypeArguments[0], parameter)))
            {
                problem = $"does not implement IOutput<{parameter.Name}>";
                return null;
            }

            return parameter;
        }

        if (outputs.Count != 1)
        {
            problem = outputs.Count == 0 ? "does not implement IOutput<T>" : "implements IOutput<T> for more than one record type";
            return null;
        }

        var record = outputs[0].TypeArguments[0];
        if (!Symbols.IsAccessibleInAssembly(record))
        {
            problem = $"writes '{Symbols.Display(record)}' records, which the generated registry cannot name";
            return null;
        }

        return record;
    }

    private static bool IsOutputInterface(INamedTypeSymbol candidate)
        => candidate.OriginalDefinition is { Name: "IOutput", Arity: 1 } definition
           && definition.ContainingNamespace is { Name: "ApiPipeline", ContainingNamespace.IsGlobalNamespace: true };

    /// <summary>
    /// The constructor's place in the order of preference, the <see cref="OutputConstructor"/> the registry calls it as, or -1 when it
    /// is none of those shapes. The registry always passes both arguments, so their nullability does not matter.
    /// </summary>
    private static int Rank(IMethodSymbol constructor, ITypeSymbol record) => constructor.Parameters.Select(p => p.Type).ToList() switch
    {
        [var typeInfo, var config] when IsTypeInfoOf(typeInfo, record) && IsOutputConfig(config) => (int)OutputConstructor.TypeInfoAndConfig,
        [var config] when IsOutputConfig(config) => (int)OutputConstructor.Config,
        [] => (int)OutputConstructor.Parameterless,
        _ => -1,
    };

    private static bool IsTypeInfoOf(ITypeSymbol type, ITypeSymbol record)
        => type is INamedTypeSymbol { Name: "JsonTypeInfo", Arity: 1 } named
           && named.ContainingNamespace.ToDisplayString() == "System.Text.Json.Serialization.Metadata"
           && SymbolEqualityComparer.Default.Equals(named.TypeArguments[0], record);

    private static bool IsOutputConfig(ITypeSymbol type)
        => type is INamedTypeSymbol { Name: "OutputConfig", Arity: 0, ContainingNamespace: { Name: "ApiPipeline", ContainingNamespace.IsGlobalNamespace: true } };
}
