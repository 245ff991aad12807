using YamlDotNet.RepresentationModel;

namespace ApiPipeline;

/// <summary>
/// The <c>output</c> section of a chain or pipeline file (the design's <c>output: type, config: format, partition_by</c>):
/// <code>
/// output:
///   type: jsonl                # jsonl or json (JSON Lines either way), or a user output type ([Output("console")])
///   config:
///     format: jsonl
///     directory: out           # default out
///     name: issues             # default: the chain or pipeline id
///     partition_by: updated_at # a date member of the record: date=YYYY-MM-DD folders
///     batch_size: 1000
///     flush_interval: 60s
/// </code>
/// A user output type gets this record in its constructor: the settings above parsed and checked as for JSON Lines, and every value
/// of <c>config</c> as text in <see cref="Settings"/>, including the keys it declares as its own (<c>[Output("console", "color")]</c>);
/// a key that is neither common nor declared is an error that names it, where it is, and the keys expected.
/// </summary>
public sealed record OutputConfig
{
    private static readonly string[] Fields = ["type", "config"];
    private static readonly string[] ConfigFields = ["format", "directory", "name", "partition_by", "batch_size", "flush_interval", "max_batch_bytes"];

    /// <summary>The output type: <c>jsonl</c>, <c>json</c>, or the name of a user output type.</summary>
    public required string Type { get; init; }

    /// <summary>The root folder: the file's <c>directory</c>, else <c>out</c>.</summary>
    public string Directory { get; init; } = "out";

    /// <summary>Whether the file gives <c>directory</c>; when it does not, a host puts the output under its own output folder.</summary>
    public bool HasDirectory { get; init; }

    /// <summary>The dataset folder's name.</summary>
    public required string Name { get; init; }

    /// <summary>The record member files are partitioned by, or <see langword="null"/>.</summary>
    public string? PartitionBy { get; init; }

    /// <summary>When a batch is committed.</summary>
    public OutputBatchOptions Batching { get; init; } = OutputBatchOptions.Default;

    /// <summary>Every value of the <c>config</c> mapping as text, by key as written (ordinal); empty without one.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    internal int? PartitionMember { get; init; }

    /// <summary>The typed reader of <see cref="PartitionBy"/> (a <c>Func&lt;T, DateTimeOffset?&gt;</c>), set when a user output is created.</summary>
    internal Delegate? PartitionReader { get; init; }

    /// <summary>
    /// Reads the date of a record's <see cref="PartitionBy"/> member through the registry's generated accessor (no reflection), as the
    /// JSON Lines output does for its <c>date=YYYY-MM-DD</c> folders; <see langword="null"/> without <c>partition_by</c>, or when
    /// <typeparamref name="T"/> is not the type of the records this output was created for.
    /// </summary>
    /// <typeparam name="T">The record type the output was created for.</typeparam>
    public Func<T, DateTimeOffset?>? PartitionDate<T>() => PartitionReader as Func<T, DateTimeOffset?>;

    /// <summary>The user output type, or <see langword="null"/> for JSON Lines.</summary>
    internal OutputRegistration? Registration { get; init; }

    internal object Create(ExtractorRegistration records, string? directory)
        => Registration is null
            ? records.CreateJsonlOutput(directory ?? Directory, Name, PartitionMember, Batching)
            : records.CreateOutput(Registration, directory is null ? this : this with { Directory = directory });

    internal static OutputConfig Parse(YamlDocument doc, YamlNode node, ComponentRegistry registry, ExtractorRegistration records, string defaultName)
    {
        var mapping = doc.Mapping(node, "output");
        var fields = doc.Fields(mapping, "output", Fields);
        var typeNode = doc.Required(fields, mapping, "type", "output");
        string type = doc.Text(typeNode, "the output type");
        var registration = registry.FindOutput(type, out bool builtIn, out string problem);
        if (registration is null && !builtIn)
        {
            throw doc.Error(typeNode, problem);
        }

        if (registration is not null && !registration.Accepts(records.OutputType))
        {
            throw doc.Error(typeNode, $"the output type '{registration.Name}' ({registration.TypeName}) takes {registration.RecordType!.Name} records, but the records here are {records.Output.TypeName}");
        }

        var config = new OutputConfig { Type = registration?.Name ?? type.ToLowerInvariant(), Name = defaultName, Registration = registration };
        if (!fields.TryGetValue("config", out var configField))
        {
            return config;
        }

        var configMapping = doc.Mapping(configField.Value, "output config");
        var settings = registration is null
            ? doc.Fields(configMapping, "output config", ConfigFields)
            : doc.Fields(configMapping, $"the config of output type '{registration.Name}' ({registration.TypeName} declares the keys it reads in [Output(\"{registration.Name}\", …)])", [.. ConfigFields, .. registration.ConfigKeys]);
        config = config with { Settings = settings.ToDictionary(s => s.Key, s => doc.Text(s.Value.Value, $"the value of '{s.Key}'"), StringComparer.Ordinal) };
        if (registration is null && settings.TryGetValue("format", out var format) && !string.Equals(doc.Text(format.Value, "format"), "jsonl", StringComparison.OrdinalIgnoreCase))
        {
            throw doc.Error(format.Value, $"unknown format '{doc.Text(format.Value, "format")}'; the {type} output writes jsonl");
        }

        if (settings.TryGetValue("directory", out var directory))
        {
            config = config with { Directory = doc.Text(directory.Value, "directory"), HasDirectory = true };
        }

        if (settings.TryGetValue("name", out var name))
        {
            config = config with { Name = doc.Text(name.Value, "name") };
        }

        if (settings.TryGetValue("partition_by", out var partition))
        {
            string member = doc.Text(partition.Value, "partition_by");
            int index = records.Output.IndexOf(member);
            if (index < 0 || !records.Output.Members[index].CanRead || !TypeShape.IsDate(records.Output.Members[index].Type))
            {
                throw doc.Error(partition.Value, $"partition_by '{member}' is not a date member of {records.Output.TypeName}; its date members are: {ChainConfig.Members(records.Output, m => m.CanRead && TypeShape.IsDate(m.Type))}");
            }

            config = config with { PartitionBy = records.Output.Members[index].Name, PartitionMember = index };
        }

        var batching = OutputBatchOptions.Default;
        if (settings.TryGetValue("batch_size", out var size))
        {
            batching = batching with { BatchSize = doc.PositiveInt(size.Value, "batch_size") };
        }

        if (settings.TryGetValue("flush_interval", out var interval))
        {
            batching = batching with { FlushInterval = doc.Duration(interval.Value, "flush_interval") };
        }

        if (settings.TryGetValue("max_batch_bytes", out var bytes))
        {
            batching = batching with { MaxBatchBytes = doc.PositiveLong(bytes.Value, "max_batch_bytes") };
        }

        return config with { Batching = batching };
    }
}
