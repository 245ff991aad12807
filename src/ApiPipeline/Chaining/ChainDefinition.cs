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
    }

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
        var step = new StepDefinition<TIn, TIn, TIn, TOut>(1, first, factory, recordTypeInfo, static (_, input) => input, null);
        return new ChainBuilder<TIn, TOut>(name, [step]);
    }

    /// <summary>This definition with its types, or an <see cref="InvalidCastException"/> naming the types it has.</summary>
    /// <typeparam name="TIn">The expected input type.</typeparam>
    /// <typeparam name="TOut">The expected record type.</typeparam>
    public ChainDefinition<TIn, TOut> As<TIn, TOut>()
        => this as ChainDefinition<TIn, TOut>
           ?? throw new InvalidCastException($"Chain '{Name}' takes {InputType.Name} and produces {OutputType.Name}, not {typeof(TIn).Name} → {typeof(TOut).Name}.");

    /// <summary>Calls <paramref name="visitor"/> with this chain's input and record types (typed code over chains known only at run time, no reflection).</summary>
    /// <typeparam name="TResult">What the visitor returns.</typeparam>
    /// <param name="visitor">The visitor.</param>
    public abstract TResult Accept<TResult>(IChainDefinitionVisitor<TResult> visitor);

    /// <summary>Runs the chain with inputs and outputs known only as objects (configuration-driven runs).</summary>
    internal abstract Task<ChainResult> ExecuteUntypedAsync(object input, object output, HttpClient? httpClient, ChainOptions? options, CancellationToken cancellationToken);
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
            throw new ArgumentException($"Chain '{Name}' takes {typeof(TIn).Name}, not {input?.GetType().Name ?? "null"}.", nameof(input));
        }

        if (output is not IOutput<TOut> typedOutput)
        {
            throw new ArgumentException($"Chain '{Name}' writes {typeof(TOut).Name} records; the output does not take them.", nameof(output));
        }

        var executor = new ChainExecutor<TIn, TOut>(this, httpClient, options);
        return await executor.ExecuteAsync(typedInput, typedOutput, cancellationToken).ConfigureAwait(false);
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

        return new ChainBuilder<TIn, TOut>(_name, _steps.Add(new StepDefinition<TIn, TLast, TStepIn, TOut>(_steps.Count + 1, settings, factory, recordTypeInfo, map, null)));
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

        return new ChainBuilder<TIn, TOut>(_name, _steps.Add(new StepDefinition<TIn, TLast, TStepIn, TOut>(_steps.Count + 1, settings, factory, recordTypeInfo, null, map)));
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
    private protected ChainStepDefinition(int index, ChainStepSettings settings)
    {
        Index = index;
        Settings = settings;
    }

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

    internal abstract object CreateExtractor(HttpClient? httpClient, ExtractorOptions? options);

    internal abstract ErrorMode ExtractorErrorMode(object extractor);

    /// <summary>Connects the step into a run: its stage reads <paramref name="upstream"/>; returns its tasks and, unless it is the last step, the reader of its records.</summary>
    internal abstract (List<Task> Tasks, object? Downstream) Wire(ChainRun run, object upstream, bool last);
}
