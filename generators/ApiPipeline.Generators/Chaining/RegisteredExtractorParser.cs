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
            return new RegisteredExtractorResult(null, new[] { DiagnosticInfo.Create(DiagnosticDescriptors.RegisteredExtractorNotListed, location, typeName, problem) }.ToImmutableEquatableArray());
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

        if (type.IsGenericType || Symbols.ContainingTypes(type).Any(o => o.IsGenericType))
        {
            return "is generic or nested in a generic type; register a closed, non-generic class";
        }

        if (type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal) || Symbols.ContainingTypes(type).Any(o => !Symbols.IsAccessibleInAssembly(o)))
        {
            return "is not accessible to the generated registry; make it and its containing types public or internal";
        }

        if (Creatable.Unnameable(type, "RegisteredExtractor") is { } unnameable)
        {
            return unnameable;
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
        var constructor = Creatable.FirstCallable(type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public), Rank, NotNullable, refused);
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

    /// <summary>Why the registry cannot pass the parameter its argument: it passes <see langword="null"/> when the host has none to give.</summary>
    private static string? NotNullable(IParameterSymbol parameter)
        => parameter.NullableAnnotation == NullableAnnotation.NotAnnotated
            ? $"takes '{parameter.Name}' as non-nullable, but the registry passes null when the host has no {parameter.Type.Name} to give (declare it {parameter.Type.Name}?)"
            : null;

    private static bool Is(ITypeSymbol type, string name) => type.WithNullableAnnotation(NullableAnnotation.None).ToDisplayString() == name;
}
