using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>
/// A record landed exactly as the API sent it (passthrough): its UTF-8 JSON, compacted to one line (insignificant whitespace
/// removed; string contents, escapes, number text and property order kept), plus <typeparamref name="TFields"/>, a small record that
/// declares only the fields the pipeline itself needs (primary key, watermark, partition date), read from the same bytes.
/// Declare an extractor as <c>IExtractor&lt;TIn, RawRecord&lt;TFields&gt;&gt;</c> and register <typeparamref name="TFields"/> (not
/// <c>RawRecord</c>) in the <c>Json</c> context. <see cref="Json"/> points into a buffer shared by the records of one page.
/// </summary>
/// <typeparam name="TFields">The fields the pipeline reads; unknown properties are skipped.</typeparam>
public readonly struct RawRecord<TFields>
{
    /// <summary>Creates a raw record.</summary>
    /// <param name="json">The record's compact UTF-8 JSON.</param>
    /// <param name="fields">The fields read from it.</param>
    public RawRecord(ReadOnlyMemory<byte> json, TFields fields)
    {
        Json = json;
        Fields = fields;
    }

    /// <summary>The record's compact UTF-8 JSON, as the API sent it less insignificant whitespace.</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>The fields the pipeline needs, read from <see cref="Json"/>.</summary>
    public TFields Fields { get; }

    /// <summary>The record's JSON as a string.</summary>
    /// <returns>The JSON text.</returns>
    public override string ToString() => Encoding.UTF8.GetString(Json.Span);
}

/// <summary>Builds the type metadata of raw records; used by generated code.</summary>
public static class RawRecord
{
    /// <summary>
    /// The <see cref="JsonTypeInfo{T}"/> of <see cref="RawRecord{TFields}"/> over <paramref name="fields"/>: it writes the raw bytes as they are,
    /// and it tells the extractor and <see cref="JsonlOutput{T}"/> to take the passthrough path.
    /// </summary>
    /// <typeparam name="TFields">The fields record.</typeparam>
    /// <param name="fields">The fields record's metadata from the extractor's <c>Json</c> context.</param>
    /// <returns>The raw record's metadata.</returns>
    public static JsonTypeInfo<RawRecord<TFields>> TypeInfo<TFields>(JsonTypeInfo<TFields> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return JsonMetadataServices.CreateValueInfo<RawRecord<TFields>>(fields.Options, new RawRecordConverter<TFields>(fields, null));
    }

    /// <summary>
    /// The <see cref="JsonTypeInfo{T}"/> of <see cref="RawRecord{TFields}"/> over <paramref name="fields"/>, whose fields are read by
    /// <paramref name="reader"/> (generated for passthrough extractors) when it reads exactly what <paramref name="fields"/> would;
    /// otherwise as <see cref="TypeInfo{TFields}(JsonTypeInfo{TFields})"/>.
    /// </summary>
    /// <typeparam name="TFields">The fields record.</typeparam>
    /// <param name="fields">The fields record's metadata from the extractor's <c>Json</c> context.</param>
    /// <param name="reader">Reads the fields straight from each record's JSON.</param>
    /// <returns>The raw record's metadata.</returns>
    public static JsonTypeInfo<RawRecord<TFields>> TypeInfo<TFields>(JsonTypeInfo<TFields> fields, RawFieldsReader<TFields> reader)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(reader);
        fields.MakeReadOnly();
        return JsonMetadataServices.CreateValueInfo<RawRecord<TFields>>(fields.Options, new RawRecordConverter<TFields>(fields, reader.Matches(fields) ? reader : null));
    }
}

/// <summary>What the runtime asks of a raw record's converter, without knowing its fields type.</summary>
internal interface IRawRecordConverter
{
    /// <summary>A reader that captures each record's bytes; <typeparamref name="T"/> is the converter's <see cref="RawRecord{TFields}"/>.</summary>
    RecordReader<T> CreateReader<T>();

    /// <summary>Gets a record's bytes; <typeparamref name="T"/> is the converter's <see cref="RawRecord{TFields}"/>.</summary>
    RawJsonOf<T> JsonOf<T>();
}

/// <summary>Gets a raw record's bytes where its fields type is not known (an output of <typeparamref name="T"/>).</summary>
/// <typeparam name="T">A <see cref="RawRecord{TFields}"/>.</typeparam>
internal abstract class RawJsonOf<T>
{
    /// <summary>The record's compact JSON; the record is passed by reference, not copied.</summary>
    public abstract ReadOnlySpan<byte> Of(in T record);
}

/// <summary>The bytes of a <see cref="RawRecord{TFields}"/>.</summary>
internal sealed class RawRecordJson<TFields> : RawJsonOf<RawRecord<TFields>>
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override ReadOnlySpan<byte> Of(in RawRecord<TFields> record) => record.Json.Span;
}

/// <summary>
/// Writes a raw record's bytes unchanged. Reading (used only outside the page parser, e.g. for stored chain pages) copies and
/// compacts the element's text and reads the fields from it.
/// </summary>
internal sealed class RawRecordConverter<TFields>(JsonTypeInfo<TFields> fields, RawFieldsReader<TFields>? reader) : JsonConverter<RawRecord<TFields>>, IRawRecordConverter
{
    public JsonTypeInfo<TFields> Fields { get; } = fields;

    /// <summary>The generated reader of the fields, when it reads exactly what <see cref="Fields"/> would.</summary>
    public RawFieldsReader<TFields>? Reader { get; } = reader;

    public override RawRecord<TFields> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        byte[] text = Encoding.UTF8.GetBytes(document.RootElement.GetRawText());
        var compact = new byte[text.Length];
        int length = JsonCompactor.Compact(text, compact);
        var json = compact.AsMemory(0, length);
        var value = Reader is not null && document.RootElement.ValueKind == JsonValueKind.Object ? ReadFields(json.Span, Reader) : DeserializeFields(json.Span, Fields)
            ?? throw new JsonException($"a raw record is null; expected an object with the fields of {typeof(TFields).Name}");
        return new RawRecord<TFields>(json, value);
    }

    public override void Write(Utf8JsonWriter writer, RawRecord<TFields> value, JsonSerializerOptions options)
        => writer.WriteRawValue(value.Json.Span, skipInputValidation: true);

    public RecordReader<T> CreateReader<T>() => (RecordReader<T>)(object)new RawRecordReader<TFields>(Fields, Reader);

    public RawJsonOf<T> JsonOf<T>() => (RawJsonOf<T>)(object)new RawRecordJson<TFields>();

    /// <summary>A stored record is read back as deep as a page is parsed (<see cref="PageParser.MaxDepth"/>), not to the default of 64.</summary>
    private static readonly JsonReaderOptions Depth = new() { MaxDepth = PageParser.MaxDepth };

    private static TFields? DeserializeFields(ReadOnlySpan<byte> json, JsonTypeInfo<TFields> fields)
    {
        var tokens = new Utf8JsonReader(json, Depth);
        return JsonSerializer.Deserialize(ref tokens, fields);
    }

    private static TFields ReadFields(ReadOnlySpan<byte> json, RawFieldsReader<TFields> reader)
    {
        var tokens = new Utf8JsonReader(json, Depth);
        tokens.Read();
        var scan = new RawJsonScan(ref tokens, json);
        return reader.Read(ref tokens, ref scan);
    }
}
