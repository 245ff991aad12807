using System.Buffers;
using ApiPipeline.Baselines;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline.LoadHarness;

/// <summary>
/// The hand-written optimal client of issue 7: <see cref="HttpClient"/> with <see cref="HttpCompletionOption.ResponseHeadersRead"/>,
/// the body read into one pooled buffer, one <see cref="Utf8JsonReader"/> pass per page in which each record is deserialized with
/// <c>JsonSerializer.Deserialize(ref reader, JsonTypeInfo&lt;T&gt;)</c> and immediately re-serialized with a <see cref="Utf8JsonWriter"/>
/// (no list of records), the cursor / total picked up in the same pass, the page's JSONL bytes appended to a <see cref="FileStream"/>,
/// and one fsync at the end. It retries 429 (honouring <c>Retry-After</c>) and 5xx, and paces itself under <c>--rate-limit</c>.
/// </summary>
internal sealed class BaselineClient : IDisposable
{
    private const int MaxAttempts = 8;
    private readonly HttpClient _http;
    private readonly string _baseUrl;
    private readonly int _pageSize;
    private readonly JsonTypeInfo<Issue> _typeInfo = HarnessJson.Default.Issue;
    private readonly ArrayBufferWriter<byte> _out = new(64 * 1024);
    private readonly Utf8JsonWriter _json;
    private readonly double _rateLimit;
    private byte[] _body = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _bodyLength;
    private long _nextSlot;

    public BaselineClient(string baseUrl, int pageSize, double rateLimit)
    {
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        _baseUrl = baseUrl.TrimEnd('/');
        _pageSize = pageSize;
        _rateLimit = rateLimit;
        _json = new Utf8JsonWriter(_out, new JsonWriterOptions { Encoder = _typeInfo.Options.Encoder, SkipValidation = true });
    }

    /// <summary>
    /// The hand-written passthrough baseline (issue 9, <c>--impl rawbaseline</c>): each record's fields the pipeline needs (<c>id</c>,
    /// <c>updated_at</c>) are read by hand in the same <see cref="Utf8JsonReader"/> pass and each record is written as one compact
    /// line by <see cref="HandWrittenPassthrough"/>; nothing is deserialized into or serialized from an <see cref="Issue"/>.
    /// </summary>
    public bool Passthrough { get; init; }

    /// <summary>Sum of the ids and watermark ticks read in passthrough mode, so the reads cannot be optimized away.</summary>
    public long FieldChecksum { get; private set; }

    public long Records { get; private set; }

    public long Pages { get; private set; }

    public long Http429 { get; private set; }

    public long Retries { get; private set; }

    public async Task RunAsync(string scenario, long datasetRecords, string outputDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputDirectory);
        string temp = Path.Combine(outputDirectory, ".part-00001.jsonl.tmp");
        string final = Path.Combine(outputDirectory, "part-00001.jsonl");
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024))
        {
            switch (scenario)
            {
                case "cursor":
                {
                    string? cursor = null;
                    do
                    {
                        string url = _baseUrl + "/cursor?limit=" + Format(_pageSize) + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
                        using var response = await GetAsync(url, cancellationToken).ConfigureAwait(false);
                        cursor = ParseEnvelope(out _).Cursor;
                        Flush(file);
                    }
                    while (!string.IsNullOrEmpty(cursor));
                    break;
                }

                case "offset":
                {
                    long offset = 0;
                    while (true)
                    {
                        string url = _baseUrl + "/offset?offset=" + Format(offset) + "&limit=" + Format(_pageSize);
                        using var response = await GetAsync(url, cancellationToken).ConfigureAwait(false);
                        var (_, total) = ParseEnvelope(out int count);
                        Flush(file);
                        offset += count;
                        if (count == 0 || count < _pageSize || (total is long t && offset >= t))
                        {
                            break;
                        }
                    }

                    break;
                }

                case "link":
                case "since":
                {
                    string? url = scenario == "link"
                        ? _baseUrl + "/issues?per_page=" + Format(_pageSize)
                        : _baseUrl + "/since?since=" + Uri.EscapeDataString(SinceValue(datasetRecords).ToString("O", CultureInfo.InvariantCulture)) + "&per_page=" + Format(_pageSize);
                    while (url is not null)
                    {
                        using var response = await GetAsync(url, cancellationToken).ConfigureAwait(false);
                        ParseArray();
                        Flush(file);
                        url = response.Headers.TryGetValues("Link", out var links) ? NextLink(links) : null;
                    }

                    break;
                }

                default:
                    throw new ArgumentException($"unknown scenario '{scenario}'");
            }

            file.Flush(flushToDisk: true);
        }

        File.Move(temp, final);
    }

    /// <summary>The <c>since</c> every client sends for a run of <paramref name="records"/> records: the newer half of /since.</summary>
    public static DateTimeOffset SinceValue(long records) => Dataset.UpdatedAt(records + 1);

    public void Dispose()
    {
        _http.Dispose();
        _json.Dispose();
        ArrayPool<byte>.Shared.Return(_body);
        _body = [];
    }

    private (string? Cursor, long? Total) ParseEnvelope(out int count)
    {
        var reader = new Utf8JsonReader(_body.AsSpan(0, _bodyLength));
        string? cursor = null;
        long? total = null;
        count = 0;
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException("expected an object");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                count = CopyRecords(ref reader);
            }
            else if (reader.ValueTextEquals("next_cursor"u8))
            {
                reader.Read();
                cursor = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("total"u8))
            {
                reader.Read();
                total = reader.GetInt64();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (cursor, total);
    }

    private int ParseArray()
    {
        var reader = new Utf8JsonReader(_body.AsSpan(0, _bodyLength));
        reader.Read();
        return CopyRecords(ref reader);
    }

    /// <summary>Reads each record of the array the reader is on and writes it as one JSON line into the page's output buffer.</summary>
    private int CopyRecords(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException("expected an array of records");
        }

        int count = 0;
        if (Passthrough)
        {
            var body = _body.AsSpan(0, _bodyLength);
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                FieldChecksum += HandWrittenPassthrough.CopyRecord(ref reader, body, _out);
                count++;
            }

            Records += count;
            Pages++;
            return count;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var issue = JsonSerializer.Deserialize(ref reader, _typeInfo) ?? throw new InvalidDataException("null record");
            JsonSerializer.Serialize(_json, issue, _typeInfo);
            _json.Flush();
            _out.GetSpan(1)[0] = (byte)'\n';
            _out.Advance(1);
            _json.Reset();
            count++;
        }

        Records += count;
        Pages++;
        return count;
    }

    private void Flush(FileStream file)
    {
        file.Write(_out.WrittenSpan);
        _out.ResetWrittenCount();
    }

    private async Task<HttpResponseMessage> GetAsync(string url, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            await PaceAsync(cancellationToken).ConfigureAwait(false);
            var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                await ReadBodyAsync(response.Content, cancellationToken).ConfigureAwait(false);
                return response;
            }

            var status = response.StatusCode;
            var retryAfter = response.Headers.RetryAfter?.Delta;
            response.Dispose();
            bool retryable = status == HttpStatusCode.TooManyRequests || (int)status >= 500;
            if (!retryable || attempt == MaxAttempts)
            {
                throw new HttpRequestException($"GET {url} answered {(int)status}", null, status);
            }

            if (status == HttpStatusCode.TooManyRequests)
            {
                Http429++;
            }

            Retries++;
            var delay = retryAfter ?? TimeSpan.FromMilliseconds(Math.Min(1000, 10 << attempt));
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Client-side pacing at the server's limit: one request per 1/R seconds.</summary>
    private async ValueTask PaceAsync(CancellationToken cancellationToken)
    {
        if (_rateLimit <= 0)
        {
            return;
        }

        long interval = (long)(System.Diagnostics.Stopwatch.Frequency / _rateLimit);
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        long slot = Math.Max(now, _nextSlot);
        _nextSlot = slot + interval;
        if (slot > now)
        {
            await Task.Delay(System.Diagnostics.Stopwatch.GetElapsedTime(now, slot), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        _bodyLength = 0;
        if (content.Headers.ContentLength is long size && size > _body.Length)
        {
            Grow((int)size);
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            while (true)
            {
                if (_bodyLength == _body.Length)
                {
                    Grow(_body.Length * 2);
                }

                int read = await stream.ReadAsync(_body.AsMemory(_bodyLength), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                _bodyLength += read;
            }
        }
    }

    private void Grow(int size)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        _body.AsSpan(0, _bodyLength).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_body);
        _body = bigger;
    }

    /// <summary>The <c>rel="next"</c> target of GitHub-style Link headers: <c>&lt;url&gt;; rel="next", &lt;url&gt;; rel="last"</c>.</summary>
    private static string? NextLink(IEnumerable<string> values)
    {
        foreach (var value in values)
        {
            var rest = value.AsSpan();
            while (true)
            {
                int open = rest.IndexOf('<');
                int close = rest.IndexOf('>');
                if (open < 0 || close < open)
                {
                    break;
                }

                var target = rest[(open + 1)..close];
                rest = rest[(close + 1)..];
                int comma = rest.IndexOf('<');
                var parameters = comma < 0 ? rest : rest[..comma];
                if (parameters.Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase))
                {
                    return target.ToString();
                }
            }
        }

        return null;
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
