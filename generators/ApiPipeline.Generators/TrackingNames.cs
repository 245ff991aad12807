namespace ApiPipeline.Generators;

/// <summary>Names of the generator's pipeline steps, for incrementality tests.</summary>
internal static class TrackingNames
{
    public const string Extractors = nameof(Extractors);
    public const string Specs = nameof(Specs);
    public const string Diagnostics = nameof(Diagnostics);
}
