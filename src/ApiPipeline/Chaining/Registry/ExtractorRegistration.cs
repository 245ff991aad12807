using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>An extractor in a <see cref="ComponentRegistry"/>: its names, types, shapes and factory.</summary>
public abstract class ExtractorRegistration
{
    private protected ExtractorRegistration(string name, string typeName, TypeShape input, TypeShape output)
    {
        Name = name;
        TypeName = typeName;
        Input = input;
        Output = output;
    }

    /// <summary>The extractor's name (<c>[Extractor(Name = …)]</c>, else the class name; a hand-written extractor's <c>[RegisteredExtractor]</c> name).</summary>
    public string Name { get; }

    /// <summary>The extractor class's full name (<c>Demo.GitHubIssues</c>).</summary>
    public string TypeName { get; }

    /// <summary>The extractor class's name without namespace.</summary>
    public string ShortTypeName => TypeName[(TypeName.LastIndexOf('.') + 1)..];

    /// <summary>The input type.</summary>
    public abstract Type InputType { get; }

    /// <summary>The record type.</summary>
    public abstract Type OutputType { get; }

    /// <summary>The input type's members and how to create one.</summary>
    public TypeShape Input { get; }

    /// <summary>The record type's members.</summary>
    public TypeShape Output { get; }

    /// <summary>The extractor's <c>[TimeWindows]</c>, or <see langword="null"/> when it has none or is hand-written.</summary>
    public abstract TimeWindowOptions? TimeWindows { get; }

    /// <summary>The resilience settings of the extractor's attributes (none for a hand-written extractor, which has its own).</summary>
    public abstract ResilienceOptions Resilience { get; }

    /// <summary>Whether the extractor is hand-written (<see cref="RegisteredExtractorAttribute"/>), not one the generator writes.</summary>
    public abstract bool IsHandWritten { get; }

    /// <summary>
    /// The record member path the extractor's <c>[Watermark]</c> follows (as in <see cref="TypeShape.Members"/>: <c>Fields.UpdatedAt</c> for a
    /// passthrough extractor), or <see langword="null"/> when it has none or is hand-written (its <see cref="IExtractor{TIn, TOut}.Watermark"/>
    /// is known only from an instance).
    /// </summary>
    public abstract string? WatermarkField { get; }

    /// <summary>Whether the extractor's <c>[Watermark]</c> knows the records' key (<c>[Key]</c>), which a look-back window needs.</summary>
    internal abstract bool WatermarkHasKey { get; }

    /// <summary>Creates the extractor (an <see cref="IExtractor{TIn, TOut}"/>).</summary>
    /// <param name="httpClient">The client, or <see langword="null"/> for a shared one.</param>
    /// <param name="options">Run-time settings.</param>
    public abstract object Create(HttpClient? httpClient = null, ExtractorOptions? options = null);

    /// <summary>Calls <paramref name="visitor"/> with this registration's input and record types (typed code over registrations known only at run time, no reflection).</summary>
    /// <typeparam name="TResult">What the visitor returns.</typeparam>
    /// <param name="visitor">The visitor.</param>
    public abstract TResult Accept<TResult>(IExtractorRegistrationVisitor<TResult> visitor);

    /// <summary>Starts a chain whose first step is this extractor.</summary>
    internal abstract IChainBuilder StartChain(string chainName, ChainStepSettings settings);

    /// <summary>Appends this extractor as the next step of a chain whose last records are <typeparamref name="TParent"/>.</summary>
    internal abstract IChainBuilder AppendTo<TChainIn, TParent>(ChainBuilder<TChainIn, TParent> builder, ChainStepSettings settings, RuntimeMapping mapping);

    /// <summary>A JSON Lines output for this extractor's records.</summary>
    internal abstract object CreateJsonlOutput(string directory, string name, int? partitionMember, OutputBatchOptions batching);

    /// <summary>A user output (<see cref="OutputAttribute"/>) for this extractor's records, created through <paramref name="output"/> with the record type (generic virtual dispatch).</summary>
    internal abstract object CreateOutput(OutputRegistration output, OutputConfig config);

    /// <summary>The pipeline file <paramref name="file"/> of this extractor into an output created by <see cref="CreateJsonlOutput"/>.</summary>
    internal abstract IPipeline CreatePipeline(LoadedPipeline file, HttpClient? httpClient, ExtractorOptions? extractorOptions, object output, PipelineOptions options);

    /// <summary>Runs a pipeline created by <see cref="CreatePipeline"/> for an input known as an object.</summary>
    internal abstract Task<PipelineResult> ExecutePipelineAsync(IPipeline pipeline, object input, CancellationToken cancellationToken);
}

/// <summary>An extractor of <typeparamref name="TIn"/> → <typeparamref name="TOut"/> in a <see cref="ComponentRegistry"/>.</summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The record type.</typeparam>
public sealed class ExtractorRegistration<TIn, TOut> : ExtractorRegistration
{
    private readonly Func<HttpClient?, ExtractorOptions?, IExtractor<TIn, TOut>> _factory;
    private readonly Func<JsonTypeInfo<TOut>> _recordTypeInfo;

    /// <summary>Creates the registration of a generated extractor (generated code).</summary>
    /// <param name="typeName">The extractor class's full name.</param>
    /// <param name="definition">The extractor's generated definition (name, record metadata, attribute settings).</param>
    /// <param name="factory">Creates the extractor.</param>
    /// <param name="input">The input type's shape.</param>
    /// <param name="output">The record type's shape.</param>
    public ExtractorRegistration(string typeName, ExtractorDefinition<TIn, TOut> definition, Func<HttpClient?, ExtractorOptions?, IExtractor<TIn, TOut>> factory, TypeShape<TIn> input, TypeShape<TOut> output)
        : base(definition?.Name ?? throw new ArgumentNullException(nameof(definition)), typeName, input, output)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factory = factory;
        _recordTypeInfo = definition.RecordTypeInfo;
        Definition = definition;
        TypedInput = input;
        TypedOutput = output;
    }

    /// <summary>Creates the registration of a hand-written extractor (<see cref="RegisteredExtractorAttribute"/>; generated code).</summary>
    /// <param name="name">The name it is registered under.</param>
    /// <param name="typeName">The extractor class's full name.</param>
    /// <param name="recordTypeInfo">The record type's JSON metadata (from the attribute's <c>Json</c> context).</param>
    /// <param name="factory">Creates the extractor.</param>
    /// <param name="input">The input type's shape.</param>
    /// <param name="output">The record type's shape.</param>
    public ExtractorRegistration(string name, string typeName, Func<JsonTypeInfo<TOut>> recordTypeInfo, Func<HttpClient?, ExtractorOptions?, IExtractor<TIn, TOut>> factory, TypeShape<TIn> input, TypeShape<TOut> output)
        : base(name, typeName, input, output)
    {
        ArgumentNullException.ThrowIfNull(recordTypeInfo);
        ArgumentNullException.ThrowIfNull(factory);
        _factory = factory;
        _recordTypeInfo = recordTypeInfo;
        TypedInput = input;
        TypedOutput = output;
    }

    /// <summary>The extractor's generated definition, or <see langword="null"/> for a hand-written extractor.</summary>
    public ExtractorDefinition<TIn, TOut>? Definition { get; }

    /// <summary>The record type's JSON metadata, which JSON Lines outputs write records with.</summary>
    public JsonTypeInfo<TOut> RecordTypeInfo => _recordTypeInfo();

    /// <summary>The extractor's <c>[Watermark]</c>, or <see langword="null"/> when it has none or is hand-written (see <see cref="ExtractorRegistration.WatermarkField"/>).</summary>
    public WatermarkOptions<TOut>? Watermark => Definition?.Watermark;

    /// <inheritdoc/>
    public override ResilienceOptions Resilience => Definition?.Resilience ?? ResilienceOptions.None;

    /// <inheritdoc/>
    public override TimeWindowOptions? TimeWindows => Definition?.TimeWindows;

    /// <inheritdoc/>
    public override bool IsHandWritten => Definition is null;

    /// <inheritdoc/>
    public override string? WatermarkField => Watermark?.Field;

    /// <inheritdoc/>
    internal override bool WatermarkHasKey => Watermark?.Key is not null;

    /// <inheritdoc/>
    public override Type InputType => typeof(TIn);

    /// <inheritdoc/>
    public override Type OutputType => typeof(TOut);

    /// <summary>The input type's shape.</summary>
    public TypeShape<TIn> TypedInput { get; }

    /// <summary>The record type's shape.</summary>
    public TypeShape<TOut> TypedOutput { get; }

    /// <inheritdoc/>
    public override object Create(HttpClient? httpClient = null, ExtractorOptions? options = null) => CreateExtractor(httpClient, options);

    /// <summary>Creates the extractor.</summary>
    /// <param name="httpClient">The client, or <see langword="null"/> for a shared one.</param>
    /// <param name="options">Run-time settings.</param>
    public IExtractor<TIn, TOut> CreateExtractor(HttpClient? httpClient = null, ExtractorOptions? options = null) => _factory(httpClient, options);

    /// <inheritdoc/>
    public override TResult Accept<TResult>(IExtractorRegistrationVisitor<TResult> visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        return visitor.Visit(this);
    }

    internal override IChainBuilder StartChain(string chainName, ChainStepSettings settings)
        => ChainDefinition.Create(chainName, settings, _factory, _recordTypeInfo);

    internal override IChainBuilder AppendTo<TChainIn, TParent>(ChainBuilder<TChainIn, TParent> builder, ChainStepSettings settings, RuntimeMapping mapping)
    {
        if (mapping.IsIdentity)
        {
            return builder.Then<TIn, TOut>(settings, _factory, _recordTypeInfo, static (_, parent) => (TIn)(object)parent!);
        }

        var shape = TypedInput;
        if (settings.Batch is not null)
        {
            return builder.ThenBatched<TIn, TOut>(settings, _factory, _recordTypeInfo, (chainInput, batch) => shape.CreateTyped(mapping.EvaluateBatch(chainInput, batch)));
        }

        if (mapping.EarlierSteps.Count > 0)
        {
            return builder.Then<TIn, TOut>(settings, _factory, _recordTypeInfo, mapping.EarlierSteps, (chainInput, parent, lineage) => shape.CreateTyped(mapping.Evaluate(chainInput, parent, lineage)));
        }

        return builder.Then<TIn, TOut>(settings, _factory, _recordTypeInfo, (chainInput, parent) => shape.CreateTyped(mapping.Evaluate(chainInput, parent)));
    }

    internal override object CreateJsonlOutput(string directory, string name, int? partitionMember, OutputBatchOptions batching)
        => new JsonlOutput<TOut>(_recordTypeInfo(), new JsonlOutputOptions<TOut> { Directory = directory, Name = name, PartitionBy = PartitionReader(partitionMember), Batching = batching });

    internal override object CreateOutput(OutputRegistration output, OutputConfig config)
        => output.Create(_recordTypeInfo(), config with { PartitionReader = PartitionReader(config.PartitionMember) })
           ?? throw new InvalidOperationException($"The output type '{output.Name}' ({output.TypeName}) does not take {typeof(TOut).Name} records.");

    /// <summary>A record's date in its <paramref name="member"/> (the file's <c>partition_by</c>, a date member), through the generated shape.</summary>
    private Func<TOut, DateTimeOffset?>? PartitionReader(int? member)
    {
        if (member is not int index)
        {
            return null;
        }

        var shape = TypedOutput;
        return record => shape.Get(record, index) switch
        {
            DateTimeOffset value => value,
            DateTime value => RecordTime.FromDateTime(value),
            DateOnly value => new DateTimeOffset(value.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
            _ => null,
        };
    }

    internal override IPipeline CreatePipeline(LoadedPipeline file, HttpClient? httpClient, ExtractorOptions? extractorOptions, object output, PipelineOptions options)
        => file.CreatePipeline(_factory(httpClient, extractorOptions), (IOutput<TOut>)output, options);

    internal override Task<PipelineResult> ExecutePipelineAsync(IPipeline pipeline, object input, CancellationToken cancellationToken)
        => input is TIn typed
            ? ((IPipeline<TIn>)pipeline).ExecuteAsync(typed, cancellationToken)
            : throw new ArgumentException($"Pipeline '{pipeline.Id}' takes {typeof(TIn).Name}, not {input?.GetType().Name ?? "null"}.", nameof(input));
}
