using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BenchmarkDotNet.Attributes;

namespace ApiPipeline.Benchmarks;

/// <summary>
/// Why the engine reads a response into one pooled buffer rather than through System.IO.Pipelines: one page of 100 records that
/// arrives in 16 KiB reads, as from a socket, turned into records and the cursor.
/// Runtime (the bar): the body copied into one contiguous buffer that is reused from page to page (what <c>ResponseBuffer.ReadAsync</c>
/// does), then <c>PageParser</c> over one span.
/// Pipelines: a <see cref="PipeReader"/> over the same stream, read to the end without copying, then a <see cref="Utf8JsonReader"/>
/// over the multi-segment <see cref="ReadOnlySequence{T}"/>, each record through <c>JsonSerializer.Deserialize(ref reader)</c>.
/// </summary>
[RecordsPerOperation(RecordsPerPage)]
public class BodyReadBenchmarks
{
    private const int RecordsPerPage = 100;
    private const int ReadSize = 16 * 1024;
    private readonly List<Issue> _records = new(RecordsPerPage);
    private readonly JsonTypeInfo<Issue> _typeInfo = BenchJson.Default.Issue;
    private byte[] _page = [];
    private byte[] _buffer = [];
    private PageLayout _layout = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _page = Pages.CursorPage(RecordsPerPage, out _);
        // Sized from Content-Length, as the engine's buffer is: no copy from a growing buffer.
        _buffer = ArrayPool<byte>.Shared.Rent(_page.Length + 1);
        _layout = new PageLayout(new PaginationOptions { Style = Pagination.Cursor, RecordsPath = "data", CursorPath = "next_cursor" });
        string? runtime = await Runtime();
        string fromBuffer = Json();
        string? pipelines = await Pipelines();
        if (runtime is null || runtime != pipelines || _records.Count != RecordsPerPage || fromBuffer != Json())
        {
            throw new InvalidOperationException("the two ways disagree");
        }
    }

    private string Json() => string.Join('\n', _records.Select(record => JsonSerializer.Serialize(record, _typeInfo)));

    [GlobalCleanup]
    public void Cleanup() => ArrayPool<byte>.Shared.Return(_buffer);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Body in 16 KiB reads -> records + cursor")]
    public async Task<string?> Runtime()
    {
        var stream = new ChunkedStream(_page, ReadSize);
        int length = 0;
        int read;
        while ((read = await stream.ReadAsync(_buffer.AsMemory(length))) > 0)
        {
            length += read;
        }

        _records.Clear();
        return PageParser.Parse(_buffer.AsMemory(0, length), _layout, _typeInfo, _records).Cursor;
    }

    [Benchmark]
    [BenchmarkCategory("Body in 16 KiB reads -> records + cursor")]
    public async Task<string?> Pipelines()
    {
        var reader = PipeReader.Create(new ChunkedStream(_page, ReadSize), new StreamPipeReaderOptions(bufferSize: ReadSize));
        var result = await reader.ReadAsync();
        while (!result.IsCompleted)
        {
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await reader.ReadAsync();
        }

        _records.Clear();
        string? cursor = Parse(result.Buffer);
        reader.AdvanceTo(result.Buffer.End);
        await reader.CompleteAsync();
        return cursor;
    }

    private string? Parse(ReadOnlySequence<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        return PageParseBenchmarks.ReadCursorPage(ref reader, _records, _typeInfo);
    }

    /// <summary>A response body that hands out at most <c>chunk</c> bytes per read, completing at once, as a socket with data waiting does.</summary>
    private sealed class ChunkedStream(byte[] body, int chunk) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(chunk, buffer.Length), body.Length - _position);
            body.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
