namespace ApiPipeline.Generators;

/// <summary>Names of the generator's pipeline steps, for incrementality tests.</summary>
internal static class TrackingNames
{
    public const string Extractors = nameof(Extractors);
    public const string Specs = nameof(Specs);
    public const string Diagnostics = nameof(Diagnostics);
    public const string CollidingHintNames = nameof(CollidingHintNames);
    public const string Chains = nameof(Chains);
    public const string ChainSpecs = nameof(ChainSpecs);
    public const string ChainDiagnostics = nameof(ChainDiagnostics);
    public const string RegistryExtractors = nameof(RegistryExtractors);
    public const string RegisteredExtractors = nameof(RegisteredExtractors);
    public const string Outputs = nameof(Outputs);
    public const string RegistryOutputs = nameof(RegistryOutputs);
    public const string OutputDiagnostics = nameof(OutputDiagnostics);
    public const string Registry = nameof(Registry);
}
