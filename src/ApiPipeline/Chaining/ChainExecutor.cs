using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ApiPipeline;

/// <summary>A chain that runs for inputs of type <typeparamref name="TIn"/> and writes records of type <typeparamref name="TOut"/>.</summary>
/// <typeparam name="TIn">The chain input: the first step's input.</typeparam>
/// <typeparam name="TOut">The chain's records: the last step's.</typeparam>
public interface IChain<TIn, TOut>
{
    /// <summary>The chain's name.</summary>
    string Name { get; }

    /// <summary>
    /// Runs the chain for one input (the design's <c>execute_single_chain</c>) and writes the last step's records to <paramref name="output"/>.
    /// With a <see cref="ChainOptions.StateStore"/>, a run that failed or was interrupted for the same chain id and input is continued where
    /// it stopped; a finished one is started over.
    /// </summary>
    /// <param name="input">The chain input.</param>
    /// <param name="output">Where the last step's records go; the chain commits it and does not dispose it.</param>
    /// <param name="cancellationToken">Cancels the run; what the output received is committed.</param>
    Task<ChainResult> ExecuteAsync(TIn input, IOutput<TOut> output, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs one chain per input, at most <paramref name="maxParallelChains"/> at once (the design's <c>execute_parallel_chains</c>), and returns
    /// one result per input, in input order: one input failing does not stop the others.
    /// </summary>
    /// <param name="inputs">The inputs.</param>
    /// <param name="maxParallelChains">The most chains running at once.</param>
    /// <param name="outputFor">Creates the output of the input at an index; the chain disposes it after the run.</param>
    /// <param name="chainKey">
    /// The key of each input's state (<c>&lt;ChainId&gt;/&lt;key&gt;</c>); default: its index. A key may not contain <c>/</c> (dead-letter
    /// entries and replay read <c>&lt;chain id&gt;/&lt;step&gt;</c>): such an input is not run, and its result fails with an
    /// <see cref="ArgumentException"/>. When it throws, that input is not run either, and its result (under its default key) fails with
    /// that exception.
    /// </param>
    /// <param name="cancellationToken">Cancels every run.</param>
    Task<IReadOnlyList<ChainResult>> ExecuteParallelChainsAsync(IEnumerable<TIn> inputs, int maxParallelChains, Func<TIn, int, IOutput<TOut>> outputFor, Func<TIn, int, string>? chainKey = null, CancellationToken cancellationToken = default);

    /// <summary>Forgets the chain's state (and that of its parallel chains): the next run starts from scratch.</summary>
    /// <param name="cancellationToken">Cancels before the transaction.</param>
    Task ResetStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Runs a <see cref="ChainDefinition{TIn, TOut}"/>: each step is a stage, stages are connected by bounded channels of pages, so a step starts
/// on the first records of the step before it and memory stays bounded however many records flow. Generated <see cref="ChainAttribute"/>
/// classes forward to one; configuration-driven chains (<see cref="ChainConfig"/>) use one directly. It creates every step's extractor; the
/// host and <see cref="ChainConfig"/>, which create an executor per run, dispose those that are disposable at the run's end.
/// </summary>
/// <typeparam name="TIn">The chain input.</typeparam>
/// <typeparam name="TOut">The chain's records.</typeparam>
public sealed class ChainExecutor<TIn, TOut> : IChain<TIn, TOut>
{
    private readonly object[] _extractors;
    private int _disposed;
    private readonly ErrorMode[] _modes;
    private readonly ConcurrentDictionary<string, bool> _running = new(StringComparer.Ordinal);

    /// <summary>Creates the executor and every step's extractor.</summary>
    /// <param name="definition">The chain.</param>
    /// <param name="httpClient">The client every step's extractor sends requests with; <see langword="null"/> for a shared one.</param>
    /// <param name="options">Run-time settings.</param>
    /// <exception cref="ArgumentException">The chain id (<see cref="ChainOptions.ChainId"/>, else the chain's name) contains <c>/</c>, or a step's settings are wrong.</exception>
    public ChainExecutor(ChainDefinition<TIn, TOut> definition, HttpClient? httpClient = null, ChainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Definition = definition;
        Options = options ?? new ChainOptions();
        if (SlashInName.Problem("chain id", ChainId) is { } bad)
        {
            throw new ArgumentException($"Chain '{definition.Name}': {bad} (ChainOptions.ChainId, else the chain's name).", nameof(options));
        }

        _extractors = new object[definition.Steps.Count];
        _modes = new ErrorMode[definition.Steps.Count];
        try
        {
            CreateSteps(httpClient, Options);
        }
        catch
        {
            // The steps created before the one that failed are this executor's, which nobody else can dispose.
            foreach (var extractor in _extractors)
            {
                Disposal.Dispose(extractor);
            }

            throw;
        }
    }

    /// <summary>Creates and checks every step's extractor, in order.</summary>
    private void CreateSteps(HttpClient? httpClient, ChainOptions options)
    {
        var definition = Definition;
        for (int i = 0; i < definition.Steps.Count; i++)
        {
            var step = definition.Steps[i];
            step.Settings.Validate(definition.Name);
            _extractors[i] = step.CreateExtractor(httpClient, options.ForStep(step.Name));
            _modes[i] = step.Settings.OnError ?? options.OnError ?? step.ExtractorErrorMode(_extractors[i]);
            if (_modes[i] == ErrorMode.DeadLetter && options.DeadLetterPath is null)
            {
                throw new ArgumentException($"Chain '{definition.Name}', step '{step.Name}': ErrorMode.DeadLetter needs ChainOptions.DeadLetterPath.", nameof(options));
            }

            if (options.StateStore is not null && i < definition.Steps.Count - 1 && !step.CanPersistRecords)
            {
                throw new ArgumentException($"Chain '{definition.Name}', step '{step.Name}': its records cannot be kept in the state store because their JSON metadata is unknown (the step's extractor is not an [Extractor] class); run without ChainOptions.StateStore, or pass the records' JsonTypeInfo to the step.", nameof(options));
            }
        }
    }

    /// <inheritdoc/>
    public string Name => Definition.Name;

    /// <summary>The chain.</summary>
    public ChainDefinition<TIn, TOut> Definition { get; }

    /// <summary>The settings in force.</summary>
    public ChainOptions Options { get; }

    /// <summary>The id the chain's state is kept under: <see cref="ChainOptions.ChainId"/>, else the chain's name.</summary>
    public string ChainId => Options.ChainId ?? Definition.Name;

    /// <summary>The extractor of the step at a 0-based position (the generated step properties return these).</summary>
    /// <param name="index">The step's 0-based position.</param>
    public object GetExtractor(int index) => _extractors[index];

    /// <summary>The error mode in force for the step at a 0-based position.</summary>
    /// <param name="index">The step's 0-based position.</param>
    public ErrorMode GetErrorMode(int index) => _modes[index];

    /// <summary>
    /// Disposes, once, the step extractors this executor created that are disposable (with <see cref="IAsyncDisposable.DisposeAsync"/>,
    /// else <see cref="IDisposable.Dispose"/>): for the host and <see cref="ChainConfig"/>, which create an executor per run. The executor
    /// is not public <see cref="IDisposable"/>, so a dependency injection container does not keep every transient chain it resolves.
    /// </summary>
    internal async ValueTask DisposeStepsAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            List<Exception>? errors = null;
            foreach (var extractor in _extractors)
            {
                try
                {
                    await Disposal.DisposeAsync(extractor).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    (errors ??= []).Add(ex); // the other steps are disposed still
                }
            }

            if (errors is not null)
            {
                if (errors.Count == 1)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(errors[0]);
                }

                throw new AggregateException(errors);
            }
        }
    }

    /// <inheritdoc/>
    public Task<ChainResult> ExecuteAsync(TIn input, IOutput<TOut> output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        return RunAsync(ChainId, input, output, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ChainResult>> ExecuteParallelChainsAsync(IEnumerable<TIn> inputs, int maxParallelChains, Func<TIn, int, IOutput<TOut>> outputFor, Func<TIn, int, string>? chainKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputFor);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelChains, 1);
        var list = inputs as IReadOnlyList<TIn> ?? [.. inputs];
        var results = new ChainResult[list.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxParallelChains, CancellationToken = CancellationToken.None };
        await Parallel.ForEachAsync(Enumerable.Range(0, list.Count), options, async (i, _) =>
        {
            var input = list[i];
            // The input's id until its key is known (a chainKey that throws fails this input alone, under its default key).
            string id = ChainId + "/" + i.ToString(CultureInfo.InvariantCulture);
            IOutput<TOut>? output = null;
            try
            {
                string key = chainKey?.Invoke(input, i) ?? i.ToString(CultureInfo.InvariantCulture);
                id = ChainId + "/" + key;
                if (SlashInName.Problem("chain key", key) is { } bad)
                {
                    throw new ArgumentException($"Chain '{Name}', input {i}: {bad} (the chainKey of the input).", nameof(chainKey));
                }

                output = outputFor(input, i);
                results[i] = await RunAsync(id, input, output, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // One input's failure to even start (its output, its state) is its own result, not the others' end.
                results[i] = new ChainResult
                {
                    Chain = Name,
                    ChainId = id,
                    Status = ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? PipelineStatus.Cancelled : PipelineStatus.Failed,
                    Error = ex,
                };
            }
            finally
            {
                if (output is not null)
                {
                    await output.DisposeAsync().ConfigureAwait(false);
                }
            }
        }).ConfigureAwait(false);
        return results;
    }

    /// <inheritdoc/>
    public async Task ResetStateAsync(CancellationToken cancellationToken = default)
    {
        if (Options.StateStore is not { } store)
        {
            return;
        }

        var change = new StateChange().DeleteScope(ChainStateStore.ScopeOf(ChainId));
        foreach (var scope in await store.GetScopesAsync(ChainStateStore.ScopeOf(ChainId) + "/", cancellationToken).ConfigureAwait(false))
        {
            change.DeleteScope(scope);
        }

        await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ChainResult> RunAsync(string chainId, TIn input, IOutput<TOut> output, CancellationToken cancellationToken)
    {
        if (!_running.TryAdd(chainId, true))
        {
            throw new InvalidOperationException($"Chain '{chainId}' is already running; a chain id runs once at a time.");
        }

        try
        {
            using var turn = await OutputTurn.TakeAsync(output, "chain", chainId, Options.LoggerFactory?.CreateLogger(Log.Category), cancellationToken).ConfigureAwait(false);
            return await RunCoreAsync(chainId, input, output, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(chainId, out _);
        }
    }

    /// <summary>
    /// Replays a dead-letter entry of one of the chain's steps (the CLI's <c>replay</c>): that step requests the entry's failed page (or the
    /// rest of its input) again, and the steps after it take the records as a run would have, with their mappings, processing modes and
    /// error modes, into <paramref name="output"/>, the chain's own. The output is committed once, when the replay went through; the entries
    /// of later steps' failures are kept in <paramref name="replay"/> (<see cref="ChainReplay.DeadLetters"/>). The options have no state
    /// store, and the caller holds the output's turn.
    /// </summary>
    /// <param name="replay">The entry's step, checkpoint and lineage.</param>
    /// <param name="input">The chain input, for the later steps' mappings.</param>
    /// <param name="output">The chain's output.</param>
    /// <param name="cancellationToken">Cancels the replay; nothing is committed then.</param>
    internal Task<ChainResult> ReplayAsync(ChainReplay replay, TIn input, IOutput<TOut> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replay);
        ArgumentNullException.ThrowIfNull(output);
        if (Options.StateStore is not null)
        {
            throw new ArgumentException($"Chain '{ChainId}': a replay keeps no state; create the executor without ChainOptions.StateStore.");
        }

        return RunCoreAsync(ChainId, input, output, replay, cancellationToken);
    }

    private async Task<ChainResult> RunCoreAsync(string chainId, TIn input, IOutput<TOut> output, ChainReplay? replay, CancellationToken cancellationToken)
    {
        using var span = Instruments.StartSpan("apipipeline.chain");
        span?.SetTag(ApiPipelineTags.Chain, chainId);
        var logger = Options.LoggerFactory?.CreateLogger(Log.Category);
        if (logger is not null)
        {
            Log.RunStarting(logger, "chain", chainId, string.Join(" -> ", Definition.Steps.Select(s => s.Name)), "its steps' base URLs", "none");
        }

        ChainResult result;
        long started = Options.TimeProvider.GetTimestamp();
        try
        {
            result = await RunStepsAsync(chainId, input, output, replay, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (replay is null)
        {
            // The run could not start (its state, recovery or options): counted like any run that ended so, as a pipeline's is.
            var ended = ex is OperationCanceledException && cancellationToken.IsCancellationRequested ? PipelineStatus.Cancelled : PipelineStatus.Failed;
            Instruments.Run("chain", chainId, ended, Options.TimeProvider.GetElapsedTime(started));
            throw;
        }

        var summary = RunSummary.From(result);
        if (replay is null)
        {
            Instruments.Run("chain", chainId, result.Status, result.Duration); // a replay is not a run of the chain
        }

        if (span is not null)
        {
            span.SetTag(ApiPipelineTags.Outcome, summary.OutcomeText).SetTag(ApiPipelineTags.RecordCount, result.Records);
            if (result.Error is { } failure)
            {
                Instruments.Fail(span, failure);
            }
        }

        if (logger is not null)
        {
            foreach (var step in result.Steps)
            {
                Log.StepFinished(logger, chainId, step.Index, step.Name, Instruments.Outcome(step.Status), step.Inputs, step.Pages, step.Records, step.Requests, step.Failures);
            }

            summary.LogTo(logger, result.Error);
        }

        return result;
    }

    private async Task<ChainResult> RunStepsAsync(string chainId, TIn input, IOutput<TOut> output, ChainReplay? replay, CancellationToken cancellationToken)
    {
        var clock = Options.TimeProvider;
        long started = clock.GetTimestamp();
        var state = Options.StateStore is { } store ? new ChainStateStore(store, chainId) : null;
        bool resuming = false;
        string? recoveredDeadLetters = null;
        long runId = 1;
        ChainRunRecord? record = null;
        if (state is not null)
        {
            string fingerprint = ChainStateStore.Fingerprint(input, Definition.Steps[0].InputKey(_extractors[0], input));
            var prior = await state.LoadRunAsync(cancellationToken).ConfigureAwait(false);
            recoveredDeadLetters = await ChainRun.RollForwardDeadLettersAsync(state, chainId, cancellationToken).ConfigureAwait(false);
            if (prior is { Unfinished: true })
            {
                if (prior.Input != fingerprint)
                {
                    throw new ChainStateException($"Chain '{chainId}' has an unfinished run (#{prior.RunId}, {prior.Status}{(prior.FailedStep is null ? "" : $" at step '{prior.FailedStep}'")}) for another input in '{state.Location}'; finish it with that input, give this input its own ChainOptions.ChainId, or call ResetStateAsync to drop it.");
                }

                resuming = true;
                runId = prior.RunId;
                record = prior with { Status = ChainRunRecord.Running, FailedStep = null, Error = null, FinishedAt = null };
                await state.SaveRunAsync(record, clear: false, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                runId = (prior?.RunId ?? 0) + 1;
                record = new ChainRunRecord { RunId = runId, Status = ChainRunRecord.Running, Input = fingerprint, StartedAt = clock.GetUtcNow() };
                await state.SaveRunAsync(record, clear: true, cancellationToken).ConfigureAwait(false);
            }
        }

        using var run = new ChainRun(Definition, chainId, _extractors, _modes, Options, state, resuming, input, output, cancellationToken)
        {
            RecoveredDeadLetterFile = recoveredDeadLetters,
            Replay = replay,
        };
        var tasks = new List<Task>();
        object? upstream = null;
        if (replay is null)
        {
            run.DeleteUnrecordedDeadLetters();

            // The source: the chain input as the one record the first step reads.
            var source = run.CreateChannel<StepPage<TIn>>();
            source.Writer.TryWrite(new StepPage<TIn>(-1, [input], 1, null, isDone: false) { FirstSeq = 0 });
            source.Writer.TryComplete();
            upstream = source.Reader;
        }

        for (int i = (replay?.Step ?? 1) - 1; i < Definition.Steps.Count; i++)
        {
            var (stageTasks, downstream) = Definition.Steps[i].Wire(run, upstream, last: i == Definition.Steps.Count - 1);
            tasks.AddRange(stageTasks);
            upstream = downstream;
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);

        var error = run.Error;
        bool cancelled = error is null && cancellationToken.IsCancellationRequested && replay is not { Committed: true };
        var failures = run.Failures;
        var fatal = failures.FirstOrDefault(f => f.Fatal);
        string? failedStep = error is null ? null : fatal?.Step ?? (error as ChainStepException)?.Step;
        var status = cancelled ? PipelineStatus.Cancelled
            : error is not null ? PipelineStatus.Failed
            : failures.Count > 0 ? PipelineStatus.PartialSuccess
            : PipelineStatus.Succeeded;

        Exception? saveError = null;
        if (state is not null)
        {
            string stored = status switch
            {
                PipelineStatus.Succeeded => ChainRunRecord.Succeeded,
                PipelineStatus.PartialSuccess => ChainRunRecord.PartialSuccess,
                PipelineStatus.Cancelled => ChainRunRecord.Cancelled,
                _ => ChainRunRecord.Failed,
            };

            // A finished run leaves only its record; a failed or interrupted one keeps everything needed to resume it.
            bool finished = status is PipelineStatus.Succeeded or PipelineStatus.PartialSuccess;
            try
            {
                await state.SaveRunAsync(record! with { Status = stored, FinishedAt = clock.GetUtcNow(), FailedStep = failedStep, Error = error?.Message }, clear: finished, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The store still holds the run as unfinished, with its progress: the next run resumes it and writes nothing twice.
                saveError = ex;
            }
        }

        var steps = new List<ChainStepResult>(Definition.Steps.Count);
        for (int i = 0; i < Definition.Steps.Count; i++)
        {
            var step = Definition.Steps[i];
            var stepStatus = step.Name == failedStep ? PipelineStatus.Failed
                : cancelled ? PipelineStatus.Cancelled
                : run.Counters[i].Failures > 0 || failures.Any(f => f.StepIndex == step.Index) ? PipelineStatus.PartialSuccess
                : error is not null ? PipelineStatus.Cancelled
                : PipelineStatus.Succeeded;
            steps.Add(run.Counters[i].ToResult(step, stepStatus));
        }

        Exception? outcome = cancelled ? new OperationCanceledException(cancellationToken) : error;
        if (saveError is not null)
        {
            outcome = outcome is null ? saveError : new AggregateException(outcome, saveError);
            status = PipelineStatus.Failed;
        }

        return new ChainResult
        {
            Chain = Name,
            ChainId = chainId,
            Status = status,
            RunId = runId,
            Resumed = resuming,
            Records = run.Committed,
            Files = run.Files,
            Duration = clock.GetElapsedTime(started),
            Steps = steps,
            Failures = failures,
            FailedStep = failedStep,
            Error = outcome,
            DeadLetterFile = run.DeadLetterFile,
        };
    }
}
