namespace ApiPipeline;

/// <summary>Run-time settings of a chain.</summary>
public sealed record ChainOptions
{
    /// <summary>
    /// The id under which the chain keeps its state (scope <c>chain:&lt;id&gt;</c> of <see cref="StateStore"/>). Default: the chain's name.
    /// <see cref="ChainExecutor{TIn, TOut}.ExecuteParallelChainsAsync"/> appends <c>/&lt;key&gt;</c> per input, so the id itself may not contain
    /// <c>/</c> (dead-letter entries and replay read <c>&lt;chain id&gt;/&lt;step&gt;</c>).
    /// </summary>
    public string? ChainId { get; init; }

    /// <summary>Settings given to every step's extractor (e.g. a test server's <see cref="ExtractorOptions.BaseUrl"/>).</summary>
    public ExtractorOptions? Extractor { get; init; }

    /// <summary>Settings of single steps' extractors by step name; they replace <see cref="Extractor"/> for that step.</summary>
    public IReadOnlyDictionary<string, ExtractorOptions>? Steps { get; init; }

    /// <summary>
    /// Where chain state persists between steps: the records each step produced for the next, each input's progress (done, or the
    /// checkpoint of its next page) and the last output commit. With a store, a chain that failed resumes at the failed step, without
    /// re-running the steps before it, and nothing is written to the output twice. Default <see langword="null"/>: no state, no resume.
    /// </summary>
    public IStateStore? StateStore { get; init; }

    /// <summary>Pages buffered between two steps (backpressure beyond that). Default 4.</summary>
    public int ChannelCapacity { get; init; } = 4;

    /// <summary>
    /// The error mode of every step that has none of its own (<see cref="ChainStepSettings.OnError"/>: <c>[Step(OnError = …)]</c>, a chain
    /// file's <c>on_error</c>), over its extractor's. Default <see langword="null"/>: each step's own, else its extractor's.
    /// </summary>
    public ErrorMode? OnError { get; init; }

    /// <summary>
    /// The dead-letter JSONL file for steps in <see cref="ErrorMode.DeadLetter"/>; required when a step uses that mode. With a
    /// <see cref="StateStore"/> an entry reaches it with the commit that records its input past the failure (exactly once across a crash
    /// and resume), and an input dead-lettered this way is not extracted again by a resumed run.
    /// </summary>
    public string? DeadLetterPath { get; init; }

    /// <summary>The clock for durations and the output's flush interval. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the chain logs its start, its steps and its summary (category <c>ApiPipeline</c>). Default: none.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// The chain input as a JSON object of its members' values in text, secret-looking ones masked: the CLI host binds chain inputs from
    /// such values and gives them here, so the dead-letter entries of steps before the last carry them (<see cref="DeadLetterChain"/>)
    /// and <c>replay</c> can build the input again for the later steps' mappings. The host gives them for a chain it registers, never for a
    /// chain file's (whose steps a replay cannot take again); without them entries carry nothing for the later steps. Default: none.
    /// </summary>
    internal System.Text.Json.JsonElement? DeadLetterInput { get; init; }

    internal ExtractorOptions? ForStep(string step)
        => Steps is not null && Steps.TryGetValue(step, out var options) ? options : Extractor;
}

/// <summary>How one step of a chain runs. Generated from <see cref="StepAttribute"/> and <see cref="BatchedAttribute"/>, or read from YAML.</summary>
public sealed record ChainStepSettings
{
    /// <summary>The default of <see cref="MaxConcurrency"/>: 4.</summary>
    public const int DefaultMaxConcurrency = 4;

    /// <summary>The step's name.</summary>
    public required string Name { get; init; }

    /// <summary>How the step processes the records of the step before it. Default <see cref="ProcessingMode.Sequential"/>.</summary>
    public ProcessingMode Mode { get; init; } = ProcessingMode.Sequential;

    /// <summary>The most inputs extracted at once in <see cref="ProcessingMode.Parallel"/>. Default 4.</summary>
    public int MaxConcurrency { get; init; } = DefaultMaxConcurrency;

    /// <summary>What happens when an input still fails after retries. Default <see langword="null"/>: the extractor's <see cref="IExtractor{TIn, TOut}.OnError"/>.</summary>
    public ErrorMode? OnError { get; init; }

    /// <summary>API-level batching, or <see langword="null"/> for one request (series) per record of the step before.</summary>
    public BatchSettings? Batch { get; init; }

    /// <summary>
    /// The resilience settings the step's extractor declares (its <c>[Retry]</c>, <c>[RateLimited]</c>, … attributes), which a host
    /// applies its own settings over (rates and retries from configuration, in ApiPipeline.Hosting); set by the generator and by
    /// YAML chains. It does not change the step: <see cref="ChainOptions.Steps"/> does.
    /// </summary>
    public ResilienceOptions? ExtractorResilience { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> when the settings cannot work.</summary>
    /// <param name="chain">The chain, named in the message.</param>
    public void Validate(string chain)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException($"Chain '{chain}': a step has no name.");
        }

        if (MaxConcurrency < 1)
        {
            throw new ArgumentException($"Chain '{chain}', step '{Name}': MaxConcurrency must be at least 1, not {MaxConcurrency}.");
        }

        Batch?.Validate(chain, Name);
    }
}

/// <summary>API-level batching of a chain step (the design's <c>BatchConfig</c>).</summary>
public sealed record BatchSettings
{
    /// <summary>The default of <see cref="Size"/>: 100.</summary>
    public const int DefaultSize = 100;

    /// <summary>The default of <see cref="MaxConcurrentBatches"/>: 10.</summary>
    public const int DefaultMaxConcurrentBatches = 10;

    /// <summary>The default of <see cref="MaxBatchRetries"/>: 2.</summary>
    public const int DefaultMaxBatchRetries = 2;

    /// <summary>Records of the previous step per batch. Default 100.</summary>
    public int Size { get; init; } = DefaultSize;

    /// <summary>The most batches extracted at once. Default 10.</summary>
    public int MaxConcurrentBatches { get; init; } = DefaultMaxConcurrentBatches;

    /// <summary>Whether a failed batch is tried again from its failed page. Default <see langword="true"/>.</summary>
    public bool RetryFailedBatches { get; init; } = true;

    /// <summary>How many times a failed batch is tried again. Default 2.</summary>
    public int MaxBatchRetries { get; init; } = DefaultMaxBatchRetries;

    internal void Validate(string chain, string step)
    {
        if (Size < 1 || MaxConcurrentBatches < 1 || MaxBatchRetries < 0)
        {
            throw new ArgumentException($"Chain '{chain}', step '{step}': a batch needs Size >= 1 (is {Size}), MaxConcurrentBatches >= 1 (is {MaxConcurrentBatches}) and MaxBatchRetries >= 0 (is {MaxBatchRetries}).");
        }
    }
}
