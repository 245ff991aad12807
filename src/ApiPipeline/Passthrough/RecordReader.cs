using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>How <see cref="PageParser"/> turns one record's JSON into a <typeparamref name="T"/>; one instance per extraction run.</summary>
/// <typeparam name="T">The record type.</typeparam>
internal abstract class RecordReader<T>
{
    /// <summary>The record type's name, for messages.</summary>
    public abstract string TypeName { get; }

    /// <summary>The record metadata's options (to look up the input's metadata for error messages).</summary>
    public abstract JsonSerializerOptions Options { get; }

    /// <summary>The reader for <paramref name="typeInfo"/>: raw records capture their bytes, other types are deserialized.</summary>
    public static RecordReader<T> For(JsonTypeInfo<T> typeInfo)
        => typeInfo.Converter is IRawRecordConverter raw ? raw.CreateReader<T>() : new TypedRecordReader<T>(typeInfo);

    /// <summary>
    /// Whether records read may outlive the page (default): a reader whose records point into its own buffers then never reuses them.
    /// <see langword="false"/> when each record is consumed before the next one is read (a consuming page sink), so buffers can be
    /// reused and records may point into the page's body.
    /// </summary>
    public bool RecordsKept { get; set; } = true;

    /// <summary>Called before each parse of a page body (also before a retried attempt).</summary>
    /// <param name="body">The body, unchanged until the page has been parsed.</param>
    public virtual void BeginPage(ReadOnlyMemory<byte> body)
    {
    }

    /// <summary>
    /// Reads the record at the reader's current token (not null) from <paramref name="json"/>, the whole body the reader runs over,
    /// leaving the reader on the record's last token. Returns <see langword="false"/> when the record deserializes to null.
    /// </summary>
    public abstract bool TryRead(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, out T value);
}

/// <summary>Deserializes each record with its <see cref="JsonTypeInfo{T}"/>.</summary>
internal sealed class TypedRecordReader<T>(JsonTypeInfo<T> typeInfo) : RecordReader<T>
{
    public override string TypeName => typeInfo.Type.Name;

    public override JsonSerializerOptions Options => typeInfo.Options;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TryRead(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, out T value)
    {
        value = JsonSerializer.Deserialize(ref reader, typeInfo)!;
        return value is not null;
    }
}

/// <summary>
/// Passthrough: reads only <typeparamref name="TFields"/> from each record, then copies the record's byte range, compacted, into the
/// page's buffer. When records are kept past the page the buffer is allocated in blocks of at most 64 KiB (below the large object heap)
/// per page, none per record; otherwise one block serves every record, and a record that is already compact is not copied at all: it
/// points into the page's body.
/// <para>
/// Reading the fields: with a generated <see cref="RawFieldsReader{TFields}"/> (passthrough extractors get one when it agrees with the
/// context's metadata), that reader reads the declared members straight from the page's reader and skips the rest, its
/// <see cref="RawJsonScan"/> noting whether the record is already compact. Without one: one <see cref="Utf8JsonReader"/> walk over the
/// record's top-level properties; those whose JSON names (from the context's naming policy and <c>[JsonPropertyName]</c>, via
/// <see cref="JsonTypeInfo.Properties"/>) belong to <typeparamref name="TFields"/> are copied into a small scratch object, everything else
/// is skipped without being looked at; the scratch object is then deserialized with <typeparamref name="TFields"/>'s
/// <see cref="JsonTypeInfo{T}"/>, so converters, constructors and <c>required</c> members behave exactly as for typed records. Types that
/// cannot be read that way (not an object contract, case-insensitive names, extension data) are deserialized from the whole record.
/// </para>
/// </summary>
internal sealed class RawRecordReader<TFields> : RecordReader<RawRecord<TFields>>
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>The scratch object nests as deep as the record in the page may (<see cref="PageParser.MaxDepth"/>), past the options' default of 64.</summary>
    private static readonly JsonReaderOptions ScratchOptions = new() { MaxDepth = PageParser.MaxDepth };
    private readonly JsonTypeInfo<TFields> _fields;
    private readonly RawFieldsReader<TFields>? _generated;
    private readonly byte[][]? _names;
    private byte[] _scratch = new byte[256];
    private byte[] _page = [];
    private int _used;
    private ReadOnlyMemory<byte> _body;

    public RawRecordReader(JsonTypeInfo<TFields> fields, RawFieldsReader<TFields>? generated = null)
    {
        _fields = fields;
        _generated = generated;
        fields.MakeReadOnly();
        if (generated is null && fields.Kind == JsonTypeInfoKind.Object && !fields.Options.PropertyNameCaseInsensitive && !fields.Properties.Any(p => p.IsExtensionData))
        {
            _names = [.. fields.Properties.Select(p => System.Text.Encoding.UTF8.GetBytes(p.Name))];
        }
    }

    public override string TypeName => typeof(TFields).Name;

    public override JsonSerializerOptions Options => _fields.Options;

    public override void BeginPage(ReadOnlyMemory<byte> body)
    {
        // Records handed on may keep pointing into the previous buffer: a page reuses it only if nobody keeps records.
        if (RecordsKept)
        {
            _page = [];
        }

        _used = 0;
        _body = body;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TryRead(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, out RawRecord<TFields> value)
    {
        int start = (int)reader.TokenStartIndex;
        bool compact = false;
        var read = reader.TokenType != JsonTokenType.StartObject ? JsonSerializer.Deserialize(ref reader, _fields)
            : _generated is not null ? ReadGenerated(ref reader, json, out compact)
            : _names is not null ? ReadSelected(ref reader, json, out compact)
            : JsonSerializer.Deserialize(ref reader, _fields);
        if (read is null)
        {
            value = default;
            return false;
        }

        int end = (int)reader.BytesConsumed;
        if (!RecordsKept)
        {
            if (compact)
            {
                // Consumed before the next record is read, while the body is still there: no copy.
                value = new RawRecord<TFields>(_body[start..end], read);
                return true;
            }

            _used = 0; // the previous record has been consumed: one block serves every record
        }

        if (_page.Length - _used < end - start)
        {
            // A new block: the rest of the body (compacted records fit in it), at most ChunkBytes so that blocks stay
            // out of the large object heap, and at least this record. Records already yielded keep pointing into earlier blocks.
            _page = GC.AllocateUninitializedArray<byte>(Math.Max(Math.Min(_body.Length - start, ChunkBytes), end - start));
            _used = 0;
        }

        var source = json[start..end];
        int length;
        if (compact)
        {
            source.CopyTo(_page.AsSpan(_used));
            length = source.Length;
        }
        else
        {
            length = JsonCompactor.Compact(source, _page.AsSpan(_used));
        }

        value = new RawRecord<TFields>(new ReadOnlyMemory<byte>(_page, _used, length), read);
        _used += length;
        return true;
    }

    /// <summary>Reads the fields with the generated reader, which also tells whether the record is already compact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TFields ReadGenerated(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, out bool compact)
    {
        var scan = new RawJsonScan(ref reader, json);
        var fields = _generated!.Read(ref reader, ref scan);
        compact = scan.IsCompact;
        return fields;
    }

    /// <summary>
    /// Walks every token of the record once: copies the top-level properties that <typeparamref name="TFields"/> declares into a scratch
    /// object (then deserialized), and checks on the way that nothing but <c>,</c> and <c>:</c> sits between tokens, in which case the
    /// record is already compact and is copied as it is.
    /// </summary>
    private TFields? ReadSelected(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, out bool compact)
    {
        var names = _names!;
        int depth = reader.CurrentDepth;
        int used = 0;
        int previousEnd = (int)reader.BytesConsumed;
        int captureStart = -1;
        compact = true;
        Append(ref used, "{"u8);
        while (reader.Read())
        {
            int tokenStart = (int)reader.TokenStartIndex;
            for (int i = previousEnd; i < tokenStart; i++)
            {
                if (json[i] is not ((byte)',' or (byte)':'))
                {
                    compact = false;
                }
            }

            int current = reader.CurrentDepth;
            if (current == depth + 1 && reader.TokenType == JsonTokenType.PropertyName || current == depth)
            {
                if (captureStart >= 0)
                {
                    if (used > 1)
                    {
                        Append(ref used, ","u8);
                    }

                    Append(ref used, json[captureStart..previousEnd]);
                    captureStart = -1;
                }

                if (current == depth)
                {
                    break;
                }

                for (int i = 0; i < names.Length; i++)
                {
                    if (reader.ValueTextEquals(names[i]))
                    {
                        captureStart = tokenStart;
                        break;
                    }
                }
            }

            previousEnd = (int)reader.BytesConsumed;
            if (reader.TokenType == JsonTokenType.PropertyName && json[previousEnd - 1] == (byte)':' && json[previousEnd - 2] != (byte)'"')
            {
                compact = false; // whitespace between a property name and its colon
            }
        }

        Append(ref used, "}"u8);
        var scratch = new Utf8JsonReader(_scratch.AsSpan(0, used), ScratchOptions);
        return JsonSerializer.Deserialize(ref scratch, _fields);
    }

    private void Append(ref int used, ReadOnlySpan<byte> bytes)
    {
        if (used + bytes.Length > _scratch.Length)
        {
            Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, used + bytes.Length));
        }

        bytes.CopyTo(_scratch.AsSpan(used));
        used += bytes.Length;
    }
}

/// <summary>
/// Removes insignificant whitespace from valid JSON, keeping everything inside strings byte for byte. (Comments never reach it: the
/// page's reader refuses them, docs/performance.md, finding 3.)
/// </summary>
internal static class JsonCompactor
{
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);
    private static readonly SearchValues<byte> StringSpecial = SearchValues.Create("\"\\"u8);

    /// <summary>Writes <paramref name="source"/> without insignificant whitespace into <paramref name="destination"/> (at least as long); returns the length written.</summary>
    public static int Compact(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // Compact JSON (the common case) has no whitespace outside strings: when there is none anywhere, it is one copy.
        if (!source.ContainsAny(Whitespace))
        {
            source.CopyTo(destination);
            return source.Length;
        }

        // Byte by byte between strings, where tokens and whitespace are short (a pretty-printed record has whitespace before nearly
        // every token, which makes a vectorized search per run cost more than it saves); each string is found and copied whole.
        int written = 0;
        int i = 0;
        while (i < source.Length)
        {
            byte b = source[i];
            if (b == (byte)'"')
            {
                int end = StringEnd(source, i);
                source[i..end].CopyTo(destination[written..]);
                written += end - i;
                i = end;
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                i++;
            }
            else
            {
                destination[written++] = b;
                i++;
            }
        }

        return written;
    }

    /// <summary>The index just past the string that starts with the quote at <paramref name="start"/>.</summary>
    private static int StringEnd(ReadOnlySpan<byte> source, int start)
    {
        int j = start + 1;
        while (j < source.Length)
        {
            int k = source[j..].IndexOfAny(StringSpecial);
            if (k < 0)
            {
                return source.Length;
            }

            j += k;
            if (source[j] != (byte)'\\')
            {
                return j + 1;
            }

            j += 2; // an escaped character, whichever it is
        }

        return source.Length;
    }
}
