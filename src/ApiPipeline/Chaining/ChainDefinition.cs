using System.Collections.Immutable;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>
/// What a chain is made of: its name and its steps, in order, each with its extractor factory, its settings and the mapping that builds
/// its input from the record of the step before. Generated as the static <c>Definition</c> of every <see cref="ChainAttribute"/> class,
/// or built from YAML (<see cref="ChainConfig"/>); run it with a <see cref="ChainExecutor{TIn, TOut}"/>.
/// </summary>
public abstract class ChainDefinition
{
    private protected ChainDefinition(string name, IReadOnlyList<ChainStepDefinition> steps)
    {
        Name = name;
        Steps = steps;
        LastReader = new int[steps.Count + 1];
        foreach (var step in steps)
        {
            foreach (int read in step.Reads)
            {
                LastReader[read] = Math.Max(LastReader[read], step.Index);
            }
        }
    }

    /// <summary>Per step (1-based), the last step whose mapping reads its records through a <see cref="ChainLineage"/>; 0 when none.</summary>
    internal int[] LastReader { get; }

    /// <summary>The chain's name.</summary>
    public string Name { get; }

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<ChainStepDefinition> Steps { get; }

    /// <summary>The chain input's type: the first step's input.</summary>
    public abstract Type InputType { get; }

    /// <summary>The type of the chain's records: the last step's.</summary>
    public abstract Type OutputType { get; }

    /// <summary>Starts a chain definition with its first step, which takes the chain input as it is.</summary>
    /// <typeparam name="TIn">The chain input: the first step's input.</typeparam>
    /// <typeparam name="TOut">The first step's records.</typeparam>
    /// <param name="name">The chain's name.</param>
    /// <param name="first">The first step's settings.</param>
    /// <param name="factory">Creates the first step's extractor.</param>
    /// <param name="recordTypeInfo">The records' JSON metadata, needed to keep them in a state store for the next step; <see langword="null"/> if unknown.</param>
    public static ChainBuilder<TIn, TOut> Create<TIn, TOut>(string name, ChainStepSettings first, Func<HttpClient?, ExtractorOptions?, IExtractor<TIn, TOut>> factory, Func<JsonTypeInfo<TOut>>? recordTypeInfo = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(factory);
        var step = new StepDefinition<TIn, TIn, TIn, TOut>(1, first, factory, recordTypeInfo, static (_, input) => input, null, null, []);
        return new ChainBuilder<TIn, TOut>(name, [step]);
    }

    /// <summary>This definition with its types, or an <see cref="InvalidCastException"/> naming the types it has.</summary>
    /// <typeparam name="TIn">The expected input type.</typeparam>
    /// <typeparam name="TOut">The expected record type.</typeparam>
    public ChainDefinition<TIn, TOut> As<TIn, TOut>()
        => this as ChainDefinition<TIn, TOut>
           ?? throw new InvalidCastException($"Chain '{Name}' takes {NameOf(InputType)} and produces {NameOf(OutputType)}, not {NameOf(typeof(TIn))} → {NameOf(typeof(TOut))}.");

    /// <summary>Calls <paramref name="visitor"/> with this chain's input and record types (typed code over chains known only at run time, no reflection).</summary>
    /// <typeparam name="TResult">What the visitor returns.</typeparam>
    /// <param name="visitor">The visitor.</param>
    public abstract TResult Accept<TResult>(IChainDefinitionVisitor<TResult> visitor);

    /// <summary>Runs the chain with inputs and outputs known only as objects (configuration-driven runs).</summary>
    internal abstract Task<ChainResult> ExecuteUntypedAsync(object input, object output, HttpClient? httpClient, ChainOptions? options, CancellationToken cancellationToken);

    /// <summary>Runs one chain per input, at most <paramref name="maxParallelChains"/> at once, with inputs and outputs known only as objects.</summary>
    internal abstract Task<IReadOnlyList<ChainResult>> ExecuteParallelUntypedAsync(IEnumerable<object> inputs, int maxParallelChains, Func<object, int, object> outputFor, Func<object, int, string>? chainKey, HttpClient? httpClient, ChainOptions? options, CancellationToken cancellationToken);

    /// <summary>A type as C# writes it, for messages: <c>RawRecord&lt;ParentKeys&gt;</c>, not <c>RawRecord`1</c>.</summary>
    private protected static string NameOf(Type type)
    {
        // A type nested in a generic one (Dictionary<string, int>.KeyCollection) is generic without an arity of its own.
        int arity = type.Name.IndexOf('`', StringComparison.Ordinal);
        return arity < 0 ? type.Name : $"{type.Name[..arity]}<{string.Join(", ", type.GetGenericArguments().Select(NameOf))}>";
    }
}

/// <summary>A chain from <typeparamref name="TIn"/> (the first step's input) to <typeparamref name="TOut"/> (the last step's records).</summary>
/// <typeparam name="TIn">The chain input.</typeparam>
/// <typeparam name="TOut">The chain's records.</typeparam>
public sealed class ChainDefinition<TIn, TOut> : ChainDefinition
{
    internal ChainDefinition(string name, IReadOnlyList<ChainStepDefinition> steps)
        : base(name, steps)
    {
    }

    /// <inheritdoc/>
    public override Type InputType => typeof(TIn);

    /// <inheritdoc/>
    public override Type OutputType => typeof(TOut);

    /// <summary>The records' JSON metadata, from the last step's extractor, or <see langword="null"/> when unknown.</summary>
    internal JsonTypeInfo<TOut>? RecordTypeInfo => Steps[^1].RecordMetadata as JsonTypeInfo<TOut>;

    /// <inheritdoc/>
    public override TResult Accept<TResult>(IChainDefinitionVisitor<TResult> visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        return visitor.Visit(this);
    }

    internal override async Task<ChainResult> ExecuteUntypedAsync(object input, object output, HttpClient? httpClient, ChainOptions? options, CancellationToken cancellationToken)
    {
        if (input is not TIn typedInput)
        {
            throw new ArgumentException($"Chain '{Name}' takes {NameOf(typeof(TIn))}, not {(input is null ? "null" : NameOf(input.GetType()))}.", nameof(input));
        }

        if (output is not IOutput<TOut> typedOutput)
        {
            throw new ArgumentException($"Chain '{Name}' writes {NameOf(typeof(TOut))} records; the output does not take them.", nameof(output));
        }

        var executor = new ChainExecutor<TIn, TOut>(this, httpClient, options);
        try
        {
            return await executor.ExecuteAsync(typedInput, typedOutput, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await executor.DisposeStepsAsync().ConfigureAwait(false);
        }
    }

    internal override async Task<IReadOnlyList<ChainResult>> ExecuteParallelUntypedAsync(IEnumerable<object> inputs, int maxParallelChains, Func<object, int, object> outputFor, Func<object, int, string>? chainKey, HttpClient? httpClient, ChainOptions? options, CancellationToken cancellationToken)
    {
        var typed = inputs.Select((input, i) => input is TIn value ? value : throw new ArgumentException($"Chain '{Name}' takes {NameOf(typeof(TIn))}, not {(input is null ? "null" : NameOf(input.GetType()))} (input {i}).", nameof(inputs))).ToList();
        var executor = new ChainExecutor<TIn, TOut>(this, httpClient, options);
        try
        {
            return await executor.ExecuteParallelChainsAsync(
                typed,
                maxParallelChains,
                (input, i) => outputFor(input!, i) as IOutput<TOut> ?? throw new ArgumentException($"Chain '{Name}' writes {NameOf(typeof(TOut))} records; the output for input {i} does not take them.", nameof(outputFor)),
                chainKey is null ? null : (input, i) => chainKey(input!, i),
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await executor.DisposeStepsAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Builds a <see cref="ChainDefinition{TIn, TOut}"/> step by step; each call returns a new builder.</summary>
/// <typeparam name="TIn">The chain input.</typeparam>
/// <typeparam name="TLast">The records of the last step so far.</typeparam>
public sealed class ChainBuilder<TIn, TLast> : IChainBuilder
{
    private readonly string _name;
    private readonly ImmutableList<ChainStepDefinition> _steps;

    internal ChainBuilder(string name, ImmutableList<ChainStepDefinition> steps)
    {
        _name = name;
        _steps = steps;
    }

    /// <summary>Adds a step whose input is built from each record of the step before (and the chain input) by <paramref name="map"/>.</summary>
    /// <typeparam name="TStepIn">The step's input.</typeparam>
    /// <typeparam name="TOut">The step's records.</typeparam>
    /// <param name="settings">The step's settings.</param>
    /// <param name="factory">Creates the step's extractor.</param>
    /// <param name="recordTypeInfo">The records' JSON metadata (to keep them in a state store), or <see langword="null"/>.</param>
    /// <param name="map">Builds the step's input from the chain input and a record of the step before.</param>
    public ChainBuilder<TIn, TOut> Then<TStepIn, TOut>(ChainStepSettings settings, Func<HttpClient?, ExtractorOptions?, IExtractor<TStepIn, TOut>> factory, Func<JsonTypeInfo<TOut>>? recordTypeInfo, Func<TIn, TLast, TStepIn> map)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(map);
        if (settings.Batch is not null)
        {
            throw new ArgumentException($"Chain '{_name}', step '{settings.Name}': a batched step takes a batch mapping; use ThenBatched.", nameof(settings));
        }

        return new ChainBuilder<TIn, TOut>(_name, _steps.Add(new StepDefinition<TIn, TLast, TStepIn, TOut>(_steps.Count + 1, settings, factory, recordTypeInfo, map, null, null, [])));
    }

    /// <summary>
    /// Adds a step whose input is built from each record of the step before, the chain input, and the records of earlier steps it descends
    /// from (<paramref name="earlierSteps"/>, read from the <see cref="ChainLineage"/> passed to <paramref name="map"/>).
    /// </summary>
    /// <typeparam name="TStepIn">The step's input.</typeparam>
    /// <typeparam name="TOut">The step's records.</typeparam>
    /// <param name="settings">The step's settings (not batched).</param>
    /// <param name="factory">Creates the step's extractor.</param>
    /// <param name="recordTypeInfo">The records' JSON metadata (to keep them in a state store), or <see langword="null"/>.</param>
    /// <param name="earlierSteps">The 1-based positions of the steps before the previous one whose records <paramref name="map"/> reads; no batched step may lie between them and this step.</param>
    /// <param name="map">Builds the step's input from the chain input, a record of the step before and its lineage.</param>
    public ChainBuilder<TIn, TOut> Then<TStepIn, TOut>(ChainStepSettings settings, Func<HttpClient?, ExtractorOptions?, IExtractor<TStepIn, TOut>> factory, Func<JsonTypeInfo<TOut>>? recordTypeInfo, IReadOnlyList<int> earlierSteps, Func<TIn, TLast, ChainLineage, TStepIn> map)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(earlierSteps);
        ArgumentNullException.ThrowIfNull(map);
        int index = _steps.Count + 1;
        if (settings.Batch is not null)
        {
            throw new ArgumentException($"Chain '{_name}', step '{settings.Name}': a batched step builds one input from many records, each with its own earlier steps; it can read only the previous step and the chain input.", nameof(settings));
        }

        foreach (int step in earlierSteps)
        {
            if (step < 1 || step > index - 2)
            {
                throw new ArgumentException($"Chain '{_name}', step '{settings.Name}' (step {index}): step {step} is not a step before the previous one; read the previous step's record as the parent.", nameof(earlierSteps));
            }

            if (_steps.Skip(step).FirstOrDefault(s => s.Settings.Batch is not null) is { } batched)
            {
                throw new ArgumentException($"Chain '{_name}', step '{settings.Name}': the records of step '{_steps[step - 1].Name}' do not reach it through the batched step '{batched.Name}', which builds one input from many records.", nameof(earlierSteps));
            }
        }

        return new ChainBuilder<TIn, TOut>(_name, _steps.Add(new StepDefinition<TIn, TLast, TStepIn, TOut>(index, settings, factory, recordTypeInfo, null, map, null, [.. earlierSteps.Distinct().Order()])));
    }

    /// <summary>Adds a batched step (<see cref="ChainStepSettings.Batch"/>): its input is built from up to <see cref="BatchSettings.Size"/> records of the step before at once.</summary>
    /// <typeparam name="TStepIn">The step's input.</typeparam>
    /// <typeparam name="TOut">The step's records.</typeparam>
    /// <param name="settings">The step's settings, with <see cref="ChainStepSettings.Batch"/> set.</param>
    /// <param name="factory">Creates the step's extractor.</param>
    /// <param name="recordTypeInfo">The records' JSON metadata (to keep them in a state store), or <see langword="null"/>.</param>
    /// <param name="map">Builds the step's input from the chain input and a batch of records of the step before.</param>
    public ChainBuilder<TIn, TOut> ThenBatched<TStepIn, TOut>(ChainStepSettings settings, Func<HttpClient?, ExtractorOptions?, IExtractor<TStepIn, TOut>> factory, Func<JsonTypeInfo<TOut>>? recordTypeInfo, Func<TIn, IReadOnlyList<TLast>, TStepIn> map)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(map);
        if (settings.Batch is null)
        {
            throw new ArgumentException($"Chain '{_name}', step '{settings.Name}': ThenBatched needs ChainStepSettings.Batch.", nameof(settings));
        }

        return new ChainBuilder<TIn, TOut>(_name, _steps.Add(new StepDefinition<TIn, TLast, TStepIn, TOut>(_steps.Count + 1, settings, factory, recordTypeInfo, null, null, map, [])));
    }

    /// <summary>The definition of the chain built so far.</summary>
    public ChainDefinition<TIn, TLast> Build()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var step in _steps)
        {
            step.Settings.Validate(_name);
            if (!names.Add(step.Name))
            {
                throw new ArgumentException($"Chain '{_name}' has two steps named '{step.Name}'.");
            }
        }

        return new ChainDefinition<TIn, TLast>(_name, _steps);
    }

    ChainDefinition IChainBuilder.Build() => Build();

    IChainBuilder IChainBuilder.Append(ExtractorRegistration registration, ChainStepSettings settings, RuntimeMapping mapping)
        => registration.AppendTo(this, settings, mapping);
}

/// <summary>A builder whose types are known only at run time (configuration-driven chains).</summary>
internal interface IChainBuilder
{
    ChainDefinition Build();

    IChainBuilder Append(ExtractorRegistration registration, ChainStepSettings settings, RuntimeMapping mapping);
}

/// <summary>One step of a <see cref="ChainDefinition"/>.</summary>
public abstract class ChainStepDefinition
{
    private protected ChainStepDefinition(int index, ChainStepSettings settings, IReadOnlyList<int> reads)
    {
        Index = index;
        Settings = settings;
        Reads = reads;
    }

    /// <summary>The 1-based positions of the steps before the previous one whose records this step's mapping reads (through a <see cref="ChainLineage"/>).</summary>
    public IReadOnlyList<int> Reads { get; }

    /// <summary>The step's 1-based position.</summary>
    public int Index { get; }

    /// <summary>The step's name.</summary>
    public string Name => Settings.Name;

    /// <summary>The step's settings.</summary>
    public ChainStepSettings Settings { get; }

    /// <summary>The step extractor's input type.</summary>
    public abstract Type InputType { get; }

    /// <summary>The step extractor's record type.</summary>
    public abstract Type OutputType { get; }

    /// <summary>Whether the step's records can be kept in a state store (their JSON metadata is known).</summary>
    public abstract bool CanPersistRecords { get; }

    /// <summary>The records' JSON metadata (a <c>JsonTypeInfo</c> of <see cref="OutputType"/>), or <see langword="null"/> when unknown.</summary>
    internal abstract object? RecordMetadata { get; }

    internal abstract object CreateExtractor(HttpClient? httpClient, ExtractorOptions? options);

    internal abstract ErrorMode ExtractorErrorMode(object extractor);

    /// <summary>How <paramref name="extractor"/> (this step's) keys <paramref name="input"/>: for a generated extractor the first request's relative URL.</summary>
    internal abstract string InputKey(object extractor, object? input);

    /// <summary>Writes one of this step's records (kept in a lineage) through its JSON metadata.</summary>
    internal abstract void WriteRecord(System.Text.Json.Utf8JsonWriter writer, object record);

    /// <summary>Reads one of this step's records written by <see cref="WriteRecord"/>.</summary>
    internal abstract object ReadRecord(ref System.Text.Json.Utf8JsonReader reader);

    /// <summary>
    /// Connects the step into a run: its stage reads <paramref name="upstream"/> (<see langword="null"/> for the step a replay starts at,
    /// <see cref="ChainRun.Replay"/>); returns its tasks and, unless it is the last step, the reader of its records.
    /// </summary>
    internal abstract (List<Task> Tasks, object? Downstream) Wire(ChainRun run, object? upstream, bool last);
}
