using System;
using System.Collections.Generic;
using System.Linq;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Checks that the <c>Json</c> context of an extractor registers its record type (APP1201): an <c>[Extractor]</c> reads records
/// through it, and outputs write a hand-written <c>[RegisteredExtractor]</c>'s records through it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class JsonContextAnalyzer : ExtractorAnalyzer
{
    public const string RecordTypeNotRegisteredId = "APP1201";

    public static readonly DiagnosticDescriptor RecordTypeNotRegistered = new(
        RecordTypeNotRegisteredId,
        "JSON context does not register the record type",
        "The JSON context '{0}' of extractor '{1}' has no [JsonSerializable(typeof({2}))], so reading or writing its records fails at run time; add the attribute to '{0}'",
        DiagnosticCategories.Json,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(RecordTypeNotRegisteredId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [RecordTypeNotRegistered];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        // Passthrough: RawRecord<TFields> needs TFields in the context, not RawRecord itself.
        if (Unregistered(extractor.JsonContext, WatermarkKeyAnalyzer.RecordFields(extractor.OutputType), extractor.Known) is { } record)
        {
            var location = AttributeSyntaxes.ValueLocation(AttributeSyntaxes.NamedArgument(extractor.Syntax, "Json"), extractor.Syntax);
            extractor.Report(RecordTypeNotRegistered, location, extractor.JsonContext!.Name, extractor.Name, record.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
        }
    }

    /// <inheritdoc/>
    protected override void AnalyzeRegisteredExtractor(RegisteredExtractorContext extractor)
    {
        // The registry asks the context for TOut itself (ExtractorJson.GetTypeInfo<TOut>).
        if (Unregistered(extractor.JsonContext, extractor.OutputType, extractor.Known) is { } record)
        {
            var location = AttributeSyntaxes.ValueLocation(AttributeSyntaxes.NamedArgument(extractor.Syntax, "Json"), extractor.Syntax);
            extractor.Report(RecordTypeNotRegistered, location, extractor.JsonContext!.Name, extractor.Name ?? extractor.Type.Name, record.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
        }
    }

    /// <summary><paramref name="needed"/> when <paramref name="context"/> does not register it; <see langword="null"/> when it does, or when either is unknown.</summary>
    private static ITypeSymbol? Unregistered(INamedTypeSymbol? context, ITypeSymbol? needed, KnownTypes known)
        => context is null || needed is null || context.TypeKind == TypeKind.Error || !IsJsonContext(context, known) || known.JsonSerializableAttribute is null
           || Registers(context, needed, known)
            ? null
            : needed;

    /// <summary>
    /// Whether <paramref name="context"/> has metadata for <paramref name="type"/>: System.Text.Json's generator writes it for every
    /// type registered with <c>[JsonSerializable]</c> and every type reachable from one (element and type arguments, public
    /// properties), and the context's <c>GetTypeInfo(Type)</c> returns any of them.
    /// </summary>
    internal static bool Registers(INamedTypeSymbol context, ITypeSymbol type, KnownTypes known)
    {
        var pending = new Stack<ITypeSymbol>();
        foreach (var attribute in context.GetAttributes())
        {
            if (KnownTypes.Is(attribute, known.JsonSerializableAttribute)
                && attribute.ConstructorArguments.Length >= 1
                && attribute.ConstructorArguments[0].Value is ITypeSymbol registered)
            {
                pending.Push(registered);
            }
        }

        var seen = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (!seen.Add(current))
            {
                continue;
            }

            if (SymbolEqualityComparer.Default.Equals(current, type))
            {
                return true;
            }

            switch (current)
            {
                case IArrayTypeSymbol array:
                    pending.Push(array.ElementType);
                    break;
                case INamedTypeSymbol named:
                    foreach (var argument in named.TypeArguments)
                    {
                        pending.Push(argument);
                    }

                    if (named.ContainingNamespace?.ToDisplayString() is not { } ns || !(ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal)))
                    {
                        // Members (public properties; fields too, with IncludeFields or [JsonInclude], counted generously: a registration
                        // missed here only fails at run time, one invented here breaks a valid build) and [JsonDerivedType] subtypes.
                        foreach (var attribute in named.GetAttributes())
                        {
                            if (attribute.AttributeClass?.ToDisplayString() == "System.Text.Json.Serialization.JsonDerivedTypeAttribute"
                                && attribute.ConstructorArguments.Length >= 1 && attribute.ConstructorArguments[0].Value is ITypeSymbol derived)
                            {
                                pending.Push(derived);
                            }
                        }

                        for (var level = named; level is not null; level = level.BaseType)
                        {
                            foreach (var member in level.GetMembers())
                            {
                                if (member.IsStatic)
                                {
                                    continue;
                                }

                                bool included = member.DeclaredAccessibility == Accessibility.Public
                                    || member.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.Text.Json.Serialization.JsonIncludeAttribute");
                                if (member is IPropertySymbol { IsIndexer: false } property && included)
                                {
                                    pending.Push(property.Type);
                                }
                                else if (member is IFieldSymbol { IsImplicitlyDeclared: false } field && included)
                                {
                                    pending.Push(field.Type);
                                }
                            }
                        }
                    }

                    break;
            }
        }

        return false;
    }

    private static bool IsJsonContext(INamedTypeSymbol type, KnownTypes known)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, known.JsonSerializerContext))
            {
                return true;
            }
        }

        return false;
    }
}
