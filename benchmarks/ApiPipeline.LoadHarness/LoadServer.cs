using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ApiPipeline.LoadHarness;

/// <summary>Settings of the <see cref="LoadServer"/>.</summary>
public sealed record LoadServerOptions
{
    /// <summary>Records behind <c>/cursor</c>, <c>/offset</c> and <c>/issues</c>; <c>/since</c> holds twice as many and a client asks for the newer half.</summary>
    public long Records { get; init; } = 100_000;

    /// <summary>Added to every response (0: none).</summary>
    public int LatencyMs { get; init; }

    /// <summary>Requests per second the server accepts; above that it answers 429 with <c>Retry-After</c> (0: no limit).</summary>
    public double RateLimit { get; init; }

    /// <summary>Every Nth request is answered 503 (0: never).</summary>
    public int FailEvery { get; init; }

    /// <summary>Pages pretty-printed (indented, one property per line) instead of compact: clients that land records as sent must compact them.</summary>
    public bool Pretty { get; init; }

    /// <summary>The port; 0 takes a free one.</summary>
    public int Port { get; init; }
}

/// <summary>
/// A loopback Kestrel API that serves GitHub-issue-like records (~540 bytes each) from PRE-SERIALIZED pages: the bytes of a page of
/// <c>k</c> records are built once per endpoint and page shape and cached; a request copies them and patches only the fixed-width digits
/// that differ per record (id, number, URL, timestamps) and the cursor, so the server costs a memcpy per page and its memory stays
/// flat however many records a scenario serves.
/// <list type="bullet">
/// <item><c>GET /cursor?limit=&amp;cursor=</c>: <c>{"data":[…],"next_cursor":"c000000000100"}</c>, <c>null</c> on the last page.</item>
/// <item><c>GET /offset?offset=&amp;limit=</c>: <c>{"total":N,"data":[…]}</c>.</item>
/// <item><c>GET /issues?per_page=&amp;page=</c>: <c>[…]</c> with GitHub's <c>Link: &lt;…&gt;; rel="next", &lt;…&gt;; rel="last"</c>.</item>
/// <item><c>GET /since?since=&amp;per_page=&amp;page=</c>: issues updated at or after <c>since</c> (records 1..2N, record n updated at
/// <see cref="Dataset.Epoch"/> + n s), Link header pages.</item>
/// </list>
/// </summary>
public sealed class LoadServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LoadServerOptions _options;
    private readonly ConcurrentDictionary<(PageKind Kind, int Count, bool HasNext), PageTemplate> _templates = new();
    private readonly Lock _bucketLock = new();
    private double _tokens;
    private long _lastRefill;
    private long _requests;
    private long _rejected429;
    private long _injected5xx;

    private LoadServer(WebApplication app, LoadServerOptions options)
    {
        _app = app;
        _options = options;
        _tokens = BucketCapacity;
        _lastRefill = System.Diagnostics.Stopwatch.GetTimestamp();
    }

    private enum PageKind
    {
        CursorEnvelope,
        OffsetEnvelope,
        Array,
    }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Requests served.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests answered 429 by the rate limit.</summary>
    public long Rejected429 => Interlocked.Read(ref _rejected429);

    /// <summary>Requests answered 503 on purpose.</summary>
    public long Injected5xx => Interlocked.Read(ref _injected5xx);

    private double BucketCapacity => Math.Max(1, _options.RateLimit / 10); // 100 ms of burst

    /// <summary>Starts the server on 127.0.0.1.</summary>
    public static async Task<LoadServer> StartAsync(LoadServerOptions options)
    {
        // No configuration files, so no file watcher on the working directory: with one, every write of a client below it
        // woke the server (docs/performance.md, Finding 11).
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        var server = new LoadServer(app, options);
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    /// <summary>Builds (and caches) the pages a scenario will serve, so that building them is not timed.</summary>
    public void Warm(int pageSize)
    {
        foreach (var kind in Enum.GetValues<PageKind>())
        {
            GetTemplate(kind, pageSize, hasNext: true);
            GetTemplate(kind, pageSize, hasNext: false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        long n = Interlocked.Increment(ref _requests);
        if (_options.LatencyMs > 0)
        {
            await Task.Delay(_options.LatencyMs).ConfigureAwait(false);
        }

        var response = context.Response;
        if (_options.FailEvery > 0 && n % _options.FailEvery == 0)
        {
            Interlocked.Increment(ref _injected5xx);
            await Plain(response, StatusCodes.Status503ServiceUnavailable, "{\"message\":\"injected failure\"}").ConfigureAwait(false);
            return;
        }

        if (_options.RateLimit > 0 && !TryTakeToken(out double waitSeconds))
        {
            Interlocked.Increment(ref _rejected429);
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(waitSeconds)).ToString(CultureInfo.InvariantCulture);
            await Plain(response, StatusCodes.Status429TooManyRequests, "{\"message\":\"rate limit exceeded\"}").ConfigureAwait(false);
            return;
        }

        var query = context.Request.Query;
        switch (context.Request.Path.Value)
        {
            case "/cursor":
            {
                int limit = Math.Clamp(Int(query["limit"], 100), 1, 10_000);
                long start = 0;
                string? cursor = query["cursor"];
                if (!string.IsNullOrEmpty(cursor) && (cursor[0] != 'c' || !long.TryParse(cursor.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out start) || start > _options.Records))
                {
                    await Plain(response, StatusCodes.Status400BadRequest, "{\"message\":\"invalid cursor\"}").ConfigureAwait(false);
                    return;
                }

                int count = (int)Math.Min(limit, _options.Records - start);
                bool hasNext = start + count < _options.Records;
                await SendAsync(response, GetTemplate(PageKind.CursorEnvelope, count, hasNext), start + 1, cursor: start + count).ConfigureAwait(false);
                return;
            }

            case "/offset":
            {
                int limit = Math.Clamp(Int(query["limit"], 100), 1, 10_000);
                long offset = Math.Max(0, Long(query["offset"], 0));
                int count = (int)Math.Clamp(_options.Records - offset, 0, limit);
                await SendAsync(response, GetTemplate(PageKind.OffsetEnvelope, count, hasNext: false), offset + 1, cursor: 0).ConfigureAwait(false);
                return;
            }

            case "/issues":
            {
                int perPage = Math.Clamp(Int(query["per_page"], 30), 1, 10_000);
                long page = Math.Max(1, Long(query["page"], 1));
                await SendArrayPageAsync(context, "/issues?", first: 1, last: _options.Records, perPage, page).ConfigureAwait(false);
                return;
            }

            case "/since":
            {
                int perPage = Math.Clamp(Int(query["per_page"], 30), 1, 10_000);
                long page = Math.Max(1, Long(query["page"], 1));
                long first = 1;
                string? since = query["since"];
                if (!string.IsNullOrEmpty(since))
                {
                    if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var sinceTime))
                    {
                        await Plain(response, StatusCodes.Status400BadRequest, "{\"message\":\"invalid since\"}").ConfigureAwait(false);
                        return;
                    }

                    first = Math.Max(1, (long)Math.Ceiling((sinceTime - Dataset.Epoch).TotalSeconds));
                }

                string prefix = "/since?since=" + Uri.EscapeDataString(since ?? "") + "&";
                await SendArrayPageAsync(context, prefix, first, last: 2 * _options.Records, perPage, page).ConfigureAwait(false);
                return;
            }

            default:
                await Plain(response, StatusCodes.Status404NotFound, "{\"message\":\"Not Found\"}").ConfigureAwait(false);
                return;
        }
    }

    private Task SendArrayPageAsync(HttpContext context, string pathAndQueryPrefix, long first, long last, int perPage, long page)
    {
        long available = Math.Max(0, last - first + 1);
        long lastPage = Math.Max(1, (available + perPage - 1) / perPage);
        long start = first + ((page - 1) * perPage);
        int count = (int)Math.Clamp(last - start + 1, 0, perPage);
        if (page < lastPage)
        {
            string self = BaseUrl + pathAndQueryPrefix + "per_page=" + perPage.ToString(CultureInfo.InvariantCulture) + "&page=";
            context.Response.Headers["Link"] = string.Concat(
                "<", self, (page + 1).ToString(CultureInfo.InvariantCulture), ">; rel=\"next\", <",
                self, lastPage.ToString(CultureInfo.InvariantCulture), ">; rel=\"last\"");
        }

        return SendAsync(context.Response, GetTemplate(PageKind.Array, count, hasNext: false), start, cursor: 0);
    }

    private static async Task SendAsync(HttpResponse response, PageTemplate template, long firstRecord, long cursor)
    {
        int length = template.Bytes.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            template.Render(buffer, firstRecord, cursor);
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = length;
            await response.Body.WriteAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Task Plain(HttpResponse response, int status, string body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        return response.WriteAsync(body);
    }

    private bool TryTakeToken(out double waitSeconds)
    {
        lock (_bucketLock)
        {
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            _tokens = Math.Min(BucketCapacity, _tokens + (System.Diagnostics.Stopwatch.GetElapsedTime(_lastRefill, now).TotalSeconds * _options.RateLimit));
            _lastRefill = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                waitSeconds = 0;
                return true;
            }

            waitSeconds = (1 - _tokens) / _options.RateLimit;
            return false;
        }
    }

    private PageTemplate GetTemplate(PageKind kind, int count, bool hasNext)
        => _templates.GetOrAdd((kind, count, hasNext), static (key, options) => PageTemplate.Build(key.Kind, key.Count, key.HasNext, options.Records, options.Pretty), _options);

    private static int Int(string? text, int fallback) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : fallback;

    private static long Long(string? text, long fallback) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : fallback;

    /// <summary>The serialized bytes of one page shape, with the offsets of the per-record digits to patch.</summary>
    private sealed class PageTemplate
    {
        private const int IdDigits = 10;
        private const int NumberDigits = 8;
        private const int CursorDigits = 12;
        private const int DateChars = 25; // 2026-01-01T00:00:00+00:00

        private PageTemplate(byte[] bytes, int[] ids, int[] numbers, int[] urls, int[] created, int[] updated, int cursor)
        {
            Bytes = bytes;
            _ids = ids;
            _numbers = numbers;
            _urls = urls;
            _created = created;
            _updated = updated;
            _cursor = cursor;
        }

        private readonly int[] _ids;
        private readonly int[] _numbers;
        private readonly int[] _urls;
        private readonly int[] _created;
        private readonly int[] _updated;
        private readonly int _cursor;

        public byte[] Bytes { get; }

        public static PageTemplate Build(PageKind kind, int count, bool hasNext, long total, bool pretty)
        {
            var buffer = new ArrayBufferWriter<byte>(Math.Max(1024, count * (pretty ? 1200 : 600)));
            // Indentation goes before each token, so the end of a value just written is still where its digits end.
            using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = pretty });
            int End() => (int)(json.BytesCommitted + json.BytesPending);
            int[] ids = new int[count], numbers = new int[count], urls = new int[count], created = new int[count], updated = new int[count];
            int cursor = -1;

            if (kind == PageKind.OffsetEnvelope)
            {
                json.WriteStartObject();
                json.WriteNumber("total", total);
                json.WriteStartArray("data");
            }
            else if (kind == PageKind.CursorEnvelope)
            {
                json.WriteStartObject();
                json.WriteStartArray("data");
            }
            else
            {
                json.WriteStartArray();
            }

            for (int i = 0; i < count; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("id", Dataset.IdOf(0));
                ids[i] = End() - IdDigits;
                json.WriteNumber("number", Dataset.NumberOf(0));
                numbers[i] = End() - NumberDigits;
                json.WriteString("title", Dataset.Titles[i % Dataset.Titles.Length]);
                json.WriteString("state", i % 3 == 0 ? "closed" : "open");
                json.WriteStartObject("user");
                json.WriteString("login", Dataset.Users[i % Dataset.Users.Length]);
                json.WriteNumber("id", 5_000_000 + (i % Dataset.Users.Length));
                json.WriteBoolean("site_admin", i % 17 == 0);
                json.WriteEndObject();
                json.WriteStartArray("labels");
                for (int l = 0; l < 1 + (i % 2); l++)
                {
                    json.WriteStartObject();
                    json.WriteString("name", Dataset.Labels[(i + l) % Dataset.Labels.Length]);
                    json.WriteString("color", Dataset.Colors[(i + l) % Dataset.Colors.Length]);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteNumber("comments", i % 11);
                json.WriteString("html_url", Dataset.UrlPrefix + Dataset.NumberOf(0).ToString(CultureInfo.InvariantCulture));
                urls[i] = End() - 1 - NumberDigits;
                json.WriteString("created_at", Dataset.Epoch);
                created[i] = End() - 1 - DateChars;
                json.WriteString("updated_at", Dataset.Epoch);
                updated[i] = End() - 1 - DateChars;
                json.WriteString("author_association", Dataset.Associations[i % Dataset.Associations.Length]);
                json.WriteBoolean("locked", i % 29 == 0);
                json.WriteString("body", Dataset.Bodies[i % Dataset.Bodies.Length]);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (kind == PageKind.CursorEnvelope)
            {
                if (hasNext)
                {
                    json.WriteString("next_cursor", "c" + new string('0', CursorDigits));
                    cursor = End() - 1 - CursorDigits;
                }
                else
                {
                    json.WriteNull("next_cursor");
                }
            }

            if (kind != PageKind.Array)
            {
                json.WriteEndObject();
            }

            json.Flush();
            return new PageTemplate(buffer.WrittenSpan.ToArray(), ids, numbers, urls, created, updated, cursor);
        }

        /// <summary>Copies the page into <paramref name="target"/> for records <paramref name="firstRecord"/>, … and the given next cursor.</summary>
        public void Render(Span<byte> target, long firstRecord, long cursor)
        {
            Bytes.CopyTo(target);
            for (int i = 0; i < _ids.Length; i++)
            {
                long n = firstRecord + i;
                Digits(target.Slice(_ids[i], IdDigits), Dataset.IdOf(n));
                Digits(target.Slice(_numbers[i], NumberDigits), Dataset.NumberOf(n));
                Digits(target.Slice(_urls[i], NumberDigits), Dataset.NumberOf(n));
                var updatedAt = Dataset.UpdatedAt(n).UtcDateTime;
                Date(target.Slice(_updated[i], 19), updatedAt);
                Date(target.Slice(_created[i], 19), updatedAt - Dataset.CreatedBeforeUpdate);
            }

            if (_cursor >= 0)
            {
                Digits(target.Slice(_cursor, CursorDigits), cursor);
            }
        }

        private static void Digits(Span<byte> target, long value)
        {
            for (int i = target.Length - 1; i >= 0; i--)
            {
                target[i] = (byte)('0' + (value % 10));
                value /= 10;
            }
        }

        private static void Date(Span<byte> target, DateTime t)
        {
            // yyyy-MM-ddTHH:mm:ss; the "+00:00" after it stays from the template.
            Digits(target[..4], t.Year);
            Digits(target.Slice(5, 2), t.Month);
            Digits(target.Slice(8, 2), t.Day);
            Digits(target.Slice(11, 2), t.Hour);
            Digits(target.Slice(14, 2), t.Minute);
            Digits(target.Slice(17, 2), t.Second);
        }
    }
}
