using Microsoft.CodeAnalysis;

namespace ApiPipeline.Analyzers;

/// <summary>The kind of an extractor's <c>[Watermark]</c> field, which decides how its <c>Lag</c> and <c>AllowedLateness</c> are written.</summary>
internal static class WatermarkField
{
    /// <summary>
    /// Whether the field named by <paramref name="watermark"/> is a whole number (<c>long</c>, <c>int</c>, nullable or not): then
    /// <c>Lag</c> and <c>AllowedLateness</c> count units (<c>"100"</c>) instead of being durations.
    /// </summary>
    public static bool IsNumeric(ExtractorContext extractor, AppliedAttribute watermark)
    {
        if (watermark.ConstructorValue<string>(0) is not { } field
            || WatermarkKeyAnalyzer.RecordFields(extractor.OutputType) is not { } record)
        {
            return false;
        }

        for (var current = record; current is not null; current = current.BaseType)
        {
            foreach (var member in current.GetMembers(field))
            {
                var type = member switch
                {
                    IPropertySymbol { IsStatic: false } property => property.Type,
                    IFieldSymbol { IsStatic: false } value => value.Type,
                    _ => null,
                };
                if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
                {
                    type = nullable.TypeArguments[0];
                }

                if (type is not null)
                {
                    return type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64;
                }
            }
        }

        return false;
    }
}
