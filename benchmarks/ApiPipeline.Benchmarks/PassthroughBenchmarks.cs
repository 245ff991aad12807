using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using BenchmarkDotNet.Attributes;

namespace ApiPipeline.Benchmarks;

/// <summary>The fields a passthrough pipeline reads from each issue.</summary>
public sealed record IssueKeys([property: Key] long Id, DateTimeOffset UpdatedAt);

[JsonSerializable(typeof(IssueKeys))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
public sealed partial class PassthroughBenchJson : JsonSerializerContext;

/// <summary>
/// Issue 9: one page of 100 records, <c>{"data":[…],"next_cursor":"…"}</c>, parsed for passthrough: each record's bytes captured
/// (compacted) and its key + watermark read, then written as JSONL into a buffer.
/// Runtime: <c>PageParser.Parse</c> with the passthrough record reader (<c>RawRecord&lt;IssueKeys&gt;</c>) + the bytes of each record.
/// Baseline: the same single pass by hand (fields read with <see cref="Utf8JsonReader"/>, bytes copied as they are).
/// Typed: <c>PageParser.Parse</c> into <c>Issue</c> + <c>Utf8JsonWriter</c> re-serialization (what a typed pipeline does per page).
/// </summary>
[RecordsPerOperation(RecordsPerPage)]
public class PassthroughPageBenchmarks
{
    public const int RecordsPerPage = 100;
    private readonly List<RawRecord<IssueKeys>> _raw = new(RecordsPerPage);
    private readonly List<Issue> _typed = new(RecordsPerPage);
    private readonly ArrayBufferWriter<byte> _out = new(128 * 1024);
    private readonly RecordReader<RawRecord<IssueKeys>> _rawReader = RecordReader<RawRecord<IssueKeys>>.For(RawRecord.TypeInfo(PassthroughBenchJson.Default.IssueKeys));
    private readonly RecordReader<Issue> _typedReader = RecordReader<Issue>.For(BenchJson.Default.Issue);
    private Utf8JsonWriter _json = null!;
    private byte[] _page = [];
    private PageLayout _layout = null!;

    [GlobalSetup]
    public void Setup()
    {
        _page = Pages.CursorPage(RecordsPerPage, out _);
        _layout = new PageLayout(new PaginationOptions { Style = Pagination.Cursor, RecordsPath = "data", CursorPath = "next_cursor" });
        _json = new Utf8JsonWriter(_out, new JsonWriterOptions { SkipValidation = true });
        var baseline = Baseline();
        var baselineBytes = _out.WrittenSpan.ToArray();
        var runtime = Runtime();
        if (baseline != runtime || !_out.WrittenSpan.SequenceEqual(baselineBytes) || _raw.Count != RecordsPerPage)
        {
            throw new InvalidOperationException("runtime and baseline disagree");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Passthrough page")]
    public long Baseline()
    {
        _out.ResetWrittenCount();
        var reader = new Utf8JsonReader(_page);
        long check = 0;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    int start = (int)reader.TokenStartIndex;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("id"u8))
                        {
                            reader.Read();
                            check += reader.GetInt64();
                        }
                        else if (reader.ValueTextEquals("updated_at"u8))
                        {
                            reader.Read();
                            check += reader.GetDateTimeOffset().UtcTicks;
                        }
                        else
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }

                    var record = _page.AsSpan(start, (int)reader.BytesConsumed - start);
                    var span = _out.GetSpan(record.Length + 1);
                    record.CopyTo(span);
                    span[record.Length] = (byte)'\n';
                    _out.Advance(record.Length + 1);
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return check;
    }

    [Benchmark]
    [BenchmarkCategory("Passthrough page")]
    public long Runtime()
    {
        _out.ResetWrittenCount();
        _raw.Clear();
        PageParser.Parse(_page, _layout, _rawReader, _raw);
        long check = 0;
        foreach (var record in _raw)
        {
            check += record.Fields.Id + record.Fields.UpdatedAt.UtcTicks;
            var span = _out.GetSpan(record.Json.Length + 1);
            record.Json.Span.CopyTo(span);
            span[record.Json.Length] = (byte)'\n';
            _out.Advance(record.Json.Length + 1);
        }

        return check;
    }

    [Benchmark]
    [BenchmarkCategory("Passthrough page")]
    public long Typed()
    {
        _out.ResetWrittenCount();
        _typed.Clear();
        PageParser.Parse(_page, _layout, _typedReader, _typed);
        long check = 0;
        foreach (var issue in _typed)
        {
            check += issue.Id + issue.UpdatedAt.UtcTicks;
            JsonSerializer.Serialize(_json, issue, BenchJson.Default.Issue);
            _json.Flush();
            _out.GetSpan(1)[0] = (byte)'\n';
            _out.Advance(1);
            _json.Reset();
        }

        return check;
    }
}
