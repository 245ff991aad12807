using System.ComponentModel;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>Looks up a record's type metadata in a user's <see cref="JsonSerializerContext"/>; used by generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ExtractorJson
{
    /// <summary>Returns the context's <see cref="JsonTypeInfo{T}"/> for <typeparamref name="T"/>, or explains how to register it.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="context">The extractor's <c>Json</c> context.</param>
    /// <param name="extractor">The extractor's name, for the message.</param>
    public static JsonTypeInfo<T> GetTypeInfo<T>(JsonSerializerContext context, string extractor)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
            ?? throw new InvalidOperationException(
                $"Extractor '{extractor}': the Json context {context.GetType().Name} does not register {typeof(T).Name}; add [JsonSerializable(typeof({typeof(T).Name}))] to it.");
    }
}
