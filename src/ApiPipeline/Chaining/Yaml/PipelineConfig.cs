using YamlDotNet.RepresentationModel;

namespace ApiPipeline;

/// <summary>
/// Loads a pipeline in the design's YAML format and resolves it against a <see cref="ComponentRegistry"/>:
/// <code>
/// pipeline_id: issues
/// extractor:
///   class: GitHubIssues       # registry name, class name or full class name
///   base_url: http://…        # optional: ExtractorOptions.BaseUrl
///   batch_size: 100           # records per request (page size)
///   max_concurrent: 10        # requests in flight at once (rate limiter)
///   conditional_requests: true # optional: ExtractorOptions.ConditionalRequests ([ConditionalRequests] on or off)
/// output:
///   type: json
///   config: { format: jsonl, partition_by: updated_at }
/// watermark:
///   enabled: true
///   field: updated_at         # the member the extractor's [Watermark] follows (a date or a whole number)
///   window_size: 1h
/// error_handling:
///   mode: continue            # fail_fast | continue | skip | dead_letter
///   max_retries: 3
///   backoff: exponential      # constant | linear | exponential
/// </code>
/// Errors name the file, line and column (<see cref="ConfigException"/>).
/// </summary>
public static class PipelineConfig
{
    private static readonly string[] TopFields = ["pipeline_id", "extractor", "output", "watermark", "error_handling"];
    private static readonly string[] ExtractorFields = ["class", "base_url", "batch_size", "max_concurrent", "conditional_requests"];
    private static readonly string[] WatermarkFields = ["enabled", "field", "window_size"];
    private static readonly string[] ErrorFields = ["mode", "max_retries", "backoff"];

    /// <summary>Reads and resolves the pipeline in <paramref name="path"/>.</summary>
    /// <param name="path">The YAML file.</param>
    /// <param name="registry">Where extractor classes are looked up.</param>
    /// <exception cref="ConfigException">The file is wrong; the message names the line and column.</exception>
    public static LoadedPipeline Load(string path, ComponentRegistry registry) => Parse(File.ReadAllText(path), path, registry);

    /// <summary>Resolves the pipeline in <paramref name="yaml"/>.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="file">The name messages give the text.</param>
    /// <param name="registry">Where extractor classes are looked up.</param>
    /// <exception cref="ConfigException">The text is wrong; the message names the line and column.</exception>
    public static LoadedPipeline Parse(string yaml, string file, ComponentRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return Resolve(YamlDocument.Parse(yaml, file), registry);
    }

    /// <summary>Resolves the pipeline in a parsed file.</summary>
    /// <param name="doc">The parsed YAML.</param>
    /// <param name="registry">Where extractor classes are looked up.</param>
    /// <exception cref="ConfigException">The file is wrong; the message names the line and column.</exception>
    internal static LoadedPipeline Resolve(YamlDocument doc, ComponentRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var top = doc.Fields(doc.Root, "the pipeline", TopFields);
        var idNode = doc.Required(top, doc.Root, "pipeline_id", "a pipeline");
        string id = doc.Text(idNode, "pipeline_id");
        if (SlashInName.Problem("pipeline id", id) is { } bad)
        {
            throw doc.Error(idNode, bad);
        }

        var extractorNode = doc.Mapping(doc.Required(top, doc.Root, "extractor", "a pipeline"), "extractor");
        var extractor = doc.Fields(extractorNode, "extractor", ExtractorFields);
        var classNode = doc.Required(extractor, extractorNode, "class", "extractor");
        var registration = registry.FindExtractor(doc.Text(classNode, "class"), out var problem) ?? throw doc.Error(classNode, problem);
        string? baseUrlText = null;
        if (extractor.TryGetValue("base_url", out var baseUrl))
        {
            string url = doc.Text(baseUrl.Value, "base_url");
            if (BaseUrls.Problem(url) is { } unusable)
            {
                throw doc.Error(baseUrl.Value, $"base_url '{UrlRedactor.Redact(url)}' {unusable}");
            }

            baseUrlText = url;
        }

        int? pageSize = extractor.TryGetValue("batch_size", out var batchSize) ? doc.PositiveInt(batchSize.Value, "batch_size") : null;
        int? maxConcurrent = extractor.TryGetValue("max_concurrent", out var concurrent) ? doc.PositiveInt(concurrent.Value, "max_concurrent") : null;
        bool? conditionalRequests = extractor.TryGetValue("conditional_requests", out var conditional) ? doc.Bool(conditional.Value, "conditional_requests") : null;
        ErrorMode? onError = null;
        int? maxRetries = null;
        Backoff? backoffKind = null;
        if (top.TryGetValue("error_handling", out var errorNode))
        {
            var errorMapping = doc.Mapping(errorNode.Value, "error_handling");
            var errors = doc.Fields(errorMapping, "error_handling", ErrorFields);
            if (errors.TryGetValue("mode", out var mode))
            {
                onError = ChainConfig.ErrorModeOf(doc, mode.Value);
            }

            if (errors.TryGetValue("max_retries", out var retries))
            {
                maxRetries = doc.NonNegativeInt(retries.Value, "max_retries");
            }

            if (errors.TryGetValue("backoff", out var backoff))
            {
                backoffKind = doc.Choice(backoff.Value, "backoff", ("constant", Backoff.Constant), ("linear", Backoff.Linear), ("exponential", Backoff.Exponential));
            }
        }

        var settings = new FileExtractorSettings(baseUrlText, pageSize, maxConcurrent, conditionalRequests, onError, maxRetries, backoffKind);

        WatermarkConfig? watermark = null;
        if (top.TryGetValue("watermark", out var watermarkNode))
        {
            var mapping = doc.Mapping(watermarkNode.Value, "watermark");
            var fields = doc.Fields(mapping, "watermark", WatermarkFields);
            bool enabled = !fields.TryGetValue("enabled", out var enabledNode) || doc.Bool(enabledNode.Value, "enabled");
            var fieldNode = doc.Required(fields, mapping, "field", "watermark");
            string field = doc.Text(fieldNode, "field");
            int member = registration.Output.IndexOf(field);
            var type = member < 0 ? null : Nullable.GetUnderlyingType(registration.Output.Members[member].Type) ?? registration.Output.Members[member].Type;
            bool numeric = type == typeof(long) || type == typeof(int);
            if (member < 0 || (type != typeof(DateTimeOffset) && type != typeof(DateTime) && !numeric))
            {
                throw doc.Error(fieldNode, $"watermark field '{field}' is not a date or whole-number member of {registration.Output.TypeName}; its members are: {ChainConfig.Members(registration.Output, m => m.CanRead)}");
            }

            // Time windows are ranges of the watermark: without it a windowed extractor has nothing to split.
            if (!enabled && registration.TimeWindows is not null)
            {
                throw doc.Error(enabledNode.Value, $"extractor '{registration.Name}' extracts time windows ([TimeWindows]), which are ranges of its watermark, so it cannot be turned off; remove enabled: false (to read a range again, run with --from and --to)");
            }

            // The watermark's request parameter, key and lateness come from the extractor's [Watermark]; the file turns it on or off.
            if (registration.IsHandWritten)
            {
                throw doc.Error(watermarkNode.Key, $"extractor '{registration.Name}' is hand-written ({registration.TypeName}): its watermark is its IExtractor.Watermark, which a file cannot turn on or off or move; remove the watermark section");
            }

            if (registration.WatermarkField is not { } declared)
            {
                throw doc.Error(watermarkNode.Key, $"extractor '{registration.Name}' has no [Watermark] (which names the request parameter the watermark is sent as); add [Watermark(nameof({registration.Output.TypeName}.{registration.Output.Members[member].Name}), Param = \"…\")] to it");
            }

            if (!string.Equals(declared, registration.Output.Members[member].Name, StringComparison.Ordinal))
            {
                throw doc.Error(fieldNode, $"watermark field '{field}' is not the field the [Watermark] of extractor '{registration.Name}' follows ('{declared}')");
            }

            // The window reaches back before the stored watermark (a time, or a count of a number watermark's units): records read
            // again are recognised by their key, which the pipeline checks at start; said here, where the file can be fixed.
            WatermarkSpan? window = null;
            if (fields.TryGetValue("window_size", out var windowNode))
            {
                window = numeric ? WatermarkSpan.FromNumber(doc.NonNegativeLong(windowNode.Value, "window_size (the watermark is a number)")) : doc.Duration(windowNode.Value, "window_size");
                if (enabled && !registration.WatermarkHasKey && window is { IsZero: false })
                {
                    throw doc.Error(windowNode.Value, $"window_size reads back {window} before the stored watermark, so records read again must be recognised by their key; mark the primary key of {registration.Output.TypeName} with [Key] (or [Watermark(Key = ...)]), or remove window_size");
                }
            }

            watermark = new WatermarkConfig(enabled, registration.Output.Members[member].Name, window);
        }

        var output = top.TryGetValue("output", out var outputNode) ? OutputConfig.Parse(doc, outputNode.Value, registry, registration, id) : null;
        return new LoadedPipeline(id, registration, settings, output, watermark);
    }
}

/// <summary>The <c>watermark</c> section of a pipeline file (incremental loads run by the pipeline's watermark support).</summary>
/// <param name="Enabled">Whether incremental loading is on.</param>
/// <param name="Field">The record member the watermark follows.</param>
/// <param name="WindowSize">The window size, if given: a duration, or for a number watermark a count of its units.</param>
public sealed record WatermarkConfig(bool Enabled, string Field, WatermarkSpan? WindowSize);

/// <summary>The extractor settings a pipeline file gives; <see langword="null"/> where it gives none.</summary>
internal sealed record FileExtractorSettings(string? BaseUrl, int? PageSize, int? MaxConcurrent, bool? ConditionalRequests, ErrorMode? OnError, int? MaxRetries, Backoff? Backoff);

/// <summary>A pipeline loaded from YAML, resolved against a registry.</summary>
public sealed class LoadedPipeline
{
    private readonly FileExtractorSettings _settings;

    internal LoadedPipeline(string id, ExtractorRegistration extractor, FileExtractorSettings settings, OutputConfig? output, WatermarkConfig? watermark)
    {
        Id = id;
        Extractor = extractor;
        _settings = settings;
        ExtractorOptions = ApplyTo(new ExtractorOptions());
        OnError = settings.OnError;
        Output = output;
        Watermark = watermark;
    }

    /// <summary>The <c>pipeline_id</c>.</summary>
    public string Id { get; }

    /// <summary>The extractor the file names.</summary>
    public ExtractorRegistration Extractor { get; }

    /// <summary>The extractor settings the file gives (base URL, page size, retries, concurrency, error mode, conditional requests).</summary>
    public ExtractorOptions ExtractorOptions { get; }

    /// <summary>
    /// The extractor settings the file gives, applied over <paramref name="options"/> (a host's settings, say): each one the file gives
    /// wins, the others stay as they are; rates and retries are applied over <paramref name="options"/>' resilience, or the extractor's
    /// attributes when it has none.
    /// </summary>
    /// <param name="options">The settings to apply the file's over.</param>
    public ExtractorOptions ApplyTo(ExtractorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var f = _settings;
        options = options with { BaseUrl = f.BaseUrl ?? options.BaseUrl, PageSize = f.PageSize ?? options.PageSize, ConditionalRequests = f.ConditionalRequests ?? options.ConditionalRequests };
        if (f.MaxConcurrent is null && f.OnError is null && f.MaxRetries is null && f.Backoff is null)
        {
            return options;
        }

        var resilience = options.Resilience ?? Extractor.Resilience;
        if (f.MaxConcurrent is int concurrent)
        {
            resilience = resilience with { RateLimit = (resilience.RateLimit ?? new RateLimitOptions()) with { MaxConcurrent = concurrent } };
        }

        if (f.OnError is { } mode)
        {
            resilience = resilience with { OnError = mode };
        }

        if (f.MaxRetries is not null || f.Backoff is not null)
        {
            var retry = resilience.Retry ?? new RetryOptions();
            resilience = resilience with { Retry = retry with { MaxRetries = f.MaxRetries ?? retry.MaxRetries, Backoff = f.Backoff ?? retry.Backoff } };
        }

        return options with { Resilience = resilience };
    }

    /// <summary>The error mode of <c>error_handling.mode</c>, if given.</summary>
    public ErrorMode? OnError { get; }

    /// <summary>The <c>output</c> section, if given.</summary>
    public OutputConfig? Output { get; }

    /// <summary>The <c>watermark</c> section, if given.</summary>
    public WatermarkConfig? Watermark { get; }

    /// <summary>Creates the output the <c>output</c> section describes (an <see cref="IOutput{T}"/> of the extractor's records: a <see cref="JsonlOutput{T}"/>, or the user output type it names).</summary>
    /// <param name="directory">Overrides <see cref="OutputConfig.Directory"/>.</param>
    public object CreateOutput(string? directory = null)
        => (Output ?? throw new InvalidOperationException($"Pipeline '{Id}' has no output section.")).Create(Extractor, directory);

    /// <summary>
    /// Creates the pipeline into <paramref name="output"/> (from <see cref="CreateOutput"/>, or any <see cref="IOutput{T}"/> of the records):
    /// a <see cref="Pipeline{TIn, TOut}"/> of the extractor, with the file's <c>watermark</c> applied (off, or its <c>window_size</c> as the
    /// look-back before the stored watermark) and its <c>error_handling.mode</c>. Give <paramref name="options"/> a
    /// <see cref="PipelineOptions.StateStore"/> for incremental, resumable runs, exactly as for an attributed pipeline.
    /// </summary>
    /// <param name="output">The output.</param>
    /// <param name="httpClient">The client, or <see langword="null"/> for a shared one.</param>
    /// <param name="baseUrl">Overrides the base URL (e.g. a test server).</param>
    /// <param name="options">Pipeline settings (state store, backfill range, …); the file's error mode wins when it gives one.</param>
    /// <param name="extractorOptions">Replaces <see cref="ExtractorOptions"/> (a host adds credentials, clock and logging to them); <paramref name="baseUrl"/> still applies.</param>
    public IPipeline CreatePipeline(object output, HttpClient? httpClient = null, string? baseUrl = null, PipelineOptions? options = null, ExtractorOptions? extractorOptions = null)
        => Extractor.CreatePipeline(
            this,
            httpClient,
            baseUrl is null ? extractorOptions ?? ExtractorOptions : (extractorOptions ?? ExtractorOptions) with { BaseUrl = baseUrl },
            output,
            options ?? new PipelineOptions());

    /// <summary>
    /// The pipeline of <see cref="CreatePipeline(object, HttpClient?, string?, PipelineOptions?, ExtractorOptions?)"/> around
    /// <paramref name="extractor"/>, an instance of the file's extractor that the caller created and disposes when the run is over.
    /// </summary>
    internal Pipeline<TIn, TOut> CreatePipeline<TIn, TOut>(IExtractor<TIn, TOut> extractor, IOutput<TOut> output, PipelineOptions options)
        => new(Id, ConfiguredWatermarkExtractor<TIn, TOut>.Apply(extractor, Watermark), output, options with { OnError = OnError ?? options.OnError });

    /// <summary>Runs a pipeline from <see cref="CreatePipeline"/> for one input (of the extractor's input type).</summary>
    /// <param name="pipeline">The pipeline.</param>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public Task<PipelineResult> ExecuteAsync(IPipeline pipeline, object input, CancellationToken cancellationToken = default)
        => Extractor.ExecutePipelineAsync(pipeline, input, cancellationToken);
}
