using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ApiPipeline.Baselines;
using BenchmarkDotNet.Attributes;

namespace ApiPipeline.Benchmarks;

/// <summary>The key and watermark of an issue, for the benchmark's sink.</summary>
public interface IIssueKeys
{
    long Id { get; }

    DateTimeOffset UpdatedAt { get; }
}

/// <summary>The fields a passthrough pipeline reads from each issue.</summary>
public sealed record IssueKeys([property: Key] long Id, DateTimeOffset UpdatedAt) : IIssueKeys;

/// <summary>The same fields as a struct: nothing is allocated per record.</summary>
public record struct IssueKeyStruct([property: Key] long Id, DateTimeOffset UpdatedAt) : IIssueKeys;

[JsonSerializable(typeof(IssueKeys))]
[JsonSerializable(typeof(IssueKeyStruct))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
public sealed partial class PassthroughBenchJson : JsonSerializerContext;

/// <summary>A passthrough extractor of these pages; the benchmark uses only its generated record metadata (with the fields reader).</summary>
[Extractor("http://localhost", "/issues", Json = typeof(PassthroughBenchJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next_cursor")]
public sealed partial class RawBenchIssues : IExtractor<NoInput, RawRecord<IssueKeys>>;

/// <summary>The same extractor with the fields as a struct.</summary>
[Extractor("http://localhost", "/issues", Json = typeof(PassthroughBenchJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next_cursor")]
public sealed partial class RawBenchStructIssues : IExtractor<NoInput, RawRecord<IssueKeyStruct>>;

/// <summary>
/// Issue 9: one page of 100 records, <c>{"data":[…],"next_cursor":"…"}</c>, parsed for passthrough: each record's bytes captured
/// (compacted) and its key + watermark read, then written as JSONL into a buffer.
/// Generated: <c>PageParser.Parse</c> with the passthrough record reader and the extractor's generated fields reader
/// (<see cref="RawBenchIssues"/>), each record handed to a page sink that copies its bytes, as a pipeline streams them into its output
/// (the reader reuses its buffer: nothing keeps the records).
/// GeneratedStruct: the same with the fields as a record struct (<see cref="IssueKeyStruct"/>), so nothing is allocated per record.
/// Runtime: the same without a generated reader (<c>RawRecord.TypeInfo(fieldsTypeInfo)</c>): fields copied into a scratch object and
/// deserialized with the context's metadata.
/// Baseline: the same single pass by hand, each record through <see cref="HandWrittenPassthrough"/> (as in the harness's hand-written
/// passthrough client).
/// Typed: <c>PageParser.Parse</c> into <c>Issue</c>, each record re-serialized with <c>Utf8JsonWriter</c> by the sink (a typed pipeline's page).
/// </summary>
[RecordsPerOperation(RecordsPerPage)]
public class PassthroughPageBenchmarks
{
    public const int RecordsPerPage = 100;
    private readonly ArrayBufferWriter<byte> _out = new(128 * 1024);
    private readonly RecordReader<RawRecord<IssueKeys>> _generatedReader = RecordReader<RawRecord<IssueKeys>>.For(RawBenchIssues.Definition.RecordTypeInfo());
    private readonly RecordReader<RawRecord<IssueKeys>> _rawReader = RecordReader<RawRecord<IssueKeys>>.For(RawRecord.TypeInfo(PassthroughBenchJson.Default.IssueKeys));
    private readonly RecordReader<RawRecord<IssueKeyStruct>> _structReader = RecordReader<RawRecord<IssueKeyStruct>>.For(RawBenchStructIssues.Definition.RecordTypeInfo());
    private readonly RecordReader<Issue> _typedReader = RecordReader<Issue>.For(BenchJson.Default.Issue);
    private RawSink<IssueKeys> _raw = null!;
    private RawSink<IssueKeyStruct> _rawStruct = null!;
    private TypedSink _typed = null!;
    private byte[] _page = [];
    private PageLayout _layout = null!;

    [GlobalSetup]
    public void Setup()
    {
        _page = Pages.CursorPage(RecordsPerPage, out _);
        _layout = new PageLayout(new PaginationOptions { Style = Pagination.Cursor, RecordsPath = "data", CursorPath = "next_cursor" });
        _rawReader.RecordsKept = false;
        _generatedReader.RecordsKept = false;
        _structReader.RecordsKept = false;
        _raw = new RawSink<IssueKeys>(_out);
        _rawStruct = new RawSink<IssueKeyStruct>(_out);
        _typed = new TypedSink(_out, new Utf8JsonWriter(_out, new JsonWriterOptions { SkipValidation = true }));
        var baseline = Baseline();
        var baselineBytes = _out.WrittenSpan.ToArray();
        var runtime = Runtime();
        if (baseline != runtime || !_out.WrittenSpan.SequenceEqual(baselineBytes) || _raw.Count != RecordsPerPage)
        {
            throw new InvalidOperationException("runtime and baseline disagree");
        }

        var generated = Generated();
        if (baseline != generated || !_out.WrittenSpan.SequenceEqual(baselineBytes) || _raw.Count != RecordsPerPage
            || ((RawRecordConverter<IssueKeys>)RawBenchIssues.Definition.RecordTypeInfo().Converter).Reader is null)
        {
            throw new InvalidOperationException("the generated reader is not used, or it and the baseline disagree");
        }

        var generatedStruct = GeneratedStruct();
        if (baseline != generatedStruct || !_out.WrittenSpan.SequenceEqual(baselineBytes) || _rawStruct.Count != RecordsPerPage
            || ((RawRecordConverter<IssueKeyStruct>)RawBenchStructIssues.Definition.RecordTypeInfo().Converter).Reader is null)
        {
            throw new InvalidOperationException("the generated struct reader is not used, or it and the baseline disagree");
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
                    check += HandWrittenPassthrough.CopyRecord(ref reader, _page, _out);
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
    public long Generated() => Passthrough(_generatedReader);

    [Benchmark]
    [BenchmarkCategory("Passthrough page")]
    public long GeneratedStruct() => Passthrough(_structReader, _rawStruct);

    [Benchmark]
    [BenchmarkCategory("Passthrough page")]
    public long Runtime() => Passthrough(_rawReader);

    private long Passthrough(RecordReader<RawRecord<IssueKeys>> reader) => Passthrough(reader, _raw);

    private long Passthrough<TKeys>(RecordReader<RawRecord<TKeys>> reader, RawSink<TKeys> sink)
        where TKeys : IIssueKeys
    {
        _out.ResetWrittenCount();
        sink.BeginPage();
        PageParser.Parse(_page, _layout, reader, sink);
        return sink.Check;
    }

    [Benchmark]
    [BenchmarkCategory("Passthrough page")]
    public long Typed()
    {
        _out.ResetWrittenCount();
        _typed.BeginPage();
        PageParser.Parse(_page, _layout, _typedReader, _typed);
        return _typed.Check;
    }

    /// <summary>Copies each raw record's bytes and a newline, as <c>JsonlOutput</c> does into its file.</summary>
    private sealed class RawSink<TKeys>(ArrayBufferWriter<byte> output) : IPageSink<RawRecord<TKeys>>
        where TKeys : IIssueKeys
    {
        public long Check { get; private set; }

        public int Count { get; private set; }

        public void BeginPage() => (Check, Count) = (0, 0);

        public void Add(RawRecord<TKeys> record)
        {
            Check += record.Fields.Id + record.Fields.UpdatedAt.UtcTicks;
            var span = output.GetSpan(record.Json.Length + 1);
            record.Json.Span.CopyTo(span);
            span[record.Json.Length] = (byte)'\n';
            output.Advance(record.Json.Length + 1);
            Count++;
        }

        public ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default) => default;

        public void AbortPage()
        {
        }
    }

    /// <summary>Re-serializes each record and a newline, as <c>JsonlOutput</c> does into its file.</summary>
    private sealed class TypedSink(ArrayBufferWriter<byte> output, Utf8JsonWriter json) : IPageSink<Issue>
    {
        public long Check { get; private set; }

        public void BeginPage() => Check = 0;

        public void Add(Issue issue)
        {
            Check += issue.Id + issue.UpdatedAt.UtcTicks;
            JsonSerializer.Serialize(json, issue, BenchJson.Default.Issue);
            json.Flush();
            output.GetSpan(1)[0] = (byte)'\n';
            output.Advance(1);
            json.Reset();
        }

        public ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default) => default;

        public void AbortPage()
        {
        }
    }
}
