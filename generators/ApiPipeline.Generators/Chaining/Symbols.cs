using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.Generators.Chaining;

/// <summary>Symbol helpers shared by the chain parser and the registry parser: names, accessibility, readable and writable members.</summary>
internal static class Symbols
{
    public const string ExtractorAttributeName = "ApiPipeline.ExtractorAttribute";

    public static readonly SymbolDisplayFormat Qualified = SymbolDisplayFormat.FullyQualifiedFormat;

    public static readonly SymbolDisplayFormat QualifiedWithNullable = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat Short = SymbolDisplayFormat.MinimallyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>The type fully qualified with <c>global::</c>, without nullable reference annotations.</summary>
    public static string FullName(ITypeSymbol type) => type.ToDisplayString(Qualified);

    /// <summary>The type fully qualified with <c>global::</c>, with nullable reference annotations.</summary>
    public static string FullNameWithNullable(ITypeSymbol type) => type.ToDisplayString(QualifiedWithNullable);

    /// <summary>
    /// The type fully qualified with its nullable annotations, for a value generated code passes on: a reference type declared where
    /// nullable annotations are off (oblivious) is written nullable, as it may hold <see langword="null"/> (the generated files are
    /// <c>#nullable enable</c>, where a plain cast of a possibly null value warns).
    /// </summary>
    public static string FullNameOfValue(ITypeSymbol type)
        => FullNameWithNullable(type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.None ? type.WithNullableAnnotation(NullableAnnotation.Annotated) : type);

    /// <summary>The type as a person writes it in a message (<c>long</c>, <c>string?</c>, <c>RepoRef</c>).</summary>
    public static string Display(ITypeSymbol type) => type.ToDisplayString(Short);

    /// <summary>The full name without <c>global::</c> and <c>@</c>.</summary>
    public static string PlainName(ITypeSymbol type) => FullName(type).Replace("global::", string.Empty).Replace("@", string.Empty);

    /// <summary>Whether <paramref name="type"/> is a System.Text.Json <c>JsonSerializerContext</c> (derives from it).</summary>
    public static bool IsJsonContext(ITypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == "System.Text.Json.Serialization.JsonSerializerContext")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An identifier as C# source: a reserved keyword gets its '@' back.</summary>
    public static string Escape(string identifier)
        => SyntaxFacts.GetKeywordKind(identifier) == SyntaxKind.None ? identifier : "@" + identifier;

    public static bool HasAttribute(ISymbol symbol, string fullName)
        => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == fullName);

    /// <summary>Whether code elsewhere in the assembly can name the symbol (it and its containing types are at least internal).</summary>
    public static bool IsAccessibleInAssembly(ISymbol symbol)
    {
        switch (symbol)
        {
            case IArrayTypeSymbol array:
                return IsAccessibleInAssembly(array.ElementType);
            case ITypeParameterSymbol:
                return false;
            case INamedTypeSymbol { IsGenericType: true } generic when !generic.TypeArguments.All(IsAccessibleInAssembly):
                return false;
        }

        for (var current = symbol; current is not null && current is not INamespaceSymbol; current = current.ContainingSymbol)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal or Accessibility.NotApplicable))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The types <paramref name="type"/> is nested in, innermost first.</summary>
    public static IEnumerable<INamedTypeSymbol> ContainingTypes(INamedTypeSymbol type)
    {
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            yield return outer;
        }
    }

    /// <summary>The one <c>IExtractor&lt;TIn, TOut&gt;</c> the type implements, or <see langword="null"/>.</summary>
    public static INamedTypeSymbol? ExtractorInterface(ITypeSymbol type)
    {
        var found = type.AllInterfaces.Where(IsExtractorInterface).ToList();
        if (type is INamedTypeSymbol named && IsExtractorInterface(named))
        {
            found.Add(named);
        }

        return found.Count == 1 ? found[0] : null;
    }

    private static bool IsExtractorInterface(INamedTypeSymbol candidate)
        => candidate.OriginalDefinition is { Name: "IExtractor", Arity: 2 } definition
           && definition.ContainingNamespace is { Name: "ApiPipeline", ContainingNamespace.IsGlobalNamespace: true };

    /// <summary>Whether <paramref name="type"/> may hold <see langword="null"/>: a <see cref="Nullable{T}"/>, or a reference type not annotated as non-null.</summary>
    public static bool AllowsNull(ITypeSymbol type)
        => IsNullableValue(type) || (type.IsReferenceType && type.NullableAnnotation != NullableAnnotation.NotAnnotated);

    public static bool IsNullableValue(ITypeSymbol type)
        => type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };

    /// <summary>The type without <see cref="Nullable{T}"/> and without a nullable reference annotation.</summary>
    public static ITypeSymbol Core(ITypeSymbol type)
        => IsNullableValue(type) ? ((INamedTypeSymbol)type).TypeArguments[0] : type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);

    /// <summary>Whether <paramref name="symbol"/> has <c>[Obsolete(message, true)]</c>, which makes every use of it an error (CS0619).</summary>
    public static bool IsObsoleteAsError(ISymbol symbol)
        => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.ObsoleteAttribute"
                                           && a.ConstructorArguments.Length == 2 && a.ConstructorArguments[1].Value is true);

    /// <summary>
    /// Whether generated code can read or write a member of type <paramref name="type"/> through <c>object</c>: not a ref struct
    /// (<c>ReadOnlySpan&lt;char&gt;</c>, which cannot be boxed) nor a pointer, and the member not <c>[Obsolete]</c> as an error.
    /// </summary>
    public static bool IsUsable(ISymbol member, ITypeSymbol type)
        => !type.IsRefLikeType && type.TypeKind is not (TypeKind.Pointer or TypeKind.FunctionPointer) && !IsObsoleteAsError(member);

    /// <summary>
    /// Public instance properties with a public getter and public fields, the type's own first, then its base classes' or base interfaces';
    /// members generated code cannot use (<see cref="IsUsable"/>, or a getter <c>[Obsolete]</c> as an error) are left out.
    /// </summary>
    public static List<(string Name, ITypeSymbol Type)> Readable(ITypeSymbol type)
    {
        var members = new List<(string Name, ITypeSymbol Type)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var current in MemberScopes.Of(type))
        {
            foreach (var symbol in current.GetMembers())
            {
                ITypeSymbol? memberType = symbol switch
                {
                    IPropertySymbol { IsStatic: false, IsIndexer: false, DeclaredAccessibility: Accessibility.Public, GetMethod.DeclaredAccessibility: Accessibility.Public } p => p.Type,
                    IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public, IsImplicitlyDeclared: false } f => f.Type,
                    _ => null,
                };
                if (memberType is not null && !MemberScopes.IsAmbiguous(type, symbol.Name) && names.Add(symbol.Name) && IsUsable(symbol, memberType)
                    && !(symbol is IPropertySymbol { GetMethod: { } getter } && IsObsoleteAsError(getter)))
                {
                    members.Add((symbol.Name, memberType));
                }
            }
        }

        return members;
    }

    /// <summary>
    /// How an instance of <paramref name="type"/> is created from member values: the public constructor with the most parameters that
    /// generated code can call (not a record's copy constructor; <see cref="Creatable.CallRefusal"/>) and the settable properties and
    /// fields it does not cover, except those it cannot use (<see cref="IsUsable"/>). <see langword="null"/> when there is no such
    /// constructor, or a required member cannot be used.
    /// </summary>
    public static Creation? Creation(ITypeSymbol type)
    {
        // A tuple has no constructor to call by name (new (string, string)(…) does not compile): it cannot be built from values.
        if (type is not INamedTypeSymbol named || named.IsAbstract || named.IsStatic || named.IsTupleType || named.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            return null;
        }

        var constructor = named.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public)
            .Where(c => !(c.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(c.Parameters[0].Type, named)))
            .Where(c => Creatable.CallRefusal(c) is null)
            .OrderByDescending(c => c.Parameters.Length)
            .FirstOrDefault();
        if (constructor is null)
        {
            return null;
        }

        var writable = new List<Writable>();
        foreach (var parameter in constructor.Parameters)
        {
            writable.Add(new Writable(parameter.Name, parameter.Type, WritableKind.Parameter, !parameter.HasExplicitDefaultValue, parameter.HasExplicitDefaultValue ? DefaultLiteral(parameter) : null));
        }

        var covered = new HashSet<string>(constructor.Parameters.Select(p => p.Name), StringComparer.OrdinalIgnoreCase);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var current in MemberScopes.Of(named))
        {
            foreach (var member in current.GetMembers())
            {
                // A public member hides a base type's member of the same name, whether it can be set or not; an override without
                // a setter of its own leaves the name to the property it overrides, whose setter it inherits.
                if (member is not (IPropertySymbol { IsStatic: false, IsIndexer: false, DeclaredAccessibility: Accessibility.Public } or IFieldSymbol { IsStatic: false, DeclaredAccessibility: Accessibility.Public, IsImplicitlyDeclared: false })
                    || member is IPropertySymbol { IsOverride: true, SetMethod: null }
                    || covered.Contains(member.Name) || !names.Add(member.Name))
                {
                    continue;
                }

                if (!IsUsable(member, member is IPropertySymbol p ? p.Type : ((IFieldSymbol)member).Type))
                {
                    if (member is IPropertySymbol { IsRequired: true } or IFieldSymbol { IsRequired: true })
                    {
                        return null; // an instance cannot be created without setting it
                    }

                    continue;
                }

                var settable = member switch
                {
                    IPropertySymbol { SetMethod.DeclaredAccessibility: Accessibility.Public } property when !IsObsoleteAsError(property.SetMethod!)
                        => new Writable(property.Name, property.Type, property.SetMethod!.IsInitOnly ? WritableKind.Init : WritableKind.Set, property.IsRequired, null) { Declarer = current },
                    IFieldSymbol { IsConst: false, IsReadOnly: false } field
                        => new Writable(field.Name, field.Type, WritableKind.Set, field.IsRequired, null) { Declarer = current },
                    _ => null,
                };
                if (settable is not null)
                {
                    writable.Add(settable);
                }
            }
        }

        return new Creation(named, constructor, writable);
    }

    /// <summary>A parameter's default value as a C# expression (<c>null</c>, <c>default</c>, a literal cast to the parameter's type).</summary>
    private static string DefaultLiteral(IParameterSymbol parameter)
    {
        var value = parameter.ExplicitDefaultValue;
        if (value is null)
        {
            // An oblivious reference type may be spelled as a type argument in the '#nullable enable' registry, where it is not nullable.
            return parameter.Type.IsValueType && !IsNullableValue(parameter.Type) ? "default"
                : parameter.Type.IsReferenceType && parameter.Type.NullableAnnotation == NullableAnnotation.None ? "null!" : "null";
        }

        // Numbers keep their type in the literal (a decimal beyond a long, a double that is not a whole number); NaN and the
        // infinities have no literal at all.
        string literal = value switch
        {
            string s => SymbolDisplay.FormatLiteral(s, quote: true),
            bool b => b ? "true" : "false",
            char c => SymbolDisplay.FormatLiteral(c, quote: true),
            double d when double.IsNaN(d) => "global::System.Double.NaN",
            double d when double.IsInfinity(d) => d > 0 ? "global::System.Double.PositiveInfinity" : "global::System.Double.NegativeInfinity",
            float f when float.IsNaN(f) => "global::System.Single.NaN",
            float f when float.IsInfinity(f) => f > 0 ? "global::System.Single.PositiveInfinity" : "global::System.Single.NegativeInfinity",
            double d => d.ToString("R", CultureInfo.InvariantCulture) + "D",
            float f => f.ToString("R", CultureInfo.InvariantCulture) + "F",
            decimal m => m.ToString(CultureInfo.InvariantCulture) + "M",
            ulong u => u.ToString(CultureInfo.InvariantCulture) + "UL",
            long l => l.ToString(CultureInfo.InvariantCulture) + "L",
            uint u => u.ToString(CultureInfo.InvariantCulture) + "U",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => "default",
        };
        return $"({FullNameOfValue(parameter.Type)})({literal})";
    }
}

/// <summary>How a member is written when an instance is created.</summary>
internal enum WritableKind
{
    Parameter,
    Set,
    Init,
}

/// <summary>A constructor parameter, settable property or settable (not readonly, not const) field.</summary>
internal sealed record Writable(string Name, ITypeSymbol Type, WritableKind Kind, bool Required, string? DefaultLiteral)
{
    /// <summary>For a property or field: the type that declares it (a base class for an inherited one).</summary>
    public ITypeSymbol? Declarer { get; init; }
}

/// <summary>How an instance is created: a constructor and the writable members (its parameters first).</summary>
internal sealed record Creation(INamedTypeSymbol Type, IMethodSymbol Constructor, List<Writable> Writable)
{
    /// <summary>The writable member called <paramref name="name"/>: exact name first, then ignoring case.</summary>
    public Writable? Find(string name)
        => Writable.FirstOrDefault(w => w.Name == name) ?? Writable.FirstOrDefault(w => string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase));
}
