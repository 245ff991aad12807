namespace ApiPipeline;

/// <summary>
/// Lists a hand-written extractor (a class implementing <see cref="IExtractor{TIn, TOut}"/> itself, for an API the generated HTTP
/// extractors do not fit: a gRPC or SDK client, a file drop, a database) in the generated registry under <paramref name="name"/>, so
/// that the CLI (<c>run name</c>), YAML pipeline files (<c>class: name</c>), chain files (<c>extractor_class: name</c>) and <c>replay</c>
/// use it as they use an <see cref="ExtractorAttribute"/> class, with no reflection: the design's
/// <c>ExtractorFactory.register("custom_api", CustomAPIExtractor)</c>. The class is concrete, not generic (nor nested in a generic
/// type), public or internal, not <c>file</c>-local nor <c>[Obsolete(…, true)]</c>, and not also an <see cref="ExtractorAttribute"/>
/// class. It needs a public constructor the registry can call, in this order of preference:
/// <c>(HttpClient? httpClient, ExtractorOptions? options)</c>, <c>(ExtractorOptions? options)</c>, <c>(HttpClient? httpClient)</c>, or
/// <c>()</c>; it passes over one it cannot call (a non-nullable or <c>ref</c>/<c>out</c>/<c>in</c> parameter, <c>[Obsolete]</c> as an
/// error, <c>required</c> members left unset without <c>[SetsRequiredMembers]</c>). <see cref="Json"/> names the
/// <see cref="System.Text.Json.Serialization.JsonSerializerContext"/> of the record type, which JSON Lines outputs and <c>replay</c>
/// write records with. Attributes that configure a generated extractor (<see cref="PaginatedAttribute"/>, <see cref="WatermarkAttribute"/>,
/// <see cref="RetryAttribute"/>, …) are not read from the class: it implements its own <see cref="IExtractor{TIn, TOut}.Watermark"/>,
/// <see cref="IExtractor{TIn, TOut}.OnError"/> and so on. A class that is not such an extractor is a compile-time error (APP0119).
/// </summary>
/// <param name="name">The extractor's name in the registry, the CLI and configuration files (<c>custom_api</c>; no <c>/</c>: APP1006).</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class RegisteredExtractorAttribute(string name) : Attribute
{
    /// <summary>The extractor's name in the registry, the CLI and configuration files.</summary>
    public string Name { get; } = name;

    /// <summary>
    /// A <see cref="System.Text.Json.Serialization.JsonSerializerContext"/> that registers the record type with
    /// <c>[JsonSerializable(typeof(TOut))]</c>.
    /// </summary>
    public Type? Json { get; set; }
}
