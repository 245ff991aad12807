namespace ApiPipeline;

/// <summary>
/// Lists an output class in the generated registry under <paramref name="name"/>, so that a YAML pipeline or chain can write through it
/// (<c>output: { type: console, config: { … } }</c>), with no reflection. The class is either generic in the record type
/// (<c>ConsoleOutput&lt;T&gt; : IOutput&lt;T&gt;</c>, one unconstrained type parameter: usable for any record type) or implements
/// <see cref="IOutput{T}"/> for one record type (<c>IssueSink : IOutput&lt;Issue&gt;</c>). It is concrete, public or internal (not
/// nested in a generic type), and not <c>file</c>-local nor
/// <c>[Obsolete(…, true)]</c> (nor nested in such a type), as the registry, in another file, names it. It needs a public or internal
/// constructor the registry can call, in this order of preference: <c>(JsonTypeInfo&lt;T&gt; recordTypeInfo, OutputConfig config)</c>,
/// <c>(OutputConfig config)</c>, or <c>()</c>; <see cref="OutputConfig"/> carries the file's <c>config:</c> values. The registry calls
/// the first it can: parameters passed by value (no <c>ref</c>, <c>out</c> or <c>in</c>; it never passes <see langword="null"/>), not
/// <c>[Obsolete(…, true)]</c>, and <c>[SetsRequiredMembers]</c> when the class has <c>required</c> members. The keys of <c>config:</c> the output reads
/// beyond the common ones (<c>directory</c>, <c>name</c>, <c>partition_by</c>, <c>batch_size</c>, …) are declared after the name
/// (<c>[Output("console", "color", "width")]</c>): a file that gives any other key is an error at load time, naming the key and
/// where it is. Duplicate names, a class that is not such an output, a missing constructor and a bad config key are compile-time
/// errors (APP0115–APP0118).
/// </summary>
/// <param name="name">The output type's name in configuration files (<c>console</c>); <c>jsonl</c> and <c>json</c> are built in.</param>
/// <param name="configKeys">The keys of the file's <c>config:</c> this output reads besides the common ones.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class OutputAttribute(string name, params string[] configKeys) : Attribute
{
    /// <summary>The output type's name in configuration files.</summary>
    public string Name { get; } = name;

    /// <summary>The keys of the file's <c>config:</c> this output reads besides the common ones.</summary>
    public IReadOnlyList<string> ConfigKeys { get; } = configKeys;
}
