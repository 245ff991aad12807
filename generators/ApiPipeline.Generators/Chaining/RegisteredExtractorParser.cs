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
/// Turns a <c>[RegisteredExtractor("name", Json = …)]</c> class (a hand-written <c>IExtractor&lt;TIn, TOut&gt;</c>) into a
/// <see cref="RegistryExtractor"/> with its name, record metadata and factory, or into APP0119 saying why the registry cannot list it.
/// Never throws on odd input.
/// </summary>
internal static class RegisteredExtractorParser
{
    public const string AttributeName = "ApiPipeline.RegisteredExtractorAttribute";

    private const string HttpClientName = "System.Net.Http.HttpClient";
    private const string OptionsName = "ApiPipeline.ExtractorOptions";

    public static RegisteredExtractorResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax syntax)
        {
            return new RegisteredExtractorResult(null, ImmutableEquatableArray<DiagnosticInfo>.Empty);
        }

        var attribute = context.Attributes[0];
        string typeName = Symbols.PlainName(type.OriginalDefinition);
        string? name = attribute.ConstructorArguments.Length >= 1 ? attribute.ConstructorArguments[0].Value as string : null;
        var json = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Json").Value.Value as INamedTypeSymbol;
        string? problem = Problem(type, name, json, out var factory);
        cancellationToken.ThrowIfCancellationRequested();
        var entry = problem is null ? RegistryParser.Parse(type, cancellationToken) : null;
        if (problem is null && entry is null)
        {
            problem = "has an input or record type that is not accessible to the generated registry; make them public or internal";
        }

        if (problem is not null)
        {
            var location = (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax)?.GetLocation() ?? syntax.Identifier.GetLocation();
            return new RegisteredExtractorResult(null, new[] { DiagnosticInfo.Create(DiagnosticDescriptors.RegisteredExtractor, location, typeName, problem) }.ToImmutableEquatableArray());
        }

        return new RegisteredExtractorResult(entry! with { HandWritten = new HandWrittenExtractor(name!, Symbols.FullName(json!), factory!) }, ImmutableEquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>Why the registry cannot list <paramref name="type"/>, with what to do; <see langword="null"/> (and the factory) when it can.</summary>
    private static string? Problem(INamedTypeSymbol type, string? name, INamedTypeSymbol? json, out string? factory)
    {
        factory = null;
        if (type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "ApiPipeline.ExtractorAttribute"))
        {
            return "is an [Extractor] class, which the registry lists already; remove [RegisteredExtractor] (name it with [Extractor(Name = \"…\")])";
        }

        if (type.TypeKind != TypeKind.Class || type.IsAbstract || type.IsStatic)
        {
            return "is not a concrete class; register a non-abstract class that implements IExtractor<TIn, TOut>";
        }

        if (type.IsGenericType || Outer(type).Any(o => o.IsGenericType))
        {
            return "is generic or nested in a generic type; register a closed, non-generic class";
        }

        if (type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal) || Outer(type).Any(o => !Symbols.IsAccessibleInAssembly(o)))
        {
            return "is not accessible to the generated registry; make it and its containing types public or internal";
        }

        if (type.IsFileLocal || Outer(type).Any(o => o.IsFileLocal))
        {
            return "is file-local (or nested in a file-local type), so the generated registry, in another file, cannot name it; declare it without the file modifier";
        }

        if (IsObsoleteAsError(type) || Outer(type).Any(IsObsoleteAsError))
        {
            return "is [Obsolete] as an error (or nested in such a type), so the generated registry cannot name it; remove [RegisteredExtractor] or the error flag";
        }

        if (Symbols.ExtractorInterface(type) is not { } extractor)
        {
            return "does not implement IExtractor<TIn, TOut> (exactly once); implement it for one input and record type";
        }

        if (string.IsNullOrWhiteSpace(name) || name!.Trim() != name)
        {
            return $"is registered as '{name}', which is empty or starts or ends with white space; give the name the CLI and configuration files use, e.g. [RegisteredExtractor(\"custom_api\", Json = typeof(MyJsonContext))]";
        }

        if (json is null || !Symbols.IsJsonContext(json))
        {
            string record = Symbols.Display(extractor.TypeArguments[1]);
            return $"needs Json = typeof(a JsonSerializerContext with [JsonSerializable(typeof({record}))]), which outputs write its records with";
        }

        var refused = new List<string>();
        var required = RequiredMembers(type);
        IMethodSymbol? constructor = null;
        foreach (var candidate in type.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public)
            .Select(c => (Constructor: c, Rank: Rank(c)))
            .Where(c => c.Rank >= 0)
            .OrderBy(c => c.Rank)
            .Select(c => c.Constructor))
        {
            if (Refusal(candidate, required) is { } refusal)
            {
                refused.Add($"{Signature(candidate)} {refusal}");
                continue;
            }

            constructor = candidate;
            break;
        }

        if (constructor is null)
        {
            return refused.Count > 0
                ? "has no public constructor the registry can call: " + string.Join("; ", refused)
                : "has no public constructor the registry can call; declare one of (HttpClient? httpClient, ExtractorOptions? options), (ExtractorOptions? options), (HttpClient? httpClient) or ()";
        }

        string full = Symbols.FullName(type);
        string arguments = string.Join(", ", constructor.Parameters.Select(p => Is(p.Type, HttpClientName) ? "httpClient" : "options"));
        string client = constructor.Parameters.Any(p => Is(p.Type, HttpClientName)) ? "httpClient" : "_";
        string options = constructor.Parameters.Any(p => Is(p.Type, OptionsName)) ? "options" : "_";
        factory = $"static ({client}, {options}) => new {full}({arguments})";
        return null;
    }

    /// <summary>The constructor's place in the order of preference, or -1 when the registry cannot call it.</summary>
    private static int Rank(IMethodSymbol constructor) => constructor.Parameters.Select(p => p.Type).ToList() switch
    {
        [var client, var options] when Is(client, HttpClientName) && Is(options, OptionsName) => 0,
        [var options] when Is(options, OptionsName) => 1,
        [var client] when Is(client, HttpClientName) => 2,
        [] => 3,
        _ => -1,
    };

    /// <summary>
    /// Why the registry cannot call <paramref name="constructor"/> (whose parameter types fit), with what to do; <see langword="null"/>
    /// when it can. <paramref name="required"/> are the class's required members, which only a <c>[SetsRequiredMembers]</c>
    /// constructor lets the registry leave out.
    /// </summary>
    private static string? Refusal(IMethodSymbol constructor, IReadOnlyList<string> required)
    {
        if (constructor.Parameters.FirstOrDefault(p => p.RefKind != RefKind.None) is { } byReference)
        {
            return $"takes '{byReference.Name}' by {RefKindText(byReference.RefKind)}, but the registry passes its arguments by value";
        }

        if (constructor.Parameters.FirstOrDefault(p => p.NullableAnnotation == NullableAnnotation.NotAnnotated) is { } notNull)
        {
            return $"takes '{notNull.Name}' as non-nullable, but the registry passes null when the host has no {notNull.Type.Name} to give (declare it {notNull.Type.Name}?)";
        }

        if (IsObsoleteAsError(constructor))
        {
            return "is [Obsolete] as an error";
        }

        if (required.Count > 0 && !Symbols.HasAttribute(constructor, "System.Diagnostics.CodeAnalysis.SetsRequiredMembersAttribute"))
        {
            string members = string.Join(", ", required.Select(m => $"'{m}'"));
            return $"does not set the required member{(required.Count == 1 ? "" : "s")} {members} (mark it [SetsRequiredMembers])";
        }

        return null;
    }

    /// <summary>The names of the class's required fields and properties, its base classes' included.</summary>
    private static List<string> RequiredMembers(INamedTypeSymbol type)
    {
        var names = new List<string>();
        for (var current = type; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true } && !names.Contains(member.Name))
                {
                    names.Add(member.Name);
                }
            }
        }

        return names;
    }

    /// <summary>Whether <paramref name="symbol"/> has <c>[Obsolete(message, true)]</c>, which makes every use of it an error (CS0619).</summary>
    private static bool IsObsoleteAsError(ISymbol symbol)
        => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.ObsoleteAttribute"
                                           && a.ConstructorArguments.Length == 2 && a.ConstructorArguments[1].Value is true);

    /// <summary>The constructor as a person writes it: <c>CustomApi(out ExtractorOptions? options)</c>.</summary>
    private static string Signature(IMethodSymbol constructor)
        => constructor.ContainingType.Name + "(" + string.Join(", ", constructor.Parameters.Select(p =>
            (p.RefKind == RefKind.None ? "" : RefKindText(p.RefKind) + " ") + Symbols.Display(p.Type) + " " + p.Name)) + ")";

    private static string RefKindText(RefKind kind) => kind switch
    {
        RefKind.Ref => "ref",
        RefKind.Out => "out",
        RefKind.In => "in",
        _ => "ref readonly",
    };

    private static bool Is(ITypeSymbol type, string name) => type.WithNullableAnnotation(NullableAnnotation.None).ToDisplayString() == name;

    private static IEnumerable<INamedTypeSymbol> Outer(INamedTypeSymbol type)
    {
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            yield return outer;
        }
    }
}
