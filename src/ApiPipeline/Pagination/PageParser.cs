using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>What a page's body says besides its records.</summary>
internal struct PageScan
{
    public bool RecordsFound;
    public string? Cursor;
    public string? NextUrl;
    public bool? HasMore;
    public long? Total;
    public long? TotalPages;

    /// <summary>Where the records array starts in the body (counting a byte order mark), and its length in bytes; 0 when there is none.</summary>
    public int RecordsStart;

    /// <inheritdoc cref="RecordsStart"/>
    public int RecordsLength;
}

/// <summary>A body that is valid JSON but not shaped as the extractor expects.</summary>
internal sealed class PageShapeException(string message, ExtractionErrorKind kind = ExtractionErrorKind.UnexpectedShape, Exception? inner = null)
    : Exception(message, inner)
{
    public ExtractionErrorKind Kind { get; } = kind;
}

/// <summary>
/// Reads a page in one forward pass of <see cref="Utf8JsonReader"/>: each record is deserialized in place with the record's
/// <see cref="JsonTypeInfo{T}"/>, the cursor and totals are picked up wherever they sit, everything else is skipped.
/// No DOM is built.
/// </summary>
internal static class PageParser
{
    // Comments are not skipped: JSON APIs send none, and skipping puts every token on a slower path (docs/performance.md, finding 3).
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>How deep a page (and so a record) may nest: deeper than System.Text.Json's default of 64. Dead-letter entries and stored chain pages are read back with the same limit.</summary>
    internal const int MaxDepth = 256;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public static PageScan Parse<T>(ReadOnlyMemory<byte> json, PageLayout layout, JsonTypeInfo<T> typeInfo, List<T> records)
        => Parse(json, layout, new TypedRecordReader<T>(typeInfo), new ListSink<T>(records));

    /// <summary>
    /// Parses a page, reading each record with <paramref name="typeInfo"/> (typed or passthrough, see <see cref="RecordReader{T}"/>) and
    /// handing it to <paramref name="records"/> as soon as it is read (only <see cref="IPageSink{T}.Add"/> is called here).
    /// </summary>
    public static PageScan Parse<T>(ReadOnlyMemory<byte> body, PageLayout layout, RecordReader<T> typeInfo, IPageSink<T> records)
    {
        // A UTF-8 byte order mark is not JSON, but System.Text.Json's stream APIs skip it and some servers send one.
        int bom = body.Span.StartsWith(Utf8Bom) ? Utf8Bom.Length : 0;
        body = body[bom..];

        typeInfo.BeginPage(body);
        var json = body.Span;
        var reader = new Utf8JsonReader(json, ReaderOptions);
        var scan = default(PageScan);
        if (!reader.Read())
        {
            throw new PageShapeException("the body is empty; expected JSON", ExtractionErrorKind.InvalidJson);
        }

        if (layout.RecordsAtRoot)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new PageShapeException($"expected the body to be a JSON array of records, found {Describe(reader.TokenType)}; if the records are inside an object, set RecordsPath (e.g. \"data\")");
            }

            ReadRecords(ref reader, json, typeInfo, records, "$", ref scan);
            scan.RecordsFound = true;
        }
        else
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new PageShapeException($"expected the body to be a JSON object with records at '{layout.Path(PageLayout.Records)}', found {Describe(reader.TokenType)}");
            }

            WalkObject(ref reader, json, layout, 0, layout.TargetMask, ref scan, typeInfo, records);
        }

        if (scan.RecordsLength > 0)
        {
            scan.RecordsStart += bom;
        }

        if (reader.Read())
        {
            throw new PageShapeException($"unexpected content after the end of the JSON body at byte {reader.TokenStartIndex}", ExtractionErrorKind.InvalidJson);
        }

        if (!scan.RecordsFound)
        {
            throw new PageShapeException($"the records path '{layout.Path(PageLayout.Records)}' is not in the response; expected an array of records there");
        }

        return scan;
    }

    private static void WalkObject<T>(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, PageLayout layout, int depth, int mask, ref PageScan scan, RecordReader<T> typeInfo, IPageSink<T> records)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int matched = 0;
            int terminal = 0;
            for (int t = 0; t < PageLayout.Count; t++)
            {
                if ((mask & (1 << t)) == 0)
                {
                    continue;
                }

                var segments = layout.Segments(t);
                if (segments.Length > depth && reader.ValueTextEquals(segments[depth]))
                {
                    matched |= 1 << t;
                    if (segments.Length == depth + 1)
                    {
                        terminal |= 1 << t;
                    }
                }
            }

            reader.Read();
            if (matched == 0)
            {
                reader.Skip();
                continue;
            }

            if (terminal != 0)
            {
                // Scalars are read without moving the reader, so several paths may end at the same value; records are read last.
                for (int t = 1; t < PageLayout.Count; t++)
                {
                    if ((terminal & (1 << t)) != 0)
                    {
                        ReadScalar(ref reader, layout, t, ref scan);
                    }
                }

                if ((terminal & 1) != 0)
                {
                    ReadRecordsValue(ref reader, json, layout, typeInfo, records, ref scan);
                }
                else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }

                continue;
            }

            if (reader.TokenType == JsonTokenType.StartObject)
            {
                WalkObject(ref reader, json, layout, depth + 1, matched, ref scan, typeInfo, records);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static void ReadRecordsValue<T>(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, PageLayout layout, RecordReader<T> typeInfo, IPageSink<T> records, ref PageScan scan)
    {
        string path = layout.Path(PageLayout.Records);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartArray:
                ReadRecords(ref reader, json, typeInfo, records, path, ref scan);
                break;
            case JsonTokenType.StartObject when records is IRecordRejects { AcceptsRejects: true } rejects:
                if (TryReadOrReject(ref reader, json, typeInfo, path, 0, single: true, rejects, out var value))
                {
                    records.Add(value);
                }

                break;
            case JsonTokenType.StartObject:
                records.Add(ReadRecord(ref reader, json, typeInfo, path, 0, single: true));
                break;
            case JsonTokenType.Null:
                break;
            default:
                throw new PageShapeException($"expected an array of records at '{path}', found {Describe(reader.TokenType)}");
        }

        scan.RecordsFound = true;
    }

    // The methods every record passes through (here, the record readers, the sinks and the output's Add) are compiled optimised at
    // once under the JIT instead of waiting in the tiering queue: see docs/performance.md, Finding 10.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReadRecords<T>(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, RecordReader<T> typeInfo, IPageSink<T> records, string path, ref PageScan scan)
    {
        int begin = (int)reader.TokenStartIndex;
        int index = 0;
        var rejects = records is IRecordRejects { AcceptsRejects: true } accepting ? accepting : null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (rejects is null)
            {
                records.Add(ReadRecord(ref reader, json, typeInfo, path, index, single: false));
            }
            else if (TryReadOrReject(ref reader, json, typeInfo, path, index, single: false, rejects, out var value))
            {
                records.Add(value);
            }

            index++;
        }

        scan.RecordsStart = begin;
        scan.RecordsLength = (int)reader.BytesConsumed - begin;
    }

    /// <summary>Reads a record, or hands one that does not fit the record type to <paramref name="rejects"/> and moves past it.</summary>
    private static bool TryReadOrReject<T>(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, RecordReader<T> typeInfo, string path, int index, bool single, IRecordRejects rejects, out T value)
    {
        var start = reader;
        try
        {
            value = ReadRecord(ref reader, json, typeInfo, path, index, single);
            return true;
        }
        catch (PageShapeException ex) when (ex.Kind == ExtractionErrorKind.RecordMismatch)
        {
            // The record is valid JSON (ReadRecord tells broken JSON apart, and that still fails the page): skip it whole.
            reader = start;
            int begin = (int)reader.TokenStartIndex;
            reader.Skip();
            rejects.Reject(json[begin..(int)reader.BytesConsumed], ex.Message);
            value = default!;
            return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T ReadRecord<T>(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, RecordReader<T> typeInfo, string path, int index, bool single)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            throw new PageShapeException($"{Where(path, index, single)} is null; expected a {typeInfo.TypeName}", ExtractionErrorKind.RecordMismatch);
        }

        int start = (int)reader.TokenStartIndex;
        try
        {
            return typeInfo.TryRead(ref reader, json, out var value)
                ? value
                : throw new PageShapeException($"{Where(path, index, single)} is null; expected a {typeInfo.TypeName}", ExtractionErrorKind.RecordMismatch);
        }
        catch (JsonException ex)
        {
            throw NotRead(json[start..], ex, Where(path, index, single), typeInfo.TypeName);
        }

        static string Where(string path, int index, bool single) => single ? $"the record at '{path}'" : $"record {index} of '{path}'";
    }

    /// <summary>
    /// Only on the failure path: tells broken JSON (a cut-off body, a stray comma) from a record of the wrong shape, by reading the
    /// record again on its own (positions in a syntax error are then counted from the record's start).
    /// </summary>
    private static PageShapeException NotRead(ReadOnlySpan<byte> fromRecord, JsonException error, string where, string typeName)
    {
        var again = new Utf8JsonReader(fromRecord, ReaderOptions);
        try
        {
            again.Read();
            again.Skip();
        }
        catch (JsonException syntax)
        {
            return new PageShapeException($"the body is not valid JSON inside {where} (from the record's start): {syntax.Message}", ExtractionErrorKind.InvalidJson, syntax);
        }

        // System.Text.Json names the field (its path) but not what it expected: the reader's own error, inside, says that (a number, not a
        // string), and like the path it holds no value of the record. (A passthrough record's reader says it already.)
        string expected = error.InnerException is InvalidOperationException or FormatException && !error.Message.Contains(error.InnerException.Message, StringComparison.Ordinal)
            ? $" ({error.InnerException.Message})"
            : "";
        return new PageShapeException($"{where} does not fit {typeName}: {error.Message}{expected}", ExtractionErrorKind.RecordMismatch, error);
    }

    /// <summary>
    /// Only on the failure path: whether <paramref name="body"/> is one JSON value, well-formed and within <see cref="MaxDepth"/>. A
    /// <see cref="JsonException"/> that <see cref="Parse{T}(ReadOnlyMemory{byte}, PageLayout, RecordReader{T}, IPageSink{T})"/> lets
    /// through for such a body did not come from reading it (records that do not fit are reported as <see cref="PageShapeException"/>s)
    /// but from the sink the records were handed to, so no check costs anything per record.
    /// </summary>
    internal static bool IsWellFormed(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body.StartsWith(Utf8Bom) ? body[Utf8Bom.Length..] : body, ReaderOptions);
        try
        {
            if (!reader.Read())
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void ReadScalar(ref Utf8JsonReader reader, PageLayout layout, int target, ref PageScan scan)
    {
        var token = reader.TokenType;
        switch (target)
        {
            case PageLayout.Cursor:
                scan.Cursor = ReadText(ref reader, layout, target);
                break;
            case PageLayout.NextUrl:
                scan.NextUrl = ReadText(ref reader, layout, target);
                break;
            case PageLayout.HasMore:
                scan.HasMore = token switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False => false,
                    JsonTokenType.Null => null,
                    _ => throw Unexpected(layout, target, "true or false", token),
                };
                break;
            case PageLayout.Total:
                scan.Total = ReadCount(ref reader, layout, target);
                break;
            case PageLayout.TotalPages:
                scan.TotalPages = ReadCount(ref reader, layout, target);
                break;
        }
    }

    private static string? ReadText(ref Utf8JsonReader reader, PageLayout layout, int target) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.Null => null,
        var token => throw Unexpected(layout, target, "a string", token),
    };

    private static long? ReadCount(ref Utf8JsonReader reader, PageLayout layout, int target) => reader.TokenType switch
    {
        JsonTokenType.Number when reader.TryGetInt64(out long n) && n >= 0 => n,
        JsonTokenType.String when long.TryParse(reader.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) => n,
        JsonTokenType.Null => null,
        var token => throw Unexpected(layout, target, "a non-negative whole number", token),
    };

    private static PageShapeException Unexpected(PageLayout layout, int target, string expected, JsonTokenType found)
        => new($"expected {expected} at '{layout.Path(target)}', found {Describe(found)}");

    /// <summary>A token in words, for messages: "an object", "a string", "null".</summary>
    internal static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
