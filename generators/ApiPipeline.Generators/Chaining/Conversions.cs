using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.Generators.Chaining;

/// <summary>How a mapped value becomes the target member's value.</summary>
internal enum ConversionKind
{
    /// <summary>No conversion that keeps every value.</summary>
    None,

    /// <summary>The same type, or an implicit reference conversion (derived to base, class to interface).</summary>
    Same,

    /// <summary>A widening number conversion that keeps every value (<c>int</c> → <c>long</c>; not <c>long</c> → <c>double</c>).</summary>
    Widening,

    /// <summary>A number, <see cref="bool"/>, <see cref="System.Guid"/>, enum or date to text (invariant culture, ISO 8601): <c>ChainMapping.Text</c>.</summary>
    Text,
}

/// <summary>
/// The conversions a chain mapping may apply. The runtime's <c>ValueConversion</c> (YAML mappings) follows the same rules, so a mapping
/// accepted in one place is accepted in the other.
/// </summary>
internal static class Conversions
{
    public static ConversionKind Classify(ITypeSymbol source, ITypeSymbol target, Compilation compilation)
    {
        var s = Symbols.Core(source);
        var t = Symbols.Core(target);
        if (SymbolEqualityComparer.Default.Equals(s, t))
        {
            return ConversionKind.Same;
        }

        if (t.SpecialType == SpecialType.System_String)
        {
            return IsText(s) ? ConversionKind.Text : ConversionKind.None;
        }

        if (Widening(s.SpecialType, t.SpecialType))
        {
            return ConversionKind.Widening;
        }

        var conversion = ((CSharpCompilation)compilation).ClassifyConversion(s, t);
        return conversion.Exists && conversion.IsImplicit && conversion.IsReference ? ConversionKind.Same : ConversionKind.None;
    }

    /// <summary>The C# expression of the converted value, with a null check when a source that may be null meets a target that may not.</summary>
    public static string Apply(ConversionKind kind, string expression, bool sourceMayBeNull, bool targetAllowsNull, string step, string sourcePath, string target)
    {
        string value = kind == ConversionKind.Text ? $"global::ApiPipeline.ChainMapping.Text({expression})" : expression;
        if (sourceMayBeNull && !targetAllowsNull)
        {
            value = $"({value} ?? throw global::ApiPipeline.ChainMappingException.NullValue({Quote(step)}, {Quote(sourcePath)}, {Quote(target)}))";
        }

        return value;
    }

    public static string Quote(string text) => SymbolDisplay.FormatLiteral(text, quote: true);

    private static bool IsText(ITypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Enum || Rank(type.SpecialType) > 0)
        {
            return true;
        }

        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean:
            case SpecialType.System_Decimal:
            case SpecialType.System_Double:
            case SpecialType.System_Single:
            case SpecialType.System_DateTime:
                return true;
        }

        return type.ToDisplayString() is "System.Guid" or "System.DateTimeOffset" or "System.DateOnly" or "System.TimeOnly";
    }

    private static bool Widening(SpecialType source, SpecialType target)
    {
        switch (target)
        {
            case SpecialType.System_Decimal:
                return Rank(source) > 0;
            case SpecialType.System_Double:
                return source == SpecialType.System_Single || (Rank(source) > 0 && Rank(source) <= 3);
            case SpecialType.System_Single:
                return source is SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16;
        }

        int s = Rank(source), t = Rank(target);
        // Nothing converts to char implicitly; char widens to int, uint, long, ulong, double and decimal (not short).
        if (s == 0 || t == 0 || t <= s || target == SpecialType.System_Char || source == SpecialType.System_Char && target is SpecialType.System_Int16)
        {
            return false;
        }

        bool sourceSigned = Signed(source), targetSigned = Signed(target);
        return sourceSigned == targetSigned || (!sourceSigned && targetSigned);
    }

    /// <summary>Integral size rank: 1 byte … 4 long; 0 for anything else.</summary>
    private static int Rank(SpecialType type) => type switch
    {
        SpecialType.System_SByte or SpecialType.System_Byte => 1,
        SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Char => 2,
        SpecialType.System_Int32 or SpecialType.System_UInt32 => 3,
        SpecialType.System_Int64 or SpecialType.System_UInt64 => 4,
        _ => 0,
    };

    private static bool Signed(SpecialType type) => type is SpecialType.System_SByte or SpecialType.System_Int16 or SpecialType.System_Int32 or SpecialType.System_Int64;
}
