using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using ApiPipeline.Generators.Diagnostics;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ApiPipeline.Generators;

public sealed partial class PipelineGenerator
{
    /// <content>Reads <c>[Watermark]</c> and the record's <c>[Key]</c> into <c>WatermarkOptions</c> initializers.</content>
    internal static partial class Parser
    {
        private const string WatermarkAttributeName = "ApiPipeline.WatermarkAttribute";
        private static readonly string[] KeyAttributeNames = ["ApiPipeline.KeyAttribute", "System.ComponentModel.DataAnnotations.KeyAttribute"];

        /// <summary>
        /// The watermark's initializers, or <see langword="null"/> without <c>[Watermark]</c>. A timestamp field (<c>DateTimeOffset</c>,
        /// <c>DateTime</c>) takes durations; a whole-number field (<c>long</c>, <c>int</c>) takes its <c>Lag</c>, <c>AllowedLateness</c> and
        /// <c>Initial</c> as numbers. A field of another type, a missing key or a number that does not parse adds APP0007.
        /// <paramref name="path"/> leads from the record to <paramref name="record"/>'s members (<c>Fields.</c> for a passthrough
        /// extractor's <c>RawRecord&lt;TFields&gt;</c>, else empty): the watermark's <c>Field</c> is the record member path it follows.
        /// </summary>
        private static ImmutableEquatableArray<PropertyInit>? ParseWatermark(INamedTypeSymbol type, ITypeSymbol record, string name, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken, string path)
        {
            string access = "r." + path;
            var attribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == WatermarkAttributeName);
            if (attribute is null || attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not string field)
            {
                return null;
            }

            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var location = syntax?.ArgumentList?.Arguments.FirstOrDefault()?.GetLocation() ?? syntax?.GetLocation();
            var member = FindMember(record, field);
            bool numeric = member is { } candidate && IsWholeNumber(candidate.Type);
            string? read = member switch
            {
                null => null,
                _ when IsTime(member.Value.Type, out bool isDateTime) => isDateTime
                    ? $"static r => global::ApiPipeline.RecordTime.FromDateTime({access}{Escape(member.Value.Name)})"
                    : $"static r => {access}{Escape(member.Value.Name)}",
                _ when numeric => $"static r => (long?){access}{Escape(member.Value.Name)}",
                _ => null,
            };
            if (read is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidWatermark,
                    location,
                    name,
                    member is null
                        ? $"'{field}' is not a public property or field of the record type '{record.Name}'; name a DateTimeOffset, DateTime, long or int member, e.g. [Watermark(nameof({record.Name}.UpdatedAt))]"
                        : $"'{record.Name}.{field}' is a {member.Value.Type.ToDisplayString()}, not a DateTimeOffset, DateTime, long or int; name a timestamp or a growing number (an id, a sequence number) of the record"));
                return null;
            }

            string memberName = member!.Value.Name;
            var inits = new List<PropertyInit>
            {
                new("Field", SymbolDisplay.FormatLiteral(path + memberName, quote: true)),
                new("Read", read),
            };
            if (numeric)
            {
                inits.Add(new("Kind", "global::ApiPipeline.WatermarkKind.Number"));
            }

            string? keyMember = null;
            foreach (var argument in attribute.NamedArguments)
            {
                switch (argument.Key)
                {
                    case "Param" or "UntilParam" when argument.Value.Value is string text:
                        inits.Add(new(argument.Key, SymbolDisplay.FormatLiteral(text, quote: true)));
                        break;
                    case "Lag" or "AllowedLateness" when argument.Value.Value is string duration && !numeric:
                        inits.Add(new(argument.Key, $"global::ApiPipeline.Duration.Parse({SymbolDisplay.FormatLiteral(duration, quote: true)})"));
                        break;
                    case "Lag" or "AllowedLateness" when argument.Value.Value is string units:
                        if (!long.TryParse(units, NumberStyles.None, CultureInfo.InvariantCulture, out long count))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidWatermark, location, name, $"'{record.Name}.{memberName}' is a number, so {argument.Key} counts its units and must be a whole number of zero or more, not \"{units}\" (e.g. {argument.Key} = \"100\")"));
                            return null;
                        }

                        inits.Add(new(argument.Key, $"global::ApiPipeline.WatermarkSpan.FromNumber({count.ToString(CultureInfo.InvariantCulture)})"));
                        break;
                    case "Initial" when argument.Value.Value is string initial && !numeric:
                        inits.Add(new("Initial", $"global::System.DateTimeOffset.Parse({SymbolDisplay.FormatLiteral(initial, quote: true)}, global::System.Globalization.CultureInfo.InvariantCulture, global::System.Globalization.DateTimeStyles.AssumeUniversal)"));
                        break;
                    case "Initial" when argument.Value.Value is string initial:
                        if (!long.TryParse(initial, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long start))
                        {
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidWatermark, location, name, $"'{record.Name}.{memberName}' is a number, so Initial must be a whole number, not \"{initial}\" (e.g. Initial = \"1000\")"));
                            return null;
                        }

                        inits.Add(new("Initial", $"global::ApiPipeline.WatermarkValue.FromNumber({start.ToString(CultureInfo.InvariantCulture)})"));
                        break;
                    case "Late" when argument.Value.Value is int late:
                        inits.Add(new("Late", $"(global::ApiPipeline.LateRecordPolicy)({late.ToString(CultureInfo.InvariantCulture)})"));
                        break;
                    case "Key" when argument.Value.Value is string key:
                        keyMember = key;
                        break;
                }
            }

            var keyed = keyMember is not null ? FindMember(record, keyMember) : FindKeyMember(record);
            if (keyMember is not null && keyed is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidWatermark, location, name, $"the Key '{keyMember}' is not a public property or field of the record type '{record.Name}'; name the record's primary key member, or mark it with [Key]"));
                return null;
            }

            if (keyed is { } k)
            {
                string key = access + Escape(k.Name);
                inits.Add(new("Key", KeyText(k.Type, key)));
            }

            return inits.ToImmutableEquatableArray();
        }

        private static (string Name, ITypeSymbol Type)? FindMember(ITypeSymbol record, string name)
        {
            for (var current = record; current is not null; current = current.BaseType)
            {
                foreach (var symbol in current.GetMembers(name))
                {
                    switch (symbol)
                    {
                        case IPropertySymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public } p:
                            return (p.Name, p.Type);
                        case IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public } f:
                            return (f.Name, f.Type);
                    }
                }
            }

            return null;
        }

        /// <summary>
        /// The key lambda: the text of the key member in the invariant culture. An enum gives its name (its formatting overload is
        /// obsolete); a struct that implements <c>IFormattable</c> only explicitly is formatted through the interface.
        /// </summary>
        private static string KeyText(ITypeSymbol type, string key)
        {
            const string Invariant = "null, global::System.Globalization.CultureInfo.InvariantCulture";
            if (type.SpecialType == SpecialType.System_String)
            {
                return $"static r => {key}";
            }

            if (type.TypeKind == TypeKind.Enum)
            {
                return $"static r => {key}.ToString()";
            }

            if (type.IsValueType && UrlValues.IsFormattable(type))
            {
                bool direct = type.GetMembers("ToString").OfType<IMethodSymbol>().Any(m => m is { IsStatic: false, DeclaredAccessibility: Accessibility.Public, Parameters.Length: 2 });
                return direct ? $"static r => {key}.ToString({Invariant})" : $"static r => ((global::System.IFormattable){key}).ToString({Invariant})";
            }

            // A struct (a strongly typed id, a bool) is never null; a nullable one or a class may be, and then the record has no key.
            return type.IsValueType && type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T
                ? $"static r => {key}.ToString() ?? string.Empty"
                : $"static r => {key}?.ToString()";
        }

        private static (string Name, ITypeSymbol Type)? FindKeyMember(ITypeSymbol record)
        {
            // A [Key] on a record's positional parameter (its own or a base record's) marks the property of that name.
            var parameterKeys = new HashSet<string>();
            for (var current = record as INamedTypeSymbol; current is not null; current = current.BaseType)
            {
                parameterKeys.UnionWith(current.InstanceConstructors.SelectMany(c => c.Parameters).Where(HasKey).Select(p => p.Name));
            }

            for (var current = record; current is not null; current = current.BaseType)
            {
                foreach (var symbol in current.GetMembers())
                {
                    if (symbol is IPropertySymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public } p && (HasKey(p) || parameterKeys.Contains(p.Name)))
                    {
                        return (p.Name, p.Type);
                    }

                    if (symbol is IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public } f && HasKey(f))
                    {
                        return (f.Name, f.Type);
                    }
                }
            }

            return null;

            static bool HasKey(ISymbol symbol) => symbol.GetAttributes().Any(a => KeyAttributeNames.Contains(a.AttributeClass?.ToDisplayString()));
        }

        private static bool IsWholeNumber(ITypeSymbol type)
        {
            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            {
                type = nullable.TypeArguments[0];
            }

            return type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64;
        }

        private static bool IsTime(ITypeSymbol type, out bool isDateTime)
        {
            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            {
                type = nullable.TypeArguments[0];
            }

            isDateTime = type.SpecialType == SpecialType.System_DateTime;
            return isDateTime || type.ToDisplayString() == "System.DateTimeOffset";
        }
    }
}
