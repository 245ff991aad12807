using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ApiPipeline.Hosting;

/// <summary>What to run and how: the target, its input, the range, where output and state go.</summary>
public sealed record RunRequest
{
    /// <summary>An extractor's name (a pipeline of it into JSONL), a chain's name, or a pipeline/chain YAML file.</summary>
    public required string Target { get; init; }

    /// <summary>The input, member name → text; default: the configured <see cref="ExtractorSettings.Input"/>.</summary>
    public IReadOnlyDictionary<string, string>? Input { get; init; }

    /// <summary>
    /// The start of the range: for an incremental extractor the watermark value to start at (a backfill, a point in time or a number,
    /// of the watermark's kind); otherwise it fills the input's <c>since</c>/<c>from</c> member (a date member for a point in time, a
    /// whole-number member for a number).
    /// </summary>
    public WatermarkValue? From { get; init; }

    /// <summary>The exclusive end of the range, as <see cref="From"/> (an <c>until</c>/<c>to</c> member of the input otherwise).</summary>
    public WatermarkValue? To { get; init; }

    /// <summary>The output folder; default <see cref="ApiPipelineOptions.Output"/>.</summary>
    public string? Output { get; init; }

    /// <summary>The SQLite state file; default <see cref="ApiPipelineOptions.StatePath"/>.</summary>
    public string? State { get; init; }

    /// <summary>Replaces the base URL of every extractor of the run.</summary>
    public string? BaseUrl { get; init; }
}

/// <summary>
/// Runs extractors (as pipelines into JSONL), chains and YAML-configured pipelines and chains by name, from a generated
/// <see cref="ComponentRegistry"/>, with settings from <see cref="ApiPipelineOptions"/>, and returns a <see cref="RunSummary"/>.
/// The command-line host and <see cref="PipelineScheduler"/> run through it; it is registered by <c>AddApiPipeline</c>.
/// </summary>
public sealed class PipelineRunner
{
    private readonly Func<string, HttpClient?> _httpClients;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Creates a runner.</summary>
    /// <param name="registry">The extractors and chains (<c>ApiPipeline.Generated.ApiPipelineRegistry.Instance</c>).</param>
    /// <param name="options">Settings; default: none.</param>
    /// <param name="loggerFactory">Where the runtime's and the runner's logs go; default none.</param>
    /// <param name="httpClients">The client for an extractor name (e.g. from <c>IHttpClientFactory</c>); default: the shared one.</param>
    /// <param name="timeProvider">The clock; default <see cref="TimeProvider.System"/>.</param>
    public PipelineRunner(ComponentRegistry registry, ApiPipelineOptions? options = null, ILoggerFactory? loggerFactory = null, Func<string, HttpClient?>? httpClients = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Registry = registry;
        Options = options ?? new ApiPipelineOptions();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("ApiPipeline.Hosting");
        _httpClients = httpClients ?? (static _ => null);
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The extractors and chains.</summary>
    public ComponentRegistry Registry { get; }

    /// <summary>The settings.</summary>
    public ApiPipelineOptions Options { get; }

    /// <summary>The clock.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Runs <see cref="RunRequest.Target"/> to the end and summarises the run.</summary>
    /// <param name="request">What to run.</param>
    /// <param name="cancellationToken">Cancels the run; what was read is committed.</param>
    /// <exception cref="KeyNotFoundException">No extractor, chain or file has that name.</exception>
    /// <exception cref="InputBindingException">The input cannot be built from the values given.</exception>
    /// <exception cref="ConfigException">A YAML file is wrong.</exception>
    public async Task<RunSummary> RunAsync(RunRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string output = request.Output ?? Options.Output;
        string target = request.Target;
        if (IsYaml(target))
        {
            if (!File.Exists(target))
            {
                throw new KeyNotFoundException($"The file '{target}' does not exist.");
            }

            if (ConfigFiles.LoadChainOrPipeline(target, Registry, out var chain, out var pipeline))
            {
                var output2 = chain.Output is null ? null : chain.CreateOutput(request.Output ?? (chain.Output.HasDirectory ? null : Options.Output));
                using (await OwnDirectoryTurnAsync(chain.Output, chain.Id).ConfigureAwait(false))
                {
                    return await chain.Definition.Accept(new ChainRun(this, request, chain.Id, output, output2, registered: false, cancellationToken)).ConfigureAwait(false);
                }
            }

            var (pipelineOptions, hostSettings) = FileSettings(pipeline);
            var loadedOutput = pipeline.Output is null ? null : pipeline.CreateOutput(request.Output ?? (pipeline.Output.HasDirectory ? null : Options.Output));
            using (await OwnDirectoryTurnAsync(pipeline.Output, pipeline.Id).ConfigureAwait(false))
            {
                return await pipeline.Extractor.Accept(new PipelineRun(this, request, pipeline.Id, output, pipelineOptions, hostSettings.Input, pipeline, loadedOutput, cancellationToken)).ConfigureAwait(false);
            }
        }

        // A file whose output names its own directory writes there whatever this host's Output is: its runs from other hosts (another
        // working folder, another Output) take turns on a lock there too, before the usual one in Output, which state reset and replay
        // take as well.
        async ValueTask<FileLock?> OwnDirectoryTurnAsync(OutputConfig? file, string id)
            => request.Output is null && file is { HasDirectory: true } && !FileLock.PathComparer.Equals(Folder(file.Directory), Folder(output))
                ? await RunTurnAsync(file.Directory, id, cancellationToken).ConfigureAwait(false)
                : null;

        var extractor = Registry.FindExtractor(target, out var problem);
        if (extractor is not null)
        {
            var settings = Options.For(extractor.Name);
            var options = settings.ApplyTo(new ExtractorOptions(), extractor.Resilience);
            return await extractor.Accept(new PipelineRun(this, request, extractor.Name, output, options, settings.Input, null, null, cancellationToken)).ConfigureAwait(false);
        }

        var chainRegistration = FindChain(Registry, target);
        if (chainRegistration is not null)
        {
            return await chainRegistration.Definition.Accept(new ChainRun(this, request, chainRegistration.Name, output, null, registered: true, cancellationToken)).ConfigureAwait(false);
        }

        throw new KeyNotFoundException($"Nothing to run is called '{target}': {problem}; chains: {ChainNames(Registry)}; or give a pipeline/chain .yaml file.");
    }

    /// <summary>
    /// The extractor settings of a pipeline file's run (and of its entries' replay): the file's win over the host's (the pipeline's entry,
    /// else its extractor's, over Defaults, over the attributes); and the host's settings on their own, whose input the run binds.
    /// </summary>
    internal (ExtractorOptions Options, ExtractorSettings Host) FileSettings(LoadedPipeline pipeline)
    {
        var host = Options.Extractors.TryGetValue(pipeline.Id, out var own) ? own.Over(Options.For(pipeline.Extractor.Name)) : Options.For(pipeline.Extractor.Name);
        return (pipeline.ApplyTo(host.ApplyTo(new ExtractorOptions(), pipeline.Extractor.Resilience)), host);
    }

    /// <summary>
    /// <paramref name="path"/> as one folder however it is spelled (a trailing '/'; compared with <see cref="FileLock.PathComparer"/> where
    /// the file system ignores case): a lock taken twice under two spellings would wait for itself.
    /// </summary>
    internal static string Folder(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>The chain <paramref name="target"/> names: its chain name (ignoring case), its full class name or its class name.</summary>
    internal static ChainRegistration? FindChain(ComponentRegistry registry, string target)
        => registry.Chains.FirstOrDefault(c => string.Equals(c.Name, target, StringComparison.OrdinalIgnoreCase) || c.TypeName == target || c.TypeName.EndsWith("." + target, StringComparison.Ordinal));

    /// <summary>The registered chains' names, for a message.</summary>
    internal static string ChainNames(ComponentRegistry registry)
        => registry.Chains.Count == 0 ? "none" : string.Join(", ", registry.Chains.Select(c => c.Name).Order(StringComparer.Ordinal));

    /// <summary>
    /// The extractor settings of a chain's steps: <paramref name="settings"/> (the chain's entry over <c>Defaults</c>) for every step,
    /// with its rates, retries and timeouts applied over each step's own attributes (<see cref="ChainStepSettings.ExtractorResilience"/>).
    /// </summary>
    internal (ExtractorOptions Extractor, IReadOnlyDictionary<string, ExtractorOptions>? Steps) ChainExtractors(ChainDefinition definition, ExtractorSettings settings, RunRequest request)
    {
        // A chain sends unconditional requests: ConditionalRequests (from Defaults, say) does not apply to its steps, and would only
        // make a step that fetches pages ahead refuse to start.
        settings = settings with { ConditionalRequests = null };
        var common = Common(settings.ApplyTo(new ExtractorOptions(), ResilienceOptions.None) with { Resilience = null }, request);
        Dictionary<string, ExtractorOptions>? steps = null;
        foreach (var step in definition.Steps)
        {
            if (settings.ApplyTo(new ExtractorOptions(), step.Settings.ExtractorResilience ?? ResilienceOptions.None).Resilience is { } resilience)
            {
                (steps ??= new(StringComparer.Ordinal))[step.Name] = common with { Resilience = resilience };
            }
        }

        return (common, steps);
    }

    /// <summary>
    /// The settings a chain of <paramref name="id"/> runs with from this host (its state store aside): steps' settings, error mode (over
    /// the steps' extractors', under a step's own: a chain file's <c>on_error</c>, <c>[Step(OnError = …)]</c>), dead-letter file, clock, logs.
    /// </summary>
    internal ChainOptions ChainOptionsFor(ChainDefinition definition, string id, RunRequest request, string outputDirectory)
    {
        var settings = Options.For(id);
        var (extractorOptions, stepOptions) = ChainExtractors(definition, settings, request);
        return new ChainOptions
        {
            ChainId = id,
            Extractor = extractorOptions,
            Steps = stepOptions,
            OnError = settings.OnError,
            DeadLetterPath = Path.Combine(outputDirectory, id + ".dead-letter.jsonl"),
            TimeProvider = TimeProvider,
            LoggerFactory = _loggerFactory,
        };
    }

    /// <summary>
    /// Input values (keyed by member name, <see cref="InputBinder.Values"/>) as a JSON object for dead-letter entries: the values of members
    /// whose names look secret masked (<c>***</c>), and so are the secret-looking query values of a URL given as a value.
    /// </summary>
    internal static JsonElement DeadLetterInput(IReadOnlyDictionary<string, string> values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, text) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
            {
                json.WriteString(name, UrlRedactor.IsSensitive(name) ? "***" : WithoutUrlSecrets(text));
            }

            json.WriteEndObject();
        }

        return JsonElement.Parse(buffer.WrittenSpan);
    }

    /// <summary>
    /// <paramref name="text"/>, or, when it is a URL holding a password (any scheme: <c>postgres://user:password@…</c>; over http(s), ws(s) and
    /// <c>…+https</c> any user info, which may be a token), <c>***</c>, and when it is a URL holding secret-looking query values, the URL with
    /// them masked.
    /// </summary>
    private static string WithoutUrlSecrets(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
        {
            return text;
        }

        // Over http(s) and what is built on it (ws, wss, git+https, …) a user name alone may be a token; elsewhere (ssh://git@…) it is not.
        bool http = url.Scheme is "http" or "https" or "ws" or "wss" || url.Scheme.EndsWith("+http", StringComparison.Ordinal) || url.Scheme.EndsWith("+https", StringComparison.Ordinal);
        if (url.UserInfo.Contains(':', StringComparison.Ordinal) || (http && url.UserInfo.Length > 0))
        {
            return "***";
        }

        string shown = UrlRedactor.Redact(text); // as text for other schemes (an ftp: query is not a Uri query)
        return shown.Contains("***", StringComparison.Ordinal) ? shown : text;
    }

    /// <summary>The JSON Lines output a chain of <paramref name="id"/> writes to in <paramref name="outputDirectory"/> when nothing else is given: <c>&lt;output&gt;/&lt;id&gt;/</c>.</summary>
    internal JsonlOutput<TOut> ChainOutput<TIn, TOut>(ChainDefinition<TIn, TOut> definition, string id, string outputDirectory)
        => new(definition.RecordTypeInfo ?? RecordTypeInfo<TOut>($"Chain '{id}'"), new JsonlOutputOptions<TOut> { Directory = outputDirectory, Name = id });

    /// <summary>The settings given to every extractor of a run: credentials, clock, logs, and the base-URL override.</summary>
    internal ExtractorOptions Common(ExtractorOptions options, RunRequest request) => options with
    {
        BaseUrl = request.BaseUrl ?? options.BaseUrl,
        Credentials = options.Credentials ?? CredentialSource.Create(name => Options.Credentials.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : Environment.GetEnvironmentVariable(name)), // an empty placeholder is not a value
        TimeProvider = TimeProvider,
        LoggerFactory = options.LoggerFactory ?? _loggerFactory,
    };

    /// <summary>
    /// The client a run of <paramref name="name"/> (an extractor's name, or a chain's for its steps) sends its requests through:
    /// <see cref="PipelineHostOptions.HttpClients"/> or the <c>IHttpClientFactory</c> client; <see langword="null"/> for the shared one.
    /// </summary>
    internal HttpClient? HttpClientFor(string name) => _httpClients(name);

    internal static bool IsYaml(string target)
        => target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>The JSON metadata of records of type <typeparamref name="T"/>, from an extractor that produces them.</summary>
    internal JsonTypeInfo<T> RecordTypeInfo<T>(string what)
    {
        foreach (var registration in Registry.Extractors.Where(e => e.OutputType == typeof(T)))
        {
            if (registration.Accept(RecordMetadata.Instance) is JsonTypeInfo<T> info)
            {
                return info;
            }
        }

        throw new InvalidOperationException($"{what}: no registered extractor produces {typeof(T).Name} records, so their JSON metadata is unknown.");
    }

    /// <summary>The shape of inputs of type <typeparamref name="T"/>, from an extractor that takes them.</summary>
    internal TypeShape InputShape<T>(string what)
        => Registry.Extractors.FirstOrDefault(e => e.InputType == typeof(T))?.Input
           ?? throw new InvalidOperationException($"{what}: no registered extractor takes {typeof(T).Name}, so it cannot be built from text.");

    /// <summary>
    /// Waits until no other run of <paramref name="id"/> into <paramref name="outputDirectory"/> is going, in this process (two
    /// schedules of one pipeline) or another (two CLI runs): runs of one pipeline share its output folder and its state.
    /// </summary>
    internal static ValueTask<FileLock> TurnAsync(string outputDirectory, string id, CancellationToken cancellationToken)
        => TurnAsync(outputDirectory, id, null, cancellationToken);

    /// <summary>As <see cref="TurnAsync(string, string, CancellationToken)"/>, calling <paramref name="waiting"/> with the lock file's path once if it has to wait.</summary>
    internal static ValueTask<FileLock> TurnAsync(string outputDirectory, string id, Action<string>? waiting, CancellationToken cancellationToken)
        => FileLock.AcquireAsync(Path.Combine(outputDirectory, "." + id + ".run"), waiting, cancellationToken);

    /// <summary>Takes the turn of <paramref name="id"/> for a run, logging (event 5006) when another run makes it wait, so it does not look hung.</summary>
    private ValueTask<FileLock> RunTurnAsync(string outputDirectory, string id, CancellationToken cancellationToken)
        => TurnAsync(outputDirectory, id, lockFile => HostLog.WaitingForTurn(_logger, id, lockFile), cancellationToken);

    private async Task<IStateStore> OpenStateAsync(RunRequest request, CancellationToken cancellationToken)
    {
        string path = request.State ?? (request.Output is null ? Options.StatePath : Path.Combine(request.Output, ".state", "apipipeline.db"));
        return await SqliteStateStore.OpenAsync(path, cancellationToken).ConfigureAwait(false);
    }

    private RunSummary Finish(RunSummary summary)
    {
        HostLog.RunSummary(_logger, summary.ToString());
        return summary;
    }

    private sealed class RecordMetadata : IExtractorRegistrationVisitor<object>
    {
        public static readonly RecordMetadata Instance = new();

        public object Visit<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration) => registration.RecordTypeInfo;
    }

    /// <summary>
    /// One extractor into JSONL (or the file's output) as a <see cref="Pipeline{TIn, TOut}"/> with the SQLite state store; a pipeline file's
    /// pipeline is built by <see cref="LoadedPipeline.CreatePipeline{TIn, TOut}(IExtractor{TIn, TOut}, IOutput{TOut}, PipelineOptions)"/>, so its
    /// <c>watermark</c> and <c>error_handling</c> sections apply. The run creates one instance of the extractor and disposes it at its end.
    /// </summary>
    private sealed class PipelineRun(PipelineRunner runner, RunRequest request, string id, string outputDirectory, ExtractorOptions options, IReadOnlyDictionary<string, string>? configuredInput, LoadedPipeline? loaded, object? output, CancellationToken cancellationToken)
        : IExtractorRegistrationVisitor<Task<RunSummary>>
    {
        public async Task<RunSummary> Visit<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration)
        {
            // One instance for the run, the host's to dispose at its end: a pipeline file's pipeline runs it too, and a hand-written
            // extractor's watermark is known from an instance only.
            var extractor = registration.CreateExtractor(runner.HttpClientFor(registration.Name), runner.Common(options, request));
            try
            {
                return await RunAsync(registration, extractor).ConfigureAwait(false);
            }
            finally
            {
                await Disposal.DisposeAsync(extractor).ConfigureAwait(false);
            }
        }

        /// <summary>The run with <paramref name="extractor"/>, the instance <see cref="Visit"/> created.</summary>
        private async Task<RunSummary> RunAsync<TIn, TOut>(ExtractorRegistration<TIn, TOut> registration, IExtractor<TIn, TOut> extractor)
        {
            // An incremental extractor (a watermark) takes --from/--to as its range (a backfill); others get them as input members.
            var watermark = registration.Watermark ?? extractor.Watermark;
            if (loaded?.Watermark is { Enabled: false } && (request.From is not null || request.To is not null))
            {
                // The pipeline the file builds has no watermark: the range would be half applied (a start sent as the parameter, no end).
                throw new InputBindingException($"The pipeline file '{request.Target}' turns the watermark of '{registration.Name}' off (watermark: enabled: false), so --from/--to have no range to set; remove them, or turn the watermark on for a backfill.");
            }

            bool incremental = watermark is not null;
            if (watermark is not null)
            {
                CheckRange(registration.Name, watermark.Field, watermark.Kind, request.From, "--from");
                CheckRange(registration.Name, watermark.Field, watermark.Kind, request.To, "--to");
            }

            var input = (TIn)InputBinder.Bind(registration.Input, request.Input ?? configuredInput, incremental ? null : request.From, incremental ? null : request.To);
            using var turn = await runner.RunTurnAsync(outputDirectory, id, cancellationToken).ConfigureAwait(false);
            var store = await runner.OpenStateAsync(request, cancellationToken).ConfigureAwait(false);
            await using var storeScope = store.ConfigureAwait(false);
            var sink = (IOutput<TOut>?)output ?? new JsonlOutput<TOut>(registration.RecordTypeInfo, new JsonlOutputOptions<TOut> { Directory = outputDirectory, Name = id });
            await using (sink.ConfigureAwait(false))
            {
                var pipelineOptions = new PipelineOptions
                {
                    TimeProvider = runner.TimeProvider,
                    LoggerFactory = runner._loggerFactory,
                    StateStore = store,
                    From = incremental ? request.From : null,
                    Until = incremental ? request.To : null,
                    PipelineFile = loaded is null ? null : Path.GetFullPath(request.Target),
                    // A JSON Lines output's dead letters go beside its folder; a user output's (a pipeline file's) beside the pipeline's
                    // would-be folder in the output directory, as a chain's do.
                    DeadLetterPath = sink is JsonlOutput<TOut> ? null : Path.Combine(outputDirectory, id + ".dead-letter.jsonl"),
                };
                var pipeline = loaded is null ? new Pipeline<TIn, TOut>(id, extractor, sink, pipelineOptions) : loaded.CreatePipeline(extractor, sink, pipelineOptions);
                var result = await pipeline.ExecuteAsync(input, cancellationToken).ConfigureAwait(false);
                return runner.Finish(RunSummary.From(result));
            }
        }

        private static void CheckRange(string extractor, string field, WatermarkKind kind, WatermarkValue? value, string option)
        {
            if (value is { } given && given.Kind != kind)
            {
                throw new InputBindingException(kind == WatermarkKind.Number
                    ? $"{option} {given} is a point in time, but the watermark of '{extractor}' ({field}) is a number: give {option} as a whole number, e.g. {option} 1000."
                    : $"{option} {given} is a number, but the watermark of '{extractor}' ({field}) is a point in time: give {option} in ISO 8601, e.g. {option} 2026-01-01.");
            }
        }
    }

    /// <summary>
    /// A chain into JSONL, with its state in the SQLite store (so a failed run resumes). The dead-letter entries of a
    /// <paramref name="registered"/> chain's steps before the last carry the input's values, so replay can build it again and take the later
    /// steps; a chain file's do not (replay finds only registered chains by id, and a file may reuse one's id with other steps).
    /// </summary>
    private sealed class ChainRun(PipelineRunner runner, RunRequest request, string id, string outputDirectory, object? output, bool registered, CancellationToken cancellationToken)
        : IChainDefinitionVisitor<Task<RunSummary>>
    {
        public async Task<RunSummary> Visit<TIn, TOut>(ChainDefinition<TIn, TOut> definition)
        {
            var shape = runner.InputShape<TIn>($"Chain '{id}'");
            var values = InputBinder.Values(shape, request.Input ?? runner.Options.For(id).Input, request.From, request.To);
            var input = (TIn)InputBinder.Bind(shape, values);
            using var turn = await runner.RunTurnAsync(outputDirectory, id, cancellationToken).ConfigureAwait(false);
            var store = await runner.OpenStateAsync(request, cancellationToken).ConfigureAwait(false);
            await using (store.ConfigureAwait(false))
            {
                var sink = (IOutput<TOut>?)output ?? runner.ChainOutput(definition, id, outputDirectory);
                await using (sink.ConfigureAwait(false))
                {
                    var executor = new ChainExecutor<TIn, TOut>(definition, runner.HttpClientFor(id), runner.ChainOptionsFor(definition, id, request, outputDirectory) with
                    {
                        StateStore = store,
                        DeadLetterInput = registered ? PipelineRunner.DeadLetterInput(values) : null,
                    });
                    try
                    {
                        var result = await executor.ExecuteAsync(input, sink, cancellationToken).ConfigureAwait(false);
                        return runner.Finish(RunSummary.From(result));
                    }
                    finally
                    {
                        await executor.DisposeStepsAsync().ConfigureAwait(false);
                    }
                }
            }
        }
    }
}
