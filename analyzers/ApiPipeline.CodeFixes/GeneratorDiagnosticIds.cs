namespace ApiPipeline.CodeFixes;

/// <summary>The IDs the source generator reports (generators/ApiPipeline.Generators/Diagnostics/DiagnosticDescriptors.cs); fixers may register for them.</summary>
internal static class GeneratorDiagnosticIds
{
    public const string NotPartial = "APP0001";
    public const string NoExtractorInterface = "APP0002";
    public const string UnboundPlaceholder = "APP0003";
    public const string MissingJsonContext = "APP0004";
    public const string UnsupportedShape = "APP0005";
    public const string InvalidEndpoint = "APP0006";
}
