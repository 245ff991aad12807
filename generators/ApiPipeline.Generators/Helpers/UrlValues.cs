using System.Linq;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Helpers;

/// <summary>How a member's value becomes URL text.</summary>
internal enum ValueKind
{
    /// <summary>A string.</summary>
    String,

    /// <summary>A bool or bool?.</summary>
    Boolean,

    /// <summary>A struct implementing IFormattable (numbers, dates, GUIDs, enums), or its Nullable.</summary>
    Formattable,

    /// <summary>A collection of strings (<c>IEnumerable&lt;string&gt;</c>): a query parameter once per element, or a path value of the elements joined with commas.</summary>
    StringSequence,

    /// <summary>A collection of a formattable struct (<c>IEnumerable&lt;long&gt;</c>): as <see cref="StringSequence"/>, each element formatted.</summary>
    FormattableSequence,

    /// <summary>Anything else, sent as ToString().</summary>
    Other,
}

/// <summary>
/// How the generated URL code writes a member's value (a path placeholder or a query parameter). The generator emits by it, and the
/// analyzers compile this same file (linked into their project) to tell which members can only be written with <c>ToString()</c>.
/// </summary>
internal static class UrlValues
{
    /// <summary>The value kind of <paramref name="type"/>, the (underlying or element) struct type a formattable kind formats, and whether <paramref name="type"/> is a value type.</summary>
    public static (ValueKind Kind, ITypeSymbol? ValueType, bool IsValueType) Classify(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_String)
        {
            return (ValueKind.String, null, false);
        }

        if (type.SpecialType == SpecialType.System_Boolean)
        {
            return (ValueKind.Boolean, null, true);
        }

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            var underlying = nullable.TypeArguments[0];
            if (underlying.SpecialType == SpecialType.System_Boolean)
            {
                return (ValueKind.Boolean, null, false);
            }

            return IsFormattable(underlying) ? (ValueKind.Formattable, underlying, false) : (ValueKind.Other, null, false);
        }

        if (type.IsValueType && IsFormattable(type))
        {
            return (ValueKind.Formattable, type, true);
        }

        // A collection is sent as one query parameter per element (?ids=1&ids=2), or as a path value of the elements joined with commas.
        if (SequenceElement(type) is { } element)
        {
            if (element.SpecialType == SpecialType.System_String)
            {
                return (ValueKind.StringSequence, null, type.IsValueType);
            }

            if (element.IsValueType && element.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T && IsFormattable(element))
            {
                return (ValueKind.FormattableSequence, element, type.IsValueType);
            }
        }

        return (ValueKind.Other, null, type.IsValueType);
    }

    /// <summary>Whether <paramref name="type"/> is an enum or implements <see cref="System.IFormattable"/>.</summary>
    public static bool IsFormattable(ITypeSymbol type)
        => type.TypeKind == TypeKind.Enum || type.AllInterfaces.Any(i => i.ToDisplayString() == "System.IFormattable");

    /// <summary>The <c>T</c> of the one <c>IEnumerable&lt;T&gt;</c> that <paramref name="type"/> is or implements (not for <see cref="string"/>).</summary>
    private static ITypeSymbol? SequenceElement(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_String)
        {
            return null;
        }

        static bool IsEnumerableOfT(INamedTypeSymbol candidate) => candidate.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T;
        if (type is INamedTypeSymbol named && IsEnumerableOfT(named))
        {
            return named.TypeArguments[0];
        }

        var implemented = type.AllInterfaces.Where(IsEnumerableOfT).ToList();
        return implemented.Count == 1 ? implemented[0].TypeArguments[0] : null;
    }
}
