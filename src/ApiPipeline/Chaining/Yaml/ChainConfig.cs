using YamlDotNet.RepresentationModel;

namespace ApiPipeline;

/// <summary>
/// Loads a chain in the design's YAML format and resolves it against a <see cref="ComponentRegistry"/> (the generated
/// <c>ApiPipeline.Generated.ApiPipelineRegistry.Instance</c>):
/// <code>
/// chain_id: org_issues
/// extractors:
///   - extractor_class: OrgRepos          # registry name, class name or full class name
///     processing_mode: single
///     output_mapping:
///       name: repo_name                  # record member: state variable for the next step
///       owner_login: owner
///   - extractor_class: GitHubIssues
///     processing_mode: parallel          # single | sequential | parallel
///     max_concurrency: 8
///     on_error: continue                 # fail_fast | continue | skip | dead_letter
///     batch_size: 50                     # optional API-level batching (the design's BatchConfig): 50 records per request,
///     max_concurrent_batches: 10         #   10 batches at once, failed batches retried (retry_failed_batches, max_batch_retries)
///     input_mapping:
///       owner: owner                     # input member: state variable, chain_input or chain_input.member
///       repo: repo_name
/// output:                                # optional
///   type: jsonl
///   config: { format: jsonl, directory: out, partition_by: updated_at }
/// </code>
/// Unknown classes, unknown fields, unknown members, unsafe conversions, unmapped required members and bad values fail with a
/// <see cref="ConfigException"/> naming the file, line and column.
/// </summary>
public static class ChainConfig
{
    private const string ChainInput = "chain_input";
    private static readonly string[] TopFields = ["chain_id", "extractors", "max_parallel_chains", "output"];
    private static readonly string[] StepFields = ["extractor_class", "step", "processing_mode", "max_concurrency", "on_error", "input_mapping", "output_mapping", "batch_size", "max_concurrent_batches", "retry_failed_batches", "max_batch_retries"];
    private static readonly string[] BatchFields = ["batch_size", "max_concurrent_batches", "retry_failed_batches", "max_batch_retries"];

    /// <summary>Reads and resolves the chain in <paramref name="path"/>.</summary>
    /// <param name="path">The YAML file.</param>
    /// <param name="registry">Where extractor classes are looked up.</param>
    /// <exception cref="ConfigException">The file is wrong; the message names the line and column.</exception>
    public static LoadedChain Load(string path, ComponentRegistry registry)
        => Parse(File.ReadAllText(path), path, registry);

    /// <summary>Resolves the chain in <paramref name="yaml"/>.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="file">The name messages give the text.</param>
    /// <param name="registry">Where extractor classes are looked up.</param>
    /// <exception cref="ConfigException">The text is wrong; the message names the line and column.</exception>
    public static LoadedChain Parse(string yaml, string file, ComponentRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return Resolve(YamlDocument.Parse(yaml, file), registry);
    }

    /// <summary>Resolves the chain in a parsed file.</summary>
    /// <param name="doc">The parsed YAML.</param>
    /// <param name="registry">Where extractor classes are looked up.</param>
    /// <exception cref="ConfigException">The file is wrong; the message names the line and column.</exception>
    internal static LoadedChain Resolve(YamlDocument doc, ComponentRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var top = doc.Fields(doc.Root, "the chain", TopFields);
        var idNode = doc.Required(top, doc.Root, "chain_id", "a chain");
        string id = doc.Text(idNode, "chain_id");
        if (SlashInName.Problem("chain id", id) is { } badId)
        {
            throw doc.Error(idNode, badId);
        }
        var list = doc.Sequence(doc.Required(top, doc.Root, "extractors", "a chain"), "extractors");
        if (list.Children.Count == 0)
        {
            throw doc.Error(list, "a chain needs at least one step under 'extractors'");
        }

        int? maxParallel = top.TryGetValue("max_parallel_chains", out var mp) ? doc.PositiveInt(mp.Value, "max_parallel_chains") : null;

        IChainBuilder? builder = null;
        ExtractorRegistration? first = null, previous = null;
        var variables = new Dictionary<string, (int Member, YamlNode Node)>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var earlier = new List<EarlierStep>();
        for (int i = 0; i < list.Children.Count; i++)
        {
            var node = doc.Mapping(list.Children[i], $"step {i + 1}");
            string where = $"step {i + 1}";
            var fields = doc.Fields(node, where, StepFields);
            var classNode = doc.Required(fields, node, "extractor_class", where);
            string className = doc.Text(classNode, "extractor_class");
            var registration = registry.FindExtractor(className, out var problem) ?? throw doc.Error(classNode, problem);
            string name = fields.TryGetValue("step", out var stepName) ? doc.Text(stepName.Value, "step") : registration.Name;
            if (SlashInName.Problem("step name", name) is { } badStep)
            {
                throw doc.Error(stepName.Value ?? classNode, badStep);
            }

            if (!names.Add(name))
            {
                throw doc.Error(stepName.Value ?? classNode, $"two steps are named '{name}'; give one of them another name with 'step:'");
            }

            where = $"step {i + 1} '{name}'";
            var batch = Batch(doc, fields, where, i);
            var settings = new ChainStepSettings
            {
                Name = name,
                Mode = batch is not null ? ProcessingMode.Parallel
                    : fields.TryGetValue("processing_mode", out var mode)
                    ? doc.Choice(mode.Value, "processing_mode", ("single", ProcessingMode.Single), ("sequential", ProcessingMode.Sequential), ("parallel", ProcessingMode.Parallel))
                    : i == 0 ? ProcessingMode.Single : ProcessingMode.Sequential,
                MaxConcurrency = fields.TryGetValue("max_concurrency", out var mc) ? doc.PositiveInt(mc.Value, "max_concurrency") : ChainStepSettings.DefaultMaxConcurrency,
                OnError = fields.TryGetValue("on_error", out var onError) ? ErrorModeOf(doc, onError.Value) : null,
                Batch = batch,
                ExtractorResilience = registration.Resilience,
            };

            if (i == 0)
            {
                if (fields.TryGetValue("input_mapping", out var firstMapping))
                {
                    throw doc.Error(firstMapping.Key, $"{where} takes the chain input ({registration.Input.TypeName}) as it is, so it has no input_mapping; mappings build the inputs of later steps");
                }

                builder = registration.StartChain(id, settings);
                first = registration;
            }
            else
            {
                var mapping = InputMapping(doc, fields, where, name, registration, earlier, first!, variables, batch is not null);
                builder = builder!.Append(registration, settings, mapping);
            }

            variables = OutputMapping(doc, fields, where, registration);
            previous = registration;
            earlier.Add(new EarlierStep(name, registration, batch is not null));
        }

        var output = top.TryGetValue("output", out var outputNode) ? OutputConfig.Parse(doc, outputNode.Value, registry, previous!, id) : null;
        try
        {
            return new LoadedChain(id, builder!.Build(), first!, previous!, maxParallel, output);
        }
        catch (ArgumentException ex)
        {
            throw doc.Error(doc.Root, ex.Message);
        }
    }

    /// <summary>
    /// A step's API-level batching (the design's <c>BatchConfig</c>): any of <c>batch_size</c>, <c>max_concurrent_batches</c>,
    /// <c>retry_failed_batches</c>, <c>max_batch_retries</c> makes the step batched, as <see cref="BatchedAttribute"/> does.
    /// </summary>
    private static BatchSettings? Batch(YamlDocument doc, Dictionary<string, (YamlScalarNode Key, YamlNode Value)> fields, string where, int index)
    {
        var given = BatchFields.Where(fields.ContainsKey).ToList();
        if (given.Count == 0)
        {
            return null;
        }

        if (index == 0)
        {
            throw doc.Error(fields[given[0]].Key, $"{where} takes the one chain input, so it cannot be batched; batching builds the inputs of later steps");
        }

        if (fields.TryGetValue("processing_mode", out var mode))
        {
            throw doc.Error(mode.Key, $"{where} is batched and runs its batches in parallel (at most max_concurrent_batches at once); remove processing_mode");
        }

        var batch = new BatchSettings();
        if (fields.TryGetValue("batch_size", out var size))
        {
            batch = batch with { Size = doc.PositiveInt(size.Value, "batch_size") };
        }

        if (fields.TryGetValue("max_concurrent_batches", out var concurrent))
        {
            batch = batch with { MaxConcurrentBatches = doc.PositiveInt(concurrent.Value, "max_concurrent_batches") };
        }

        if (fields.TryGetValue("retry_failed_batches", out var retry))
        {
            batch = batch with { RetryFailedBatches = doc.Bool(retry.Value, "retry_failed_batches") };
        }

        if (fields.TryGetValue("max_batch_retries", out var retries))
        {
            batch = batch with { MaxBatchRetries = doc.NonNegativeInt(retries.Value, "max_batch_retries") };
        }

        return batch;
    }

    internal static ErrorMode ErrorModeOf(YamlDocument doc, YamlNode node)
        => doc.Choice(node, "error mode", ("fail_fast", ErrorMode.FailFast), ("continue", ErrorMode.Continue), ("skip", ErrorMode.Skip), ("dead_letter", ErrorMode.DeadLetter));

    /// <summary>The state variables a step's <c>output_mapping</c> defines: variable → member of its record.</summary>
    private static Dictionary<string, (int Member, YamlNode Node)> OutputMapping(YamlDocument doc, Dictionary<string, (YamlScalarNode Key, YamlNode Value)> fields, string where, ExtractorRegistration registration)
    {
        var variables = new Dictionary<string, (int, YamlNode)>(StringComparer.Ordinal);
        if (!fields.TryGetValue("output_mapping", out var field))
        {
            return variables;
        }

        foreach (var (keyNode, valueNode) in doc.Mapping(field.Value, "output_mapping").Children)
        {
            string member = doc.Text(keyNode, "a record member");
            int index = registration.Output.IndexOf(member);
            if (index < 0 || !registration.Output.Members[index].CanRead)
            {
                throw doc.Error(keyNode, $"{where}: '{member}' is not a member of its record {registration.Output.TypeName}; its members are: {Members(registration.Output, m => m.CanRead)}");
            }

            string variable = doc.Text(valueNode, "a state variable name");
            if (variable == ChainInput || !variables.TryAdd(variable, (index, valueNode)))
            {
                throw doc.Error(valueNode, $"{where}: the state variable '{variable}' is defined twice (or is the reserved name chain_input)");
            }
        }

        return variables;
    }

    /// <summary>
    /// A later step's input from its <c>input_mapping</c>: each entry names an input member and where its value comes from. Every required
    /// member must be mapped and every value must convert safely. Without <c>input_mapping</c>, the previous record is the input as it is.
    /// </summary>
    private static RuntimeMapping InputMapping(
        YamlDocument doc,
        Dictionary<string, (YamlScalarNode Key, YamlNode Value)> fields,
        string where,
        string name,
        ExtractorRegistration registration,
        List<EarlierStep> earlier,
        ExtractorRegistration first,
        Dictionary<string, (int Member, YamlNode Node)> variables,
        bool batched)
    {
        var previous = earlier[^1].Registration;
        string previousName = earlier[^1].Name;
        var target = registration.Input;
        if (!fields.TryGetValue("input_mapping", out var field))
        {
            if (previous.OutputType == registration.InputType && !batched)
            {
                return RuntimeMapping.Identity;
            }

            throw doc.Error(fields["extractor_class"].Key, $"{where} takes {target.TypeName}, but step '{previousName}' produces {previous.Output.TypeName}; add an input_mapping for: {Members(target, m => m.Write == ShapeWrite.Required)}");
        }

        if (!target.CanCreate)
        {
            throw doc.Error(field.Key, $"{where}: its input {target.TypeName} cannot be created from mapped values (no public constructor)");
        }

        var slots = new List<MappingSlot>();
        var mapped = new HashSet<int>();
        foreach (var (keyNode, valueNode) in doc.Mapping(field.Value, "input_mapping").Children)
        {
            string memberName = doc.Text(keyNode, "an input member");
            int targetIndex = target.IndexOf(memberName);
            if (targetIndex < 0 || target.Members[targetIndex].Write == ShapeWrite.None)
            {
                throw doc.Error(keyNode, $"{where}: '{memberName}' is not a member of its input {target.TypeName} that can be set; it takes: {Members(target, m => m.Write != ShapeWrite.None)}");
            }

            if (!mapped.Add(targetIndex))
            {
                throw doc.Error(keyNode, $"{where}: '{target.Members[targetIndex].Name}' of {target.TypeName} is mapped twice");
            }

            string source = doc.Text(valueNode, "a state variable, chain_input, chain_input.<member> or <step>.<member>");
            TypeShape? sourceShape;
            int sourceMember;
            int fromStep = 0;
            bool fromChainInput;
            Type sourceType;
            string sourceTypeName;
            if (source == ChainInput)
            {
                (sourceShape, sourceMember, fromChainInput, sourceType, sourceTypeName) = (null, -1, true, first.InputType, first.Input.TypeName);
            }
            else if (source.StartsWith(ChainInput + ".", StringComparison.Ordinal))
            {
                string member = source[(ChainInput.Length + 1)..];
                int index = first.Input.IndexOf(member);
                if (index < 0 || !first.Input.Members[index].CanRead)
                {
                    throw doc.Error(valueNode, $"{where}: '{member}' is not a member of the chain input {first.Input.TypeName}; its members are: {Members(first.Input, m => m.CanRead)}");
                }

                var m = first.Input.Members[index];
                (sourceShape, sourceMember, fromChainInput, sourceType, sourceTypeName) = (first.Input, index, true, m.Type, m.TypeName);
            }
            else if (variables.TryGetValue(source, out var variable))
            {
                var m = previous.Output.Members[variable.Member];
                (sourceShape, sourceMember, fromChainInput, sourceType, sourceTypeName) = (previous.Output, variable.Member, false, m.Type, m.TypeName);
            }
            else if (FromStep(doc, valueNode, where, name, source, earlier, batched) is var (step, member))
            {
                var m = earlier[step - 1].Registration.Output.Members[member];
                (sourceShape, sourceMember, fromChainInput, sourceType, sourceTypeName) = (earlier[step - 1].Registration.Output, member, false, m.Type, m.TypeName);
                fromStep = step == earlier.Count ? 0 : step;
            }
            else
            {
                throw doc.Error(valueNode, $"{where}: '{source}' is not a state variable of step '{previousName}' (its output_mapping defines: {(variables.Count == 0 ? "none" : string.Join(", ", variables.Keys))}), nor chain_input, chain_input.<member> or <step>.<member> of an earlier step ({string.Join(", ", earlier.Select(e => e.Name))})");
            }

            var targetMember = target.Members[targetIndex];
            if (batched && !fromChainInput)
            {
                // One value per record of the batch, as [Batched] does: comma-separated into a string member (?ids=1,2,3), or collected
                // into a collection member (sent as ?ids=1&ids=2 when it is a [Query]).
                (Type Element, Func<object[], object> Create)? collection = targetMember.Type == typeof(string) ? null
                    : BatchCollection.For(targetMember.Type)
                      ?? throw doc.Error(keyNode, $"{where} is batched: '{targetMember.Name}' ({targetMember.TypeName}) of {target.TypeName} receives one value per record of the batch, so it must be a string member (the values comma-separated) or a collection of {BatchCollection.Elements} (an array, List<T> or an interface an array implements)");
                var each = ValueConversion.Find(sourceType, collection?.Element ?? typeof(string))
                    ?? throw doc.Error(valueNode, $"{where}: '{source}' ({sourceTypeName}) cannot be converted to the elements ({(collection?.Element ?? typeof(string)).Name}) of the batch member '{targetMember.Name}' of {target.TypeName} without losing data");
                slots.Add(new MappingSlot(targetIndex, false, sourceShape, sourceMember, each, source) { Batched = true, Collect = collection?.Create });
                continue;
            }

            var convert = ValueConversion.Find(sourceType, targetMember.Type)
                ?? throw doc.Error(valueNode, $"{where}: '{source}' ({sourceTypeName}) cannot be mapped to '{targetMember.Name}' ({targetMember.TypeName}) of {target.TypeName} without a conversion that can lose data");
            slots.Add(new MappingSlot(targetIndex, fromChainInput, sourceShape, sourceMember, convert, source) { FromStep = fromStep });
        }

        var missing = target.Members.Select((m, i) => (m, i)).Where(x => x.m.Write == ShapeWrite.Required && !mapped.Contains(x.i)).Select(x => $"'{x.m.Name}' ({x.m.TypeName})").ToList();
        if (missing.Count > 0)
        {
            throw doc.Error(field.Key, $"{where}: the required member{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)} of its input {target.TypeName} {(missing.Count > 1 ? "are" : "is")} not mapped");
        }

        if (batched && !slots.Any(s => s.Batched))
        {
            // Every batch would make the same input: the same request once per batch, its records written as often.
            throw doc.Error(field.Key, $"{where} is batched, but its input_mapping maps nothing from the records of step '{previousName}' (only the chain input): map a member of the input (a string or a collection) to a field or state variable of those records, e.g. ids: parent_id");
        }

        return RuntimeMapping.Create(target, slots);
    }

    /// <summary>
    /// A <c>&lt;step&gt;.&lt;member&gt;</c> source (as <c>[Map(…, FromStep = …)]</c>): the 1-based position of the earlier step it names and the
    /// member of that step's record, or <see langword="null"/> when its first segment names no step. The previous step is read from the
    /// parent record; a step before it from the lineage, which no batched step may lie in between and a batched step does not have.
    /// </summary>
    private static (int Step, int Member)? FromStep(YamlDocument doc, YamlNode node, string where, string name, string source, List<EarlierStep> earlier, bool batched)
    {
        int dot = source.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            return null;
        }

        string stepName = source[..dot];
        string member = source[(dot + 1)..];
        if (string.Equals(stepName, name, StringComparison.OrdinalIgnoreCase))
        {
            throw doc.Error(node, $"{where}: '{source}' reads this step itself; a mapping reads the chain input or an earlier step ({string.Join(", ", earlier.Select(e => e.Name))})");
        }

        int step = 1 + earlier.FindIndex(e => e.Name == stepName);
        if (step == 0)
        {
            step = 1 + earlier.FindIndex(e => string.Equals(e.Name, stepName, StringComparison.OrdinalIgnoreCase));
        }

        if (step == 0)
        {
            return null;
        }

        var shape = earlier[step - 1].Registration.Output;
        int index = shape.IndexOf(member);
        if (index < 0 || !shape.Members[index].CanRead)
        {
            throw doc.Error(node, $"{where}: '{member}' is not a member of the record {shape.TypeName} of step '{earlier[step - 1].Name}'; its members are: {Members(shape, m => m.CanRead)}");
        }

        if (step < earlier.Count)
        {
            if (batched)
            {
                throw doc.Error(node, $"{where} is batched: it builds one input from many records, each descending from other records of step '{earlier[step - 1].Name}'; a batched step reads only the previous step ('{earlier[^1].Name}') and the chain input");
            }

            if (earlier.Skip(step).FirstOrDefault(e => e.Batched) is { } between)
            {
                throw doc.Error(node, $"{where}: the records of step '{earlier[step - 1].Name}' do not reach it through the batched step '{between.Name}', which builds one input from many records");
            }
        }

        return (step, index);
    }

    internal static string Members(TypeShape shape, Func<ShapeMember, bool> filter)
    {
        var names = shape.Members.Where(filter).Select(m => $"{m.Name} ({m.TypeName})").ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }
}

/// <summary>A step already read from the file: its name, extractor, and whether it is batched.</summary>
internal sealed record EarlierStep(string Name, ExtractorRegistration Registration, bool Batched);

/// <summary>A chain loaded from YAML, resolved against a registry.</summary>
public sealed class LoadedChain
{
    private readonly ExtractorRegistration _first;
    private readonly ExtractorRegistration _last;

    internal LoadedChain(string id, ChainDefinition definition, ExtractorRegistration first, ExtractorRegistration last, int? maxParallelChains, OutputConfig? output)
    {
        Id = id;
        Definition = definition;
        _first = first;
        _last = last;
        MaxParallelChains = maxParallelChains;
        Output = output;
    }

    /// <summary>The <c>chain_id</c>.</summary>
    public string Id { get; }

    /// <summary>The chain's definition; <see cref="ChainDefinition.As{TIn, TOut}"/> gives it its types.</summary>
    public ChainDefinition Definition { get; }

    /// <summary>The chain input's type (the first step's input).</summary>
    public Type InputType => _first.InputType;

    /// <summary>The chain's record type (the last step's).</summary>
    public Type OutputType => _last.OutputType;

    /// <summary><c>max_parallel_chains</c>, if given.</summary>
    public int? MaxParallelChains { get; }

    /// <summary>The <c>output</c> section, if given.</summary>
    public OutputConfig? Output { get; }

    /// <summary>Creates the output the <c>output</c> section describes (an <see cref="IOutput{T}"/> of the chain's records).</summary>
    /// <param name="directory">Overrides <see cref="OutputConfig.Directory"/>.</param>
    public object CreateOutput(string? directory = null)
        => (Output ?? throw new InvalidOperationException($"Chain '{Id}' has no output section; pass an output of {_last.Output.TypeName} records."))
            .Create(_last, directory);

    /// <summary>Runs the chain for one input into <paramref name="output"/> (an <see cref="IOutput{T}"/> of the chain's records).</summary>
    /// <param name="input">The chain input (of <see cref="InputType"/>).</param>
    /// <param name="output">The output.</param>
    /// <param name="httpClient">The client, or <see langword="null"/> for a shared one.</param>
    /// <param name="options">Run-time settings; the chain id defaults to <see cref="Id"/>.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public Task<ChainResult> ExecuteAsync(object input, object output, HttpClient? httpClient = null, ChainOptions? options = null, CancellationToken cancellationToken = default)
        => Definition.ExecuteUntypedAsync(input, output, httpClient, WithId(options), cancellationToken);

    /// <summary>
    /// Runs one chain per input, at most <c>max_parallel_chains</c> at once (the design's <c>execute_parallel_chains</c>; 1 when the file
    /// does not say), and returns one result per input, in input order.
    /// </summary>
    /// <param name="inputs">The chain inputs (of <see cref="InputType"/>).</param>
    /// <param name="outputFor">Creates the output (an <see cref="IOutput{T}"/> of the chain's records) of the input at an index; disposed after its run.</param>
    /// <param name="chainKey">The key of each input's state (<c>&lt;chain_id&gt;/&lt;key&gt;</c>); default: its index. A key with <c>/</c> fails its input (see <see cref="IChain{TIn, TOut}.ExecuteParallelChainsAsync"/>).</param>
    /// <param name="httpClient">The client, or <see langword="null"/> for a shared one.</param>
    /// <param name="options">Run-time settings; the chain id defaults to <see cref="Id"/>.</param>
    /// <param name="cancellationToken">Cancels every run.</param>
    public Task<IReadOnlyList<ChainResult>> ExecuteParallelChainsAsync(IEnumerable<object> inputs, Func<object, int, object> outputFor, Func<object, int, string>? chainKey = null, HttpClient? httpClient = null, ChainOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputFor);
        return Definition.ExecuteParallelUntypedAsync(inputs, MaxParallelChains ?? 1, outputFor, chainKey, httpClient, WithId(options), cancellationToken);
    }

    private ChainOptions WithId(ChainOptions? options) => (options ?? new ChainOptions()) with { ChainId = options?.ChainId ?? Id };
}
