using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Diagnostics;

/// <summary>What stops the generator from writing an extractor. Checks that do not stop generation live in the analyzers.</summary>
internal static class DiagnosticDescriptors
{
    public const string Category = "ApiPipeline.Extractor";

    public const string NotPartialId = "APP0001";
    public const string NoExtractorInterfaceId = "APP0002";
    public const string UnboundPlaceholderId = "APP0003";
    public const string MissingJsonContextId = "APP0004";
    public const string UnsupportedShapeId = "APP0005";
    public const string InvalidEndpointId = "APP0006";
    public const string InvalidWatermarkId = "APP0007";
    public const string InvalidTimeWindowsId = "APP0008";

    public static readonly DiagnosticDescriptor NotPartial = Create(
        NotPartialId,
        "Extractor class must be partial",
        "The extractor '{0}' must be declared 'partial' so that ApiPipeline can generate its implementation; add the 'partial' modifier");

    public static readonly DiagnosticDescriptor NoExtractorInterface = Create(
        NoExtractorInterfaceId,
        "Extractor must implement IExtractor<TIn, TOut>",
        "The extractor '{0}' must implement IExtractor<TIn, TOut> exactly once, naming its input and record types, e.g. ': IExtractor<RepoRef, Issue>'");

    public static readonly DiagnosticDescriptor UnboundPlaceholder = Create(
        UnboundPlaceholderId,
        "Route placeholder has no matching input member",
        "The path placeholder '{{{0}}}' of extractor '{1}' matches no public property or field of the input type '{2}'; add a member named '{3}' to '{2}' or fix the placeholder");

    public static readonly DiagnosticDescriptor MissingJsonContext = Create(
        MissingJsonContextId,
        "Extractor needs a JsonSerializerContext",
        "The extractor '{0}' needs a System.Text.Json source-generated context for its records: set Json = typeof(YourContext) on [Extractor], where YourContext derives from JsonSerializerContext and has [JsonSerializable(typeof({1}))]");

    public static readonly DiagnosticDescriptor UnsupportedShape = Create(
        UnsupportedShapeId,
        "Extractor class cannot be generic, file-local, have a primary constructor, or be nested in a non-partial type",
        "The extractor '{0}' {1}; declare it as a non-generic partial class, not file-local, without a primary constructor, nested only in partial types");

    public static readonly DiagnosticDescriptor InvalidWatermark = Create(
        InvalidWatermarkId,
        "Invalid watermark field or key",
        "The [Watermark] of extractor '{0}' cannot be used: {1}");

    public static readonly DiagnosticDescriptor InvalidTimeWindows = Create(
        InvalidTimeWindowsId,
        "TimeWindows cannot be used as configured",
        "The [TimeWindows] of extractor '{0}' cannot be used: {1}");

    public static readonly DiagnosticDescriptor InvalidEndpoint = Create(
        InvalidEndpointId,
        "Invalid base URL or path template",
        "The extractor '{0}' has an invalid endpoint: {1}");

    // Chains (APP01xx): what stops the generator from writing a [Chain] class, and its compile-time mapping checks.
    public const string ChainCategory = "ApiPipeline.Chain";

    public const string ChainShapeId = "APP0101";
    public const string ChainStepsId = "APP0102";
    public const string StepPropertyId = "APP0103";
    public const string MapSourceNotFoundId = "APP0104";
    public const string MapTargetNotFoundId = "APP0105";
    public const string MapTypeMismatchId = "APP0106";
    public const string UnmappedInputId = "APP0107";
    public const string DuplicateMapTargetId = "APP0108";
    public const string InvalidStepSettingsId = "APP0109";
    public const string StepInputNotCreatableId = "APP0110";
    public const string StepExtractorNotCreatableId = "APP0111";
    public const string BatchedMapTargetId = "APP0112";
    public const string MapSourceStepNotFoundId = "APP0113";
    public const string MapSourceStepNotEarlierId = "APP0114";
    public const string OutputNameId = "APP0115";
    public const string OutputNotAnOutputId = "APP0116";
    public const string OutputConstructorMissingId = "APP0117";
    public const string OutputConfigKeyId = "APP0118";
    public const string RegisteredExtractorNotListedId = "APP0119";
    public const string SlashInChainNameId = "APP0120";

    public static readonly DiagnosticDescriptor ChainShape = Create(
        ChainShapeId,
        "Chain class must be a non-generic partial class",
        "The chain '{0}' {1}; declare it as a non-generic partial class, nested only in partial types",
        ChainCategory);

    public static readonly DiagnosticDescriptor ChainSteps = Create(
        ChainStepsId,
        "Chain steps are missing or share a position",
        "The chain '{0}' {1}",
        ChainCategory);

    public static readonly DiagnosticDescriptor StepProperty = Create(
        StepPropertyId,
        "Step must be a partial get-only extractor property",
        "The step '{0}' of chain '{1}' {2}; declare it as 'public partial MyExtractor {0} {{ get; }}' where MyExtractor implements IExtractor<TIn, TOut>",
        ChainCategory);

    public static readonly DiagnosticDescriptor MapSourceNotFound = Create(
        MapSourceNotFoundId,
        "Mapping source member not found",
        "Step '{0}': '{1}' is not a public member of '{2}' ({3}); its members are: {4}",
        ChainCategory);

    public static readonly DiagnosticDescriptor MapTargetNotFound = Create(
        MapTargetNotFoundId,
        "Mapping target member not found",
        "Step '{0}': '{1}' is not a constructor parameter or settable member of the step's input '{2}'; it takes: {3}",
        ChainCategory);

    public static readonly DiagnosticDescriptor MapTypeMismatch = Create(
        MapTypeMismatchId,
        "Mapping types do not convert safely",
        "Step '{0}': '{1}' ({2}) cannot be mapped to '{3}' ({4}) of the step's input '{5}' without a conversion that can lose data; map a member of type {4}, or change the input member's type",
        ChainCategory);

    public static readonly DiagnosticDescriptor UnmappedInput = Create(
        UnmappedInputId,
        "Required step input member is not mapped",
        "Step '{0}': the required member '{1}' ({2}) of its input '{3}' is not mapped from '{4}'; add [Map(\"<member of {4}>\", To = \"{1}\")]",
        ChainCategory);

    public static readonly DiagnosticDescriptor DuplicateMapTarget = Create(
        DuplicateMapTargetId,
        "Step input member is mapped twice",
        "Step '{0}': '{1}' of the step's input '{2}' is mapped more than once; keep one [Map] for it",
        ChainCategory);

    public static readonly DiagnosticDescriptor InvalidStepSettings = Create(
        InvalidStepSettingsId,
        "Invalid step settings",
        "Step '{0}': {1}",
        ChainCategory);

    public static readonly DiagnosticDescriptor StepInputNotCreatable = Create(
        StepInputNotCreatableId,
        "Step input cannot be created",
        "Step '{0}': its input '{1}' has no public constructor the chain can call to build it from mapped values",
        ChainCategory);

    public static readonly DiagnosticDescriptor StepExtractorNotCreatable = Create(
        StepExtractorNotCreatableId,
        "Step extractor cannot be created",
        "Step '{0}': its extractor '{1}' is not an [Extractor] class and has no public parameterless constructor, so the chain cannot create it",
        ChainCategory);

    public static readonly DiagnosticDescriptor BatchedMapTarget = Create(
        BatchedMapTargetId,
        "Batched mapping needs a collection or string target",
        "Step '{0}' is [Batched]: '{1}' ({2}) of its input '{3}' receives one value per record of the batch, so it must be a string (comma-separated) or a collection of {4}, such as {4}[] or IReadOnlyList<{4}>",
        ChainCategory);

    public static readonly DiagnosticDescriptor MapSourceStepNotFound = Create(
        MapSourceStepNotFoundId,
        "Mapping source step not found",
        "Step '{0}': [Map(\"{1}\", FromStep = \"{2}\")] names no step of chain '{3}'; its steps are: {4}",
        ChainCategory);

    public static readonly DiagnosticDescriptor MapSourceStepNotEarlier = Create(
        MapSourceStepNotEarlierId,
        "Mapping source step is not an earlier step the input descends from",
        "Step '{0}': [Map(\"{1}\", FromStep = \"{2}\")] cannot read step '{2}': {3}",
        ChainCategory);

    // User output types ([Output]) listed in the registry.
    public const string RegistryCategory = "ApiPipeline.Registry";

    public static readonly DiagnosticDescriptor OutputName = Create(
        OutputNameId,
        "Output type name is invalid or taken",
        "The output type name '{0}' of '{1}' {2}; give [Output] a name no other output type of the assembly uses",
        RegistryCategory);

    public static readonly DiagnosticDescriptor OutputNotAnOutput = Create(
        OutputNotAnOutputId,
        "Output class is not an IOutput<T> the registry can create",
        "The [Output] class '{0}' {1}",
        RegistryCategory);

    public static readonly DiagnosticDescriptor OutputConstructorMissing = Create(
        OutputConstructorMissingId,
        "Output class has no constructor the registry can call",
        "The [Output] class '{0}' needs a public or internal constructor the registry can call: (JsonTypeInfo<{1}> recordTypeInfo, OutputConfig config), (OutputConfig config) or (){2}",
        RegistryCategory);

    public static readonly DiagnosticDescriptor OutputConfigKey = Create(
        OutputConfigKeyId,
        "Output config key is invalid",
        "The config key '{0}' of the [Output] class '{1}' {2}; declare each key the output reads from a file's 'config:' once, after the name, e.g. [Output(\"console\", \"color\", \"width\")]",
        RegistryCategory);

    public static readonly DiagnosticDescriptor RegisteredExtractorNotListed = Create(
        RegisteredExtractorNotListedId,
        "Registered extractor cannot be listed",
        "The [RegisteredExtractor] class '{0}' {1}",
        RegistryCategory);

    public static readonly DiagnosticDescriptor SlashInChainName = Create(
        SlashInChainNameId,
        "Chain or step name contains '/'",
        "The {0} name '{1}' contains '/'; dead-letter entries name a chain step '<chain id>/<step>' and replay reads them by their slashes, so use another character ('-', '_' or '.')",
        ChainCategory);

    /// <summary>The descriptor with this ID, or <see langword="null"/>.</summary>
    public static DiagnosticDescriptor? Find(string id) => id switch
    {
        InvalidWatermarkId => InvalidWatermark,
        InvalidTimeWindowsId => InvalidTimeWindows,
        ChainShapeId => ChainShape,
        ChainStepsId => ChainSteps,
        StepPropertyId => StepProperty,
        MapSourceNotFoundId => MapSourceNotFound,
        MapTargetNotFoundId => MapTargetNotFound,
        MapTypeMismatchId => MapTypeMismatch,
        UnmappedInputId => UnmappedInput,
        DuplicateMapTargetId => DuplicateMapTarget,
        InvalidStepSettingsId => InvalidStepSettings,
        StepInputNotCreatableId => StepInputNotCreatable,
        StepExtractorNotCreatableId => StepExtractorNotCreatable,
        BatchedMapTargetId => BatchedMapTarget,
        MapSourceStepNotFoundId => MapSourceStepNotFound,
        MapSourceStepNotEarlierId => MapSourceStepNotEarlier,
        OutputNameId => OutputName,
        OutputNotAnOutputId => OutputNotAnOutput,
        OutputConstructorMissingId => OutputConstructorMissing,
        OutputConfigKeyId => OutputConfigKey,
        RegisteredExtractorNotListedId => RegisteredExtractorNotListed,
        SlashInChainNameId => SlashInChainName,
        _ => null,
    };

    private static DiagnosticDescriptor Create(string id, string title, string message, string category = Category) => new(
        id,
        title,
        message,
        category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        helpLinkUri: $"https://github.com/apipipeline/apipipeline/blob/main/docs/diagnostics/{id}.md");
}
