using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>
/// An output type in a <see cref="ComponentRegistry"/> (an <see cref="OutputAttribute"/> class): its name and a factory that creates it for
/// records of a type known only at run time. The registrations call <see cref="Create{T}"/> with their record type (generic virtual
/// dispatch), so a generic output is instantiated per record type with no reflection. Generated code derives from it (a generic output)
/// or uses <see cref="OutputRegistration{TRecord}"/> (an output of one record type).
/// </summary>
public abstract class OutputRegistration
{
    /// <summary>Creates the registration (generated code).</summary>
    /// <param name="name">The output type's name (<c>[Output("console")]</c>).</param>
    /// <param name="typeName">The output class's full name, for messages.</param>
    /// <param name="configKeys">The <c>config:</c> keys the output reads besides the common ones (<c>[Output("console", "color")]</c>).</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected OutputRegistration(string name, string typeName, IReadOnlyList<string> configKeys)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(typeName);
        ArgumentNullException.ThrowIfNull(configKeys);
        Name = name;
        TypeName = typeName;
        ConfigKeys = configKeys;
    }

    /// <summary>The output type's name in configuration files.</summary>
    public string Name { get; }

    /// <summary>The output class's full name (<c>Demo.ConsoleOutput&lt;T&gt;</c>).</summary>
    public string TypeName { get; }

    /// <summary>The keys of a file's <c>config:</c> the output reads besides the common ones; any other key is an error.</summary>
    public IReadOnlyList<string> ConfigKeys { get; }

    /// <summary>The one record type the output takes, or <see langword="null"/> when it takes any (a generic output).</summary>
    public abstract Type? RecordType { get; }

    /// <summary>Whether the output takes records of <paramref name="recordType"/>.</summary>
    /// <param name="recordType">The record type.</param>
    public bool Accepts(Type recordType) => RecordType is null || RecordType == recordType;

    /// <summary>Creates the output for records of <typeparamref name="T"/>, or returns <see langword="null"/> when it does not take them.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="recordTypeInfo">The records' JSON metadata (from the extractor that produces them).</param>
    /// <param name="config">The file's <c>output</c> section.</param>
    public abstract IOutput<T>? Create<T>(JsonTypeInfo<T> recordTypeInfo, OutputConfig config);
}

/// <summary>An output class that takes records of <typeparamref name="TRecord"/> only (it implements <c>IOutput&lt;TRecord&gt;</c>).</summary>
/// <typeparam name="TRecord">The record type.</typeparam>
public sealed class OutputRegistration<TRecord> : OutputRegistration
{
    private readonly Func<JsonTypeInfo<TRecord>, OutputConfig, IOutput<TRecord>> _create;

    /// <summary>Creates the registration (generated code).</summary>
    /// <param name="name">The output type's name.</param>
    /// <param name="typeName">The output class's full name.</param>
    /// <param name="configKeys">The <c>config:</c> keys the output reads besides the common ones.</param>
    /// <param name="create">Creates the output.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public OutputRegistration(string name, string typeName, IReadOnlyList<string> configKeys, Func<JsonTypeInfo<TRecord>, OutputConfig, IOutput<TRecord>> create)
        : base(name, typeName, configKeys)
    {
        ArgumentNullException.ThrowIfNull(create);
        _create = create;
    }

    /// <inheritdoc/>
    public override Type RecordType => typeof(TRecord);

    /// <inheritdoc/>
    public override IOutput<T>? Create<T>(JsonTypeInfo<T> recordTypeInfo, OutputConfig config)
        => typeof(T) == typeof(TRecord) ? (IOutput<T>)_create((JsonTypeInfo<TRecord>)(object)recordTypeInfo, config) : null;
}
