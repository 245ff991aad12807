using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers;

/// <summary>
/// APP1601: a <c>[Watermark]</c> with a <c>Lag</c> above zero reads the last <c>Lag</c> of records again on every run; without a
/// key (<c>Key = "…"</c>, or a <c>[Key]</c> member on the record type) they cannot be de-duplicated and arrive twice.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class WatermarkKeyAnalyzer : ExtractorAnalyzer
{
    public const string LagWithoutKeyId = "APP1601";

    /// <summary>Diagnostic property: the record member named <c>Id</c> the fix marks with <c>[Key]</c>, when there is one in source.</summary>
    public const string IdMemberProperty = "IdMember";

    public static readonly DiagnosticDescriptor LagWithoutKey = new(
        LagWithoutKeyId,
        "Watermark lag without a record key",
        "Extractor '{0}' reads the last {1} again on every run (Lag), but its record type '{2}' has no key, so those records cannot be de-duplicated and are delivered twice; mark the record's primary key with [Key] or set Key = \"…\" on [Watermark]",
        DiagnosticCategories.State,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        helpLinkUri: HelpLinks.For(LagWithoutKeyId));

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [LagWithoutKey];

    /// <inheritdoc/>
    protected override void AnalyzeExtractor(ExtractorContext extractor)
    {
        if (extractor.FindAttribute("ApiPipeline.WatermarkAttribute") is not { } watermark
            || watermark.Setting<string>("Key") is not null
            || watermark.Setting<string>("Lag") is not { } lag
            || !IsPositive(lag, WatermarkField.IsNumeric(extractor, watermark))
            || RecordFields(extractor.OutputType) is not INamedTypeSymbol record
            || record.TypeKind == TypeKind.Error
            || extractor.Known.Get("ApiPipeline.KeyAttribute") is not { } keyAttribute
            || HasKey(record, keyAttribute, extractor.Known.Get("System.ComponentModel.DataAnnotations.KeyAttribute")))
        {
            return;
        }

        var properties = ImmutableDictionary<string, string?>.Empty;
        if (FindId(record) is { } id)
        {
            properties = properties.Add(IdMemberProperty, id.Name);
        }

        extractor.Report(LagWithoutKey, watermark.ValueLocation("Lag"), properties, extractor.Name, lag, record.Name);
    }

    /// <summary>Whether a lag reads records again: a duration above zero, or (numeric watermark) a number of units above zero.</summary>
    private static bool IsPositive(string lag, bool numeric)
        => numeric
            ? long.TryParse(lag, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long units) && units > 0
            : DurationGrammar.TryParse(lag, out long ticks, out _) && ticks > 0;

    /// <summary>The record type whose members hold the key: <c>TFields</c> of a passthrough <c>RawRecord&lt;TFields&gt;</c>, else the output type.</summary>
    internal static ITypeSymbol? RecordFields(ITypeSymbol? output)
        => output is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } raw
            && raw.OriginalDefinition.ToDisplayString() == "ApiPipeline.RawRecord<TFields>"
                ? raw.TypeArguments[0]
                : output;

    /// <summary>
    /// Whether <paramref name="record"/> has a key the generator takes: a public instance property or field marked with ApiPipeline's
    /// <c>[Key]</c> or the DataAnnotations one, or a marked constructor parameter (its own or a base record's) named exactly like such a property (not a field,
    /// as the generator matches them; a positional record's <c>[property: Key]</c> lands on the property itself).
    /// </summary>
    private static bool HasKey(INamedTypeSymbol record, INamedTypeSymbol keyAttribute, INamedTypeSymbol? dataAnnotationsKey)
    {
        var properties = new HashSet<string>(StringComparer.Ordinal);
        for (INamedTypeSymbol? current = record; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers())
            {
                if (member is IPropertySymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public } or IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public })
                {
                    if (Marked(member, keyAttribute, dataAnnotationsKey))
                    {
                        return true;
                    }

                    if (member is IPropertySymbol)
                    {
                        properties.Add(member.Name);
                    }
                }
            }
        }

        // A [Key] on a positional parameter, the record's own or a base record's, marks the property of that name.
        for (var current = record; current is not null; current = current.BaseType)
        {
            foreach (var constructor in current.InstanceConstructors)
            {
                foreach (var parameter in constructor.Parameters)
                {
                    if (properties.Contains(parameter.Name) && Marked(parameter, keyAttribute, dataAnnotationsKey))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool Marked(ISymbol symbol, INamedTypeSymbol keyAttribute, INamedTypeSymbol? dataAnnotationsKey)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (KnownTypes.Is(attribute, keyAttribute) || (dataAnnotationsKey is not null && KnownTypes.Is(attribute, dataAnnotationsKey)))
            {
                return true;
            }
        }

        return false;
    }

    private static ISymbol? FindId(INamedTypeSymbol record)
    {
        foreach (var member in record.GetMembers("Id"))
        {
            if (member is IPropertySymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public } or IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public }
                && !member.DeclaringSyntaxReferences.IsDefaultOrEmpty)
            {
                return member;
            }
        }

        return null;
    }
}
