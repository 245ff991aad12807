namespace ApiPipeline;

/// <summary>
/// Marks a <c>partial</c> class implementing <see cref="IExtractor{TIn, TOut}"/> whose body the ApiPipeline source generator writes:
/// the request URL is built from <paramref name="path"/> with <c>{placeholders}</c> bound by name to members of <c>TIn</c>,
/// and each record is read with the <see cref="System.Text.Json.Serialization.Metadata.JsonTypeInfo{T}"/> of <c>TOut</c> from the <see cref="Json"/> context.
/// </summary>
/// <param name="baseUrl">The API's base URL, for example <c>https://api.github.com</c>. Can be overridden at run time with <see cref="ExtractorOptions.BaseUrl"/>.</param>
/// <param name="path">The path template, for example <c>/repos/{owner}/{repo}/issues</c>; it may carry a fixed query (<c>?state=all</c>).</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ExtractorAttribute(string baseUrl, string path) : Attribute
{
    /// <summary>The API's base URL.</summary>
    public string BaseUrl { get; } = baseUrl;

    /// <summary>The path template, relative to <see cref="BaseUrl"/>.</summary>
    public string Path { get; } = path;

    /// <summary>
    /// A <see cref="System.Text.Json.Serialization.JsonSerializerContext"/> that registers the record type with
    /// <c>[JsonSerializable(typeof(TOut))]</c>. Records are read and written through it only: no reflection.
    /// </summary>
    public Type? Json { get; set; }

    /// <summary>The extractor's name in logs, errors and the registry, without <c>/</c> (APP1006). Defaults to the class name.</summary>
    public string? Name { get; set; }
}
