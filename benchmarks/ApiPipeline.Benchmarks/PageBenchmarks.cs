using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BenchmarkDotNet.Attributes;

namespace ApiPipeline.Benchmarks;

/// <summary>
/// One page of 100 records, <c>{"data":[…],"next_cursor":"…"}</c> (cursor after the records): envelope parse + cursor extraction.
/// Runtime: the engine's <c>PageParser</c> (one Utf8JsonReader pass, each record through <c>JsonSerializer.Deserialize(ref reader, JsonTypeInfo)</c>).
/// Baseline: the same pass written by hand, records into the same reused list.
/// </summary>
[RecordsPerOperation(RecordsPerPage)]
public class PageParseBenchmarks
{
    public const int RecordsPerPage = 100;
    private readonly List<Issue> _records = new(RecordsPerPage);
    private readonly JsonTypeInfo<Issue> _typeInfo = BenchJson.Default.Issue;
    private byte[] _page = [];
    private PageLayout _layout = null!;

    [GlobalSetup]
    public void Setup()
    {
        _page = Pages.CursorPage(RecordsPerPage, out _);
        _layout = new PageLayout(new PaginationOptions { Style = Pagination.Cursor, RecordsPath = "data", CursorPath = "next_cursor" });
        if (Runtime() != Baseline() || _records.Count != RecordsPerPage)
        {
            throw new InvalidOperationException("runtime and baseline disagree");
        }
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Parse page + cursor")]
    public string? Baseline()
    {
        _records.Clear();
        var reader = new Utf8JsonReader(_page);
        return ReadCursorPage(ref reader, _records, _typeInfo);
    }

    [Benchmark]
    [BenchmarkCategory("Parse page + cursor")]
    public string? Runtime()
    {
        _records.Clear();
        return PageParser.Parse(_page, _layout, _typeInfo, _records).Cursor;
    }

    /// <summary>The hand-written pass over <c>{"data":[…],"next_cursor":"…"}</c>: records into <paramref name="records"/>, the cursor returned.</summary>
    internal static string? ReadCursorPage(ref Utf8JsonReader reader, List<Issue> records, JsonTypeInfo<Issue> typeInfo)
    {
        string? cursor = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    records.Add(JsonSerializer.Deserialize(ref reader, typeInfo)!);
                }
            }
            else if (reader.ValueTextEquals("next_cursor"u8))
            {
                reader.Read();
                cursor = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return cursor;
    }
}

/// <summary>
/// One page of 100 records through everything the engine does per page except the socket: envelope parse, pagination (next URL,
/// loop guard), the page object and checkpoint, and the JSONL writer (a real file, replaced every <see cref="Scratch.RotateEvery"/>
/// pages). Each operation sees a new cursor, as in a real run.
/// Runtime: the steps of <c>HttpExtractor.ExtractIntoAsync</c> with a <c>JsonlOutput</c> as the page sink (each record serialized
/// into the file as it is parsed).
/// Baseline: the load harness's hand-written client: records deserialized and re-serialized in one pass, no page object.
/// </summary>
[RecordsPerOperation(PageParseBenchmarks.RecordsPerPage)]
public class PageThroughPipelineBenchmarks
{
    private const int Records = PageParseBenchmarks.RecordsPerPage;
    private readonly JsonTypeInfo<Issue> _typeInfo = BenchJson.Default.Issue;
    private readonly RecordReader<Issue> _reader = RecordReader<Issue>.For(BenchJson.Default.Issue);
    private readonly ArrayBufferWriter<byte> _out = new(64 * 1024);
    private readonly System.Net.Http.Headers.HttpResponseHeaders _headers = new HttpResponseMessage().Headers;
    private byte[] _page = [];
    private int _cursorAt;
    private long _counter;
    private PageLayout _layout = null!;
    private PaginationOptions _pagination = null!;
    private Paginator _paginator = null!;
    private Uri _url = null!;
    private string _dir = "";
    private JsonlOutput<Issue>? _output;
    private FileStream? _file;
    private Utf8JsonWriter _json = null!;
    private string _baselinePrefix = "";

    [GlobalSetup]
    public void Setup()
    {
        _page = Pages.CursorPage(Records, out _cursorAt);
        _pagination = new PaginationOptions { Style = Pagination.Cursor, RecordsPath = "data", CursorPath = "next_cursor", PageSize = Records };
        _layout = new PageLayout(_pagination);
        _paginator = new Paginator(_pagination);
        _url = new Uri("http://127.0.0.1:5000/cursor?limit=100");
        _baselinePrefix = "http://127.0.0.1:5000/cursor?limit=100&cursor=";
        _dir = Scratch.NewDirectory("page-through");
        _json = new Utf8JsonWriter(_out, new JsonWriterOptions { Encoder = _typeInfo.Options.Encoder, SkipValidation = true });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_output is not null)
        {
            await _output.DisposeAsync();
        }

        _file?.Dispose();
        _json.Dispose();
        Scratch.Delete(_dir);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Page: parse + paginate + JSONL")]
    public Uri Baseline()
    {
        long n = ++_counter;
        Pages.PatchCursor(_page, _cursorAt, n);
        if (_file is null || n % Scratch.RotateEvery == 0)
        {
            RotateBaseline();
        }

        var reader = new Utf8JsonReader(_page);
        string? cursor = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var issue = JsonSerializer.Deserialize(ref reader, _typeInfo)!;
                    JsonSerializer.Serialize(_json, issue, _typeInfo);
                    _json.Flush();
                    _out.GetSpan(1)[0] = (byte)'\n';
                    _out.Advance(1);
                    _json.Reset();
                }
            }
            else if (reader.ValueTextEquals("next_cursor"u8))
            {
                reader.Read();
                cursor = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        _file!.Write(_out.WrittenSpan);
        _out.ResetWrittenCount();
        return new Uri(_baselinePrefix + Uri.EscapeDataString(cursor!));
    }

    [Benchmark]
    [BenchmarkCategory("Page: parse + paginate + JSONL")]
    public async ValueTask<Uri> Runtime()
    {
        long n = ++_counter;
        Pages.PatchCursor(_page, _cursorAt, n);
        if (_output is null || n % Scratch.RotateEvery == 0)
        {
            await RotateRuntimeAsync();
        }

        // HttpExtractor.ExtractIntoAsync, per page (minus the HTTP exchange), streaming into the output:
        IPageSink<Issue> sink = _output!;
        string shownUrl = UrlRedactor.Redact(_url);
        sink.BeginPage();
        var scan = PageParser.Parse(_page, _layout, _reader, sink);
        var next = _paginator.Next(_url, _url, scan, _headers, (int)n, Records, n * Records, _page)!;
        var checkpoint = new PageCheckpoint(next.AbsoluteUri, (int)n + 1, n * Records);
        await sink.EndPageAsync(new PageInfo((int)n, shownUrl, Records, _page.Length, checkpoint) { Attempts = 1 });
        _url = next;
        return next;
    }

    private void RotateBaseline()
    {
        _file?.Dispose();
        string path = Path.Combine(_dir, "baseline.jsonl");
        File.Delete(path);
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024);
    }

    private async ValueTask RotateRuntimeAsync()
    {
        if (_output is not null)
        {
            await _output.DisposeAsync(); // deletes the uncommitted temporary file
        }

        _output = new JsonlOutput<Issue>(_typeInfo, new JsonlOutputOptions<Issue> { Directory = _dir, Name = "runtime" });
    }
}

/// <summary>JSONL writing of one page of 100 records into a file. Runtime: <c>JsonlOutput.WriteAsync</c>. Baseline: Utf8JsonWriter + '\n' into a buffer, one FileStream.Write per page.</summary>
[RecordsPerOperation(PageParseBenchmarks.RecordsPerPage)]
public class JsonlWriteBenchmarks
{
    private readonly JsonTypeInfo<Issue> _typeInfo = BenchJson.Default.Issue;
    private readonly ArrayBufferWriter<byte> _out = new(64 * 1024);
    private Issue[] _records = [];
    private long _counter;
    private string _dir = "";
    private JsonlOutput<Issue>? _output;
    private FileStream? _file;
    private Utf8JsonWriter _json = null!;

    [GlobalSetup]
    public void Setup()
    {
        _records = Pages.Records(PageParseBenchmarks.RecordsPerPage);
        _dir = Scratch.NewDirectory("jsonl");
        _json = new Utf8JsonWriter(_out, new JsonWriterOptions { Encoder = _typeInfo.Options.Encoder, SkipValidation = true });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_output is not null)
        {
            await _output.DisposeAsync();
        }

        _file?.Dispose();
        _json.Dispose();
        Scratch.Delete(_dir);
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("JSONL write of a page")]
    public void Baseline()
    {
        if (_file is null || ++_counter % Scratch.RotateEvery == 0)
        {
            _file?.Dispose();
            string path = Path.Combine(_dir, "baseline.jsonl");
            File.Delete(path);
            _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024);
        }

        foreach (var issue in _records)
        {
            JsonSerializer.Serialize(_json, issue, _typeInfo);
            _json.Flush();
            _out.GetSpan(1)[0] = (byte)'\n';
            _out.Advance(1);
            _json.Reset();
        }

        _file.Write(_out.WrittenSpan);
        _out.ResetWrittenCount();
    }

    [Benchmark]
    [BenchmarkCategory("JSONL write of a page")]
    public async ValueTask Runtime()
    {
        if (_output is null || ++_counter % Scratch.RotateEvery == 0)
        {
            if (_output is not null)
            {
                await _output.DisposeAsync();
            }

            _output = new JsonlOutput<Issue>(_typeInfo, new JsonlOutputOptions<Issue> { Directory = _dir, Name = "runtime" });
        }

        await _output.WriteAsync(_records);
    }
}

/// <summary>
/// Next-request URLs, per page, and the first request's relative URL, per run.
/// Runtime: <c>QueryString.Set</c> (what the paginator does for a cursor) and <c>UrlRedactor.Redact</c> (done for every page, for errors
/// and <c>Page.Url</c>); <c>UrlBuilder</c> as the generator emits it. Baseline: string concatenation + <c>new Uri</c>.
/// </summary>
public class UrlBenchmarks
{
    private readonly Uri _current = new("http://127.0.0.1:5000/repos/octo-org/api-pipeline/issues?per_page=100&cursor=c000000000100");
    private readonly string _cursor = "c000000000200";
    private readonly string _owner = "octo-org";
    private readonly string _repo = "api-pipeline";
    private readonly DateTimeOffset? _since = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Next-page URL (per page)")]
    public Uri NextUrl_Baseline() => new("http://127.0.0.1:5000/repos/octo-org/api-pipeline/issues?per_page=100&cursor=" + Uri.EscapeDataString(_cursor));

    [Benchmark]
    [BenchmarkCategory("Next-page URL (per page)")]
    public Uri NextUrl_Runtime() => QueryString.Set(_current, "cursor", _cursor);

    [Benchmark]
    [BenchmarkCategory("Next-page URL (per page)")]
    public string Redact_Runtime() => UrlRedactor.Redact(_current);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("First URL (per run)")]
    public string FirstUrl_Baseline()
        => string.Concat("/repos/", Uri.EscapeDataString(_owner), "/", Uri.EscapeDataString(_repo), "/issues?since=",
            Uri.EscapeDataString(_since!.Value.ToString("O", CultureInfo.InvariantCulture)));

    /// <summary>Exactly what the generator emits for <c>/repos/{owner}/{repo}/issues</c> with a <c>[Query] DateTimeOffset? Since</c>.</summary>
    [Benchmark]
    [BenchmarkCategory("First URL (per run)")]
    public string FirstUrl_Runtime()
    {
        var url = new UrlBuilder();
        url.Literal("/repos/");
        url.PathValue(_owner, "owner");
        url.Literal("/");
        url.PathValue(_repo, "repo");
        url.Literal("/issues");
        url.Query("since", _since);
        return url.ToString();
    }
}
