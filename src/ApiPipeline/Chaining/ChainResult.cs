namespace ApiPipeline;

/// <summary>The outcome of one chain run (one chain input).</summary>
public sealed record ChainResult
{
    /// <summary>The most failures kept in <see cref="Failures"/>.</summary>
    public const int MaxFailures = 100;

    /// <summary>The chain's name.</summary>
    public required string Chain { get; init; }

    /// <summary>The id the chain's state is kept under (<see cref="ChainOptions.ChainId"/>, plus <c>/&lt;key&gt;</c> for parallel chains).</summary>
    public required string ChainId { get; init; }

    /// <summary>
    /// <see cref="PipelineStatus.Succeeded"/>, <see cref="PipelineStatus.PartialSuccess"/> (some inputs of some steps failed and were skipped),
    /// <see cref="PipelineStatus.Failed"/> or <see cref="PipelineStatus.Cancelled"/>.
    /// </summary>
    public required PipelineStatus Status { get; init; }

    /// <summary>The run's number in the state store (1 without a store); a resumed run keeps the number of the run it continues.</summary>
    public long RunId { get; init; }

    /// <summary>Whether this run continued a failed or interrupted run from the state store.</summary>
    public bool Resumed { get; init; }

    /// <summary>Records of the last step committed to the output by this run.</summary>
    public long Records { get; init; }

    /// <summary>The files committed by this run, in order.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Wall-clock duration of the run.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>What each step did, in step order.</summary>
    public IReadOnlyList<ChainStepResult> Steps { get; init; } = [];

    /// <summary>The inputs that failed, in order of failure (at most <see cref="MaxFailures"/>); the one that stopped the run is marked <see cref="ChainFailure.Fatal"/>.</summary>
    public IReadOnlyList<ChainFailure> Failures { get; init; } = [];

    /// <summary>The step the run stopped at, when it failed; resuming starts there.</summary>
    public string? FailedStep { get; init; }

    /// <summary>Why the run failed or was cancelled.</summary>
    public Exception? Error { get; init; }

    /// <summary>The dead-letter file, when this run wrote to it.</summary>
    public string? DeadLetterFile { get; init; }

    /// <summary>Throws <see cref="ChainFailedException"/> (or <see cref="OperationCanceledException"/>) unless the run succeeded in full.</summary>
    public ChainResult EnsureSuccess() => Status switch
    {
        PipelineStatus.Succeeded => this,
        PipelineStatus.Cancelled => throw new OperationCanceledException($"Chain '{ChainId}' was cancelled.", Error),
        _ => throw new ChainFailedException(this),
    };
}

/// <summary>What one step of a chain run did.</summary>
public sealed record ChainStepResult
{
    /// <summary>The step's name.</summary>
    public required string Name { get; init; }

    /// <summary>The step's 1-based position.</summary>
    public required int Index { get; init; }

    /// <summary>The step's processing mode.</summary>
    public required ProcessingMode Mode { get; init; }

    /// <summary>How the step ended: succeeded, partly succeeded (some inputs failed), failed (it stopped the run) or cancelled.</summary>
    public required PipelineStatus Status { get; init; }

    /// <summary>Inputs extracted by this run (one per record of the step before, or one per batch).</summary>
    public long Inputs { get; init; }

    /// <summary>Inputs a resumed run found already done and did not extract again.</summary>
    public long InputsAlreadyDone { get; init; }

    /// <summary>Records the step produced.</summary>
    public long Records { get; init; }

    /// <summary>Pages the step read.</summary>
    public long Pages { get; init; }

    /// <summary>Attempts sent: pages plus the extractor's retries, and those of pages fetched ahead and dropped past the last page.</summary>
    public long Requests { get; init; }

    /// <summary>Retries the step's extractor made (attempts beyond the first of each page).</summary>
    public long Retries { get; init; }

    /// <summary>Time the step's pages waited for rate limits (the client-side limiter, host pauses, <c>Retry-After</c>).</summary>
    public TimeSpan Throttled { get; init; }

    /// <summary>Batches tried again after a failure (<see cref="BatchSettings.RetryFailedBatches"/>).</summary>
    public long BatchRetries { get; init; }

    /// <summary>Inputs or pages that failed after retries and were skipped (or that stopped the run).</summary>
    public long Failures { get; init; }

    /// <summary>Inputs or pages that failed and were skipped under <see cref="ErrorMode.Skip"/>; not counted in <see cref="Failures"/>.</summary>
    public long Skipped { get; init; }

    /// <summary>Failures written to the step's dead-letter file (<see cref="ErrorMode.DeadLetter"/>).</summary>
    public long DeadLettered { get; init; }
}

/// <summary>An input of a chain step that failed.</summary>
/// <param name="Step">The step's name.</param>
/// <param name="StepIndex">The step's 1-based position.</param>
/// <param name="InputKey">
/// The input's position in the records of the step before (0 for the chain input of the first step; for a batch, its first record's).
/// </param>
/// <param name="Input">The input, as the extractor describes it (secrets redacted), else its <see cref="object.ToString"/>.</param>
/// <param name="Error">The error.</param>
/// <param name="Fatal">Whether this failure stopped the run.</param>
public sealed record ChainFailure(string Step, int StepIndex, long InputKey, string? Input, Exception Error, bool Fatal);

/// <summary>A chain step failed for one input and the step's error mode stopped the chain.</summary>
public sealed class ChainStepException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="chain">The chain's id.</param>
    /// <param name="step">The step's name.</param>
    /// <param name="stepIndex">The step's 1-based position.</param>
    /// <param name="inputKey">The input's position in the records of the step before.</param>
    /// <param name="input">The input's description.</param>
    /// <param name="detail">What went wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public ChainStepException(string chain, string step, int stepIndex, long inputKey, string? input, string detail, Exception? innerException = null)
        : base($"Chain '{chain}', step {stepIndex} '{step}', input #{inputKey}{(input is null ? "" : $" ({input})")}: {detail}", innerException)
    {
        Chain = chain;
        Step = step;
        StepIndex = stepIndex;
        InputKey = inputKey;
        Input = input;
    }

    /// <summary>The chain's id.</summary>
    public string Chain { get; }

    /// <summary>The step's name.</summary>
    public string Step { get; }

    /// <summary>The step's 1-based position.</summary>
    public int StepIndex { get; }

    /// <summary>The input's position in the records of the step before.</summary>
    public long InputKey { get; }

    /// <summary>The input's description.</summary>
    public string? Input { get; }
}

/// <summary>
/// A chain mapping met a value it cannot pass on (a <see langword="null"/> for a member that does not accept one), or could not build a
/// step's input for another reason (the inner exception).
/// </summary>
public sealed class ChainMappingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public ChainMappingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception for what a mapping threw.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">What the mapping threw.</param>
    public ChainMappingException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Used by generated mapping code: <paramref name="source"/> was <see langword="null"/> but <paramref name="target"/> needs a value.</summary>
    /// <param name="step">The step.</param>
    /// <param name="source">The source member path.</param>
    /// <param name="target">The target member.</param>
    public static ChainMappingException NullValue(string step, string source, string target)
        => new($"Step '{step}': the mapping from '{source}' gave null, but '{target}' of the step's input does not accept null.");
}

/// <summary>A chain run did not succeed; <see cref="Result"/> says how far it got.</summary>
/// <param name="result">The run's result.</param>
public sealed class ChainFailedException(ChainResult result)
    : Exception(
        result.Status == PipelineStatus.PartialSuccess
            ? $"Chain '{result.ChainId}' partly succeeded: {result.Records:N0} records, {result.Failures.Count} failed input(s); first: {result.Failures.FirstOrDefault()?.Error.Message}"
            : $"Chain '{result.ChainId}' failed at step '{result.FailedStep}' after {result.Records:N0} records: {result.Error?.Message}",
        result.Error ?? result.Failures.FirstOrDefault()?.Error)
{
    /// <summary>The run's result.</summary>
    public ChainResult Result { get; } = result;
}

/// <summary>The chain's state in the store does not fit this run (another input, an unreadable value); the message says how to go on.</summary>
/// <param name="message">What is wrong.</param>
/// <param name="inner">The underlying error.</param>
public sealed class ChainStateException(string message, Exception? inner = null) : Exception(message, inner);
