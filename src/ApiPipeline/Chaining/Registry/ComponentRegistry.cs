namespace ApiPipeline;

/// <summary>
/// Every extractor, chain and output type known at compile time, by name, with factories and type shapes and no reflection (replaces the
/// design's <c>ExtractorFactory.register</c> / <c>OutputFactory.register</c>). The generator writes one per assembly as
/// <c>ApiPipeline.Generated.ApiPipelineRegistry.Instance</c>; <see cref="Combine"/> joins those of several assemblies. YAML configuration
/// (<see cref="ChainConfig"/>, <see cref="PipelineConfig"/>) is resolved against it.
/// </summary>
public sealed class ComponentRegistry
{
    private static readonly Lock RegisteredLock = new();
    private static ComponentRegistry[] _registered = [];

    /// <summary>
    /// Every registry registered in this process: each assembly with extractors registers its generated registry when it loads (a module
    /// initializer), so <c>PipelineHost.RunAsync(args)</c> needs no argument.
    /// </summary>
    public static ComponentRegistry Registered => Combine(Volatile.Read(ref _registered));

    /// <summary>Adds a registry to <see cref="Registered"/> (generated code calls this once per assembly).</summary>
    /// <param name="registry">The registry.</param>
    public static void Register(ComponentRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        lock (RegisteredLock)
        {
            if (!_registered.Contains(registry))
            {
                _registered = [.. _registered, registry];
            }
        }
    }

    /// <summary>The output types every registry knows: JSON Lines files (<see cref="JsonlOutput{T}"/>), as <c>jsonl</c> or <c>json</c>.</summary>
    public static IReadOnlyList<string> BuiltInOutputs { get; } = ["jsonl", "json"];

    /// <summary>Creates a registry (generated code).</summary>
    /// <param name="extractors">The extractors.</param>
    /// <param name="chains">The chains.</param>
    /// <param name="outputs">The user output types (<see cref="OutputAttribute"/> classes); default none.</param>
    public ComponentRegistry(IEnumerable<ExtractorRegistration> extractors, IEnumerable<ChainRegistration> chains, IEnumerable<OutputRegistration>? outputs = null)
    {
        ArgumentNullException.ThrowIfNull(extractors);
        ArgumentNullException.ThrowIfNull(chains);
        Extractors = [.. extractors];
        Chains = [.. chains];
        UserOutputs = [.. outputs ?? []];
    }

    /// <summary>The extractors, in the order the generator found them.</summary>
    public IReadOnlyList<ExtractorRegistration> Extractors { get; }

    /// <summary>The chains.</summary>
    public IReadOnlyList<ChainRegistration> Chains { get; }

    /// <summary>The user output types (<see cref="OutputAttribute"/> classes), in the order the generator found them.</summary>
    public IReadOnlyList<OutputRegistration> UserOutputs { get; }

    /// <summary>The output types by name: <see cref="BuiltInOutputs"/>, then <see cref="UserOutputs"/>.</summary>
    public IReadOnlyList<string> Outputs => [.. BuiltInOutputs, .. UserOutputs.Select(o => o.Name)];

    /// <summary>One registry holding the entries of several.</summary>
    /// <param name="registries">The registries.</param>
    public static ComponentRegistry Combine(params ComponentRegistry[] registries)
        => new(registries.SelectMany(r => r.Extractors), registries.SelectMany(r => r.Chains), registries.SelectMany(r => r.UserOutputs).Distinct());

    /// <summary>
    /// The user output type registered as <paramref name="name"/> (case-insensitive), or <see langword="null"/> for a built-in one
    /// (<see cref="BuiltInOutputs"/>).
    /// </summary>
    /// <param name="name">The name.</param>
    /// <exception cref="KeyNotFoundException">No output type, or more than one, has that name; the message lists the known names.</exception>
    public OutputRegistration? GetOutput(string name)
    {
        var output = FindOutput(name, out bool builtIn, out string problem);
        return output is not null || builtIn ? output : throw new KeyNotFoundException(problem);
    }

    internal OutputRegistration? FindOutput(string name, out bool builtIn, out string problem)
    {
        problem = "";
        builtIn = BuiltInOutputs.Contains(name, StringComparer.OrdinalIgnoreCase);
        if (builtIn)
        {
            return null;
        }

        var found = UserOutputs.Where(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (found.Count == 1)
        {
            return found[0];
        }

        problem = found.Count == 0
            ? $"unknown output type '{name}'; registered output types: {string.Join(", ", Outputs)}"
            : $"'{name}' names more than one output type ({string.Join(", ", found.Select(o => o.TypeName))})";
        return null;
    }

    /// <summary>
    /// The extractor registered as <paramref name="name"/>: its extractor name (<c>[Extractor(Name = …)]</c>), its class name, or its
    /// full class name.
    /// </summary>
    /// <param name="name">The name.</param>
    /// <exception cref="KeyNotFoundException">No extractor, or more than one, has that name; the message lists the known names.</exception>
    public ExtractorRegistration GetExtractor(string name)
        => FindExtractor(name, out var problem) ?? throw new KeyNotFoundException(problem);

    /// <summary>The chain registered as <paramref name="name"/> (its chain name, class name or full class name).</summary>
    /// <param name="name">The name.</param>
    /// <exception cref="KeyNotFoundException">No chain has that name; the message lists the known names.</exception>
    public ChainRegistration GetChain(string name)
        => Chains.FirstOrDefault(c => c.Name == name || c.TypeName == name || c.TypeName.EndsWith("." + name, StringComparison.Ordinal))
           ?? throw new KeyNotFoundException($"No chain '{name}' is registered; registered: {Known(Chains.Select(c => c.Name))}.");

    internal ExtractorRegistration? FindExtractor(string name, out string problem)
    {
        problem = "";
        var byName = Extractors.Where(e => e.Name == name || e.TypeName == name).ToList();
        if (byName.Count == 0)
        {
            byName = [.. Extractors.Where(e => e.TypeName.EndsWith("." + name, StringComparison.Ordinal))];
        }

        if (byName.Count == 1)
        {
            return byName[0];
        }

        problem = byName.Count == 0
            ? $"no extractor '{name}' is registered; registered: {Known(Extractors.Select(e => e.Name == e.ShortTypeName ? e.Name : $"{e.Name} ({e.ShortTypeName})"))}"
            : $"'{name}' names more than one extractor ({string.Join(", ", byName.Select(e => e.TypeName))}); use the full class name";
        return null;
    }

    private static string Known(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }
}

/// <summary>A chain in a <see cref="ComponentRegistry"/>.</summary>
public sealed class ChainRegistration
{
    private readonly Func<HttpClient?, ChainOptions?, object> _create;

    /// <summary>Creates the registration (generated code).</summary>
    /// <param name="typeName">The chain class's full name.</param>
    /// <param name="definition">The chain's definition.</param>
    /// <param name="create">Creates an instance of the chain class.</param>
    public ChainRegistration(string typeName, ChainDefinition definition, Func<HttpClient?, ChainOptions?, object> create)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(create);
        TypeName = typeName;
        Definition = definition;
        _create = create;
    }

    /// <summary>The chain's name.</summary>
    public string Name => Definition.Name;

    /// <summary>The chain class's full name.</summary>
    public string TypeName { get; }

    /// <summary>The chain's definition.</summary>
    public ChainDefinition Definition { get; }

    /// <summary>The chain input's type.</summary>
    public Type InputType => Definition.InputType;

    /// <summary>The chain's record type.</summary>
    public Type OutputType => Definition.OutputType;

    /// <summary>Creates an instance of the chain class (an <see cref="IChain{TIn, TOut}"/>).</summary>
    /// <param name="httpClient">The client, or <see langword="null"/> for a shared one.</param>
    /// <param name="options">Run-time settings.</param>
    public object Create(HttpClient? httpClient = null, ChainOptions? options = null) => _create(httpClient, options);
}
