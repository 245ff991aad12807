using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.Generators;

public sealed partial class PipelineGenerator
{
    /// <content>
    /// Reads a passthrough extractor's <c>TFields</c> into a <see cref="RawFieldsSpec"/>: the members System.Text.Json would set, their
    /// JSON names, how each is read and assigned. Returns <see langword="null"/> (the runtime then reads the fields with the context's
    /// metadata) for anything the generated reader does not reproduce exactly: case-insensitive or non-default reading options,
    /// converters, number handling, extension data, polymorphism, ref structs, more than 64 members. A struct is read like a class,
    /// with System.Text.Json's rule for its constructor.
    /// </content>
    internal static partial class Parser
    {
        private const string JsonNamespace = "System.Text.Json.Serialization.";
        private const int MaxRawFields = 64;

        /// <summary>Attributes on the fields type or a member that change how System.Text.Json reads it in ways the reader does not follow.</summary>
        private static readonly string[] UnsupportedAttributes =
        [
            JsonNamespace + "JsonConverterAttribute",
            JsonNamespace + "JsonNumberHandlingAttribute",
            JsonNamespace + "JsonExtensionDataAttribute",
            JsonNamespace + "JsonIncludeAttribute",
            JsonNamespace + "JsonObjectCreationHandlingAttribute",
            JsonNamespace + "JsonPolymorphicAttribute",
            JsonNamespace + "JsonDerivedTypeAttribute",
            JsonNamespace + "JsonUnmappedMemberHandlingAttribute",
        ];

        /// <summary><c>JsonSourceGenerationOptions</c> settings that do not change how an object's members are matched and read.</summary>
        private static readonly Dictionary<string, object?> HarmlessDefaults = new(StringComparer.Ordinal)
        {
            ["PropertyNameCaseInsensitive"] = false,
            ["NumberHandling"] = 0,
            ["IncludeFields"] = false,
            ["UnmappedMemberHandling"] = 0,
            ["PreferredObjectCreationHandling"] = 0,
            ["RespectNullableAnnotations"] = false,
            ["RespectRequiredConstructorParameters"] = false,
            ["AllowDuplicateProperties"] = true,
        };

        private static readonly HashSet<string> WriteOnlyOptions = new(StringComparer.Ordinal)
        {
            "AllowOutOfOrderMetadataProperties", "AllowTrailingCommas", "DefaultBufferSize", "DefaultIgnoreCondition", "DictionaryKeyPolicy",
            "GenerationMode", "IgnoreReadOnlyFields", "IgnoreReadOnlyProperties", "IndentCharacter", "IndentSize", "MaxDepth", "NewLine",
            "ReadCommentHandling", "UnknownTypeHandling", "UseStringEnumConverter", "WriteIndented",
        };

        private static readonly string[] NamingPolicies = ["Unspecified", "CamelCase", "SnakeCaseLower", "SnakeCaseUpper", "KebabCaseLower", "KebabCaseUpper"];

        /// <summary>The reader of <paramref name="fields"/> under <paramref name="context"/>'s options, or <see langword="null"/> to keep the runtime path.</summary>
        private static RawFieldsSpec? ParseRawFields(ITypeSymbol fields, ITypeSymbol context)
        {
            if (fields is not INamedTypeSymbol type || type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.IsAbstract || type.IsRefLikeType
                || HasAny(type, UnsupportedAttributes)
                || !TryNamingPolicy(context, out string? policy))
            {
                return null;
            }

            var constructor = SelectConstructor(type);
            if (constructor is null)
            {
                return null;
            }

            bool setsRequired = constructor.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.Diagnostics.CodeAnalysis.SetsRequiredMembersAttribute");
            var properties = new List<IPropertySymbol>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var current = type; current is not null && current.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); current = current.BaseType)
            {
                foreach (var member in current.GetMembers())
                {
                    if (member.IsStatic)
                    {
                        continue;
                    }

                    if (member is IFieldSymbol or IPropertySymbol && HasAny(member, UnsupportedAttributes))
                    {
                        return null; // fields included with [JsonInclude], converters, extension data, number handling
                    }

                    if (member is IPropertySymbol { IsIndexer: false, DeclaredAccessibility: Accessibility.Public, GetMethod.DeclaredAccessibility: Accessibility.Public } property
                        && names.Add(property.Name) && !IsIgnored(property))
                    {
                        properties.Add(property);
                    }
                }
            }

            var specs = new List<RawFieldSpec>();
            var arguments = new List<int>();
            var byParameter = new Dictionary<IParameterSymbol, int>(SymbolEqualityComparer.Default);
            foreach (var parameter in constructor.Parameters)
            {
                // System.Text.Json binds a constructor parameter to the property of the same name, ignoring case, and of the same type.
                var property = properties.FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                string? defaultValue = parameter.HasExplicitDefaultValue ? DefaultLiteral(parameter.Type, parameter.ExplicitDefaultValue) : "default";
                if (property is null || !SymbolEqualityComparer.Default.Equals(property.Type.WithNullableAnnotation(NullableAnnotation.None), parameter.Type.WithNullableAnnotation(NullableAnnotation.None))
                    || defaultValue is null)
                {
                    return null;
                }

                arguments.Add(specs.Count);
                specs.Add(Field(property, RawAssignKind.Constructor, HasAttribute(property, "JsonRequiredAttribute") || property.IsRequired && !setsRequired, defaultValue));
                properties.Remove(property);
            }

            foreach (var property in properties)
            {
                bool initializer = property.IsRequired && !setsRequired;
                bool required = initializer || HasAttribute(property, "JsonRequiredAttribute");
                var setter = property.SetMethod;
                if (setter is null || setter.DeclaredAccessibility != Accessibility.Public)
                {
                    if (required)
                    {
                        return null;
                    }

                    continue; // read-only: System.Text.Json does not read it either
                }

                var assign = initializer || setter.IsInitOnly ? RawAssignKind.Initializer : RawAssignKind.Assignment;
                specs.Add(Field(property, assign, required, "default"));
            }

            if (specs.Count > MaxRawFields)
            {
                return null;
            }

            return new RawFieldsSpec
            {
                FieldsType = FullName(type),
                NamingPolicy = policy,
                Fields = specs.ToImmutableEquatableArray(),
                ConstructorArguments = arguments.ToImmutableEquatableArray(),
            };
        }

        private static RawFieldSpec Field(IPropertySymbol property, RawAssignKind assign, bool required, string defaultValue)
        {
            var type = property.Type;
            var nullableOf = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : null;
            var (read, getter) = Classify(nullableOf ?? type);
            string? jsonName = property.GetAttributes()
                .FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == JsonNamespace + "JsonPropertyNameAttribute")?
                .ConstructorArguments.FirstOrDefault().Value as string;
            return new RawFieldSpec(Escape(property.Name), property.Name, jsonName, FullName(type), type.IsReferenceType, read, getter, nullableOf is not null, required, assign, defaultValue);

            static (RawReadKind Read, string? Getter) Classify(ITypeSymbol type) => type.SpecialType switch
            {
                SpecialType.System_String => (RawReadKind.String, null),
                SpecialType.System_Boolean => (RawReadKind.Boolean, null),
                SpecialType.System_Byte => (RawReadKind.Number, "Byte"),
                SpecialType.System_SByte => (RawReadKind.Number, "SByte"),
                SpecialType.System_Int16 => (RawReadKind.Number, "Int16"),
                SpecialType.System_UInt16 => (RawReadKind.Number, "UInt16"),
                SpecialType.System_Int32 => (RawReadKind.Number, "Int32"),
                SpecialType.System_UInt32 => (RawReadKind.Number, "UInt32"),
                SpecialType.System_Int64 => (RawReadKind.Number, "Int64"),
                SpecialType.System_UInt64 => (RawReadKind.Number, "UInt64"),
                SpecialType.System_Single => (RawReadKind.Number, "Single"),
                SpecialType.System_Double => (RawReadKind.Number, "Double"),
                SpecialType.System_Decimal => (RawReadKind.Number, "Decimal"),
                SpecialType.System_DateTime => (RawReadKind.FormattedString, "DateTime"),
                _ => type.ToDisplayString() switch
                {
                    "System.Guid" => (RawReadKind.FormattedString, "Guid"),
                    "System.DateTimeOffset" => (RawReadKind.FormattedString, "DateTimeOffset"),
                    _ => (RawReadKind.TypeInfo, null),
                },
            };
        }

        /// <summary>
        /// The constructor System.Text.Json uses: <c>[JsonConstructor]</c>, else the public parameterless one, else (a class only) the
        /// only public one. A struct without <c>[JsonConstructor]</c> is always made with its parameterless constructor, a positional
        /// record struct's included.
        /// </summary>
        private static IMethodSymbol? SelectConstructor(INamedTypeSymbol type)
        {
            var marked = type.InstanceConstructors.Where(c => HasAttribute(c, "JsonConstructorAttribute")).ToList();
            if (marked.Count > 0)
            {
                return marked.Count == 1 && marked[0].DeclaredAccessibility == Accessibility.Public ? marked[0] : null;
            }

            var candidates = type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public).ToList();
            var parameterless = candidates.FirstOrDefault(c => c.Parameters.Length == 0);
            return parameterless ?? (candidates.Count == 1 && !type.IsValueType ? candidates[0] : null);
        }

        /// <summary>Reads the context's <c>[JsonSourceGenerationOptions]</c>: its naming policy, or <see langword="false"/> when any setting changes reading.</summary>
        private static bool TryNamingPolicy(ITypeSymbol context, out string? policy)
        {
            policy = null;
            var options = context.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == JsonNamespace + "JsonSourceGenerationOptionsAttribute");
            if (options is null)
            {
                return true;
            }

            // JsonSerializerDefaults.Web (1) reads case-insensitively and numbers from strings.
            if (options.ConstructorArguments.Length > 0 && !Equals(options.ConstructorArguments[0].Value, 0))
            {
                return false;
            }

            foreach (var argument in options.NamedArguments)
            {
                var value = argument.Value.Kind == TypedConstantKind.Array ? (argument.Value.Values.Length == 0 ? null : argument.Value) : argument.Value.Value;
                if (argument.Key == "PropertyNamingPolicy" && value is int known && known >= 0 && known < NamingPolicies.Length)
                {
                    policy = known == 0 ? null : NamingPolicies[known];
                }
                else if (argument.Key == "Converters")
                {
                    if (value is not null)
                    {
                        return false;
                    }
                }
                else if (!WriteOnlyOptions.Contains(argument.Key) && !(HarmlessDefaults.TryGetValue(argument.Key, out var harmless) && Equals(harmless, value)))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsIgnored(IPropertySymbol property)
        {
            var ignore = property.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == JsonNamespace + "JsonIgnoreAttribute");
            if (ignore is null)
            {
                return false;
            }

            // JsonIgnoreCondition.Always (1) is the default; the other conditions only affect writing.
            var condition = ignore.NamedArguments.FirstOrDefault(a => a.Key == "Condition").Value;
            return condition.IsNull || Equals(condition.Value, 1);
        }

        /// <summary>A constructor parameter's default as C#, or <see langword="null"/> when it cannot be written as a literal.</summary>
        private static string? DefaultLiteral(ITypeSymbol type, object? value)
        {
            string typeName = FullName(type.WithNullableAnnotation(NullableAnnotation.None));
            return value switch
            {
                null => $"default({typeName})",
                string text => SymbolDisplay.FormatLiteral(text, quote: true),
                bool flag => flag ? "true" : "false",
                char c => SymbolDisplay.FormatLiteral(c, quote: true),
                double d when double.IsNaN(d) || double.IsInfinity(d) => null,
                float f when float.IsNaN(f) || float.IsInfinity(f) => null,
                double d => $"({typeName})({d.ToString("R", CultureInfo.InvariantCulture)}D)",
                float f => $"({typeName})({f.ToString("R", CultureInfo.InvariantCulture)}F)",
                decimal m => $"({typeName})({m.ToString(CultureInfo.InvariantCulture)}M)",
                byte or sbyte or short or ushort or int or uint or long or ulong => $"({typeName})({Convert.ToString(value, CultureInfo.InvariantCulture)}{(value is ulong ? "UL" : value is long ? "L" : value is uint ? "U" : string.Empty)})",
                _ => null,
            };
        }

        private static bool HasAttribute(ISymbol symbol, string name)
            => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == JsonNamespace + name);

        private static bool HasAny(ISymbol symbol, string[] names)
            => symbol.GetAttributes().Any(a => a.AttributeClass is { } c && Array.IndexOf(names, c.ToDisplayString()) >= 0);
    }
}
