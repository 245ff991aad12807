using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace ApiPipeline.Tests.Resilience;

/// <summary>One request the fault server received.</summary>
/// <param name="Index">Its 1-based position in arrival order.</param>
/// <param name="Target">The raw path and query.</param>
/// <param name="Headers">The request headers.</param>
/// <param name="Form">The form body of a POST, if any.</param>
/// <param name="At">When it arrived (real clock).</param>
public sealed record Received(int Index, string Method, string Path, string Target, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Form, TimeSpan At)
{
    public string? Q(string name) => Query.TryGetValue(name, out var value) ? value : null;

    public string? H(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A fault-injecting Kestrel server on 127.0.0.1 (OS-chosen port): one handler per server, which gets each request's 1-based index.
/// Every request is recorded in arrival order.
/// </summary>
public sealed class FaultServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _requests = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _count;

    private FaultServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public int RequestCount => Volatile.Read(ref _count);

    public IReadOnlyList<Received> Requests => [.. _requests.OrderBy(r => r.Index)];

    /// <summary>Options pointing an extractor here.</summary>
    public ExtractorOptions Options => new() { BaseUrl = BaseUrl };

    public static async Task<FaultServer> StartAsync(Func<HttpContext, int, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(1));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.None);
        var app = builder.Build();
        var server = new FaultServer(app);
        app.Run(async context =>
        {
            int index = Interlocked.Increment(ref server._count);
            var request = context.Request;
            var form = new Dictionary<string, string>(StringComparer.Ordinal);
            if (request.HasFormContentType)
            {
                // Buffered, so that a handler can read the body as it was sent (a token endpoint that echoes it).
                request.EnableBuffering();
                foreach (var (key, value) in await request.ReadFormAsync())
                {
                    form[key] = value.ToString();
                }

                request.Body.Position = 0;
            }

            server._requests.Enqueue(new Received(
                index,
                request.Method,
                request.Path.Value ?? "",
                context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString,
                request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal),
                request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                form,
                server._clock.Elapsed));
            await handler(context, index);
        });
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/');
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
    }
}

/// <summary>What the fault server can do to a request instead of (or before) answering it.</summary>
/// <summary>An API's own limit: a token bucket of <c>rate</c> tokens refilled at <c>rate</c> per second (R requests per second).</summary>
public sealed class ServerBucket(int rate)
{
    private readonly Lock _lock = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _tokens = rate;
    private TimeSpan _last;
    private int _rejected;

    public int Rejected => Volatile.Read(ref _rejected);

    public bool TryTake()
    {
        lock (_lock)
        {
            var now = _clock.Elapsed;
            _tokens = Math.Min(rate, _tokens + ((now - _last).TotalSeconds * rate));
            _last = now;
            if (_tokens >= 1)
            {
                _tokens--;
                return true;
            }

            _rejected++;
            return false;
        }
    }
}

public static class Faults
{
    /// <summary>The rows <c>first</c>…<c>first+count-1</c> as <c>{"data":[…]}</c> (plus extra top-level JSON, e.g. <c>"next":"c2"</c>).</summary>
    public static string Page(long first, int count, string? extra = null)
        => "{\"data\":[" + string.Join(",", Enumerable.Range(0, Math.Max(0, count)).Select(i => Row(first + i))) + "]" + (extra is null ? "" : "," + extra) + "}";

    public static string Row(long id) => $$"""{"id":{{id}},"name":"row-{{id}}"}""";

    public static async Task Json(HttpContext context, string json, int status = 200, IDictionary<string, string>? headers = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes);
    }

    public static Task Status(HttpContext context, int status, string body = """{"error":"boom"}""")
        => Json(context, body, status);

    /// <summary>429 with <c>Retry-After: &lt;seconds&gt;</c>.</summary>
    public static Task TooManySeconds(HttpContext context, int seconds)
        => Json(context, """{"error":"slow down"}""", 429, new Dictionary<string, string> { ["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture) });

    /// <summary>429 with <c>Retry-After: &lt;HTTP date&gt;</c>.</summary>
    public static Task TooManyUntil(HttpContext context, DateTimeOffset until)
        => Json(context, """{"error":"slow down"}""", 429, new Dictionary<string, string> { ["Retry-After"] = until.ToString("R", CultureInfo.InvariantCulture) });

    /// <summary>An HTML error page with status 200.</summary>
    public static async Task Html200(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/html";
        await context.Response.WriteAsync("<html><body><h1>Service temporarily unavailable</h1></body></html>");
    }

    /// <summary>Announces the whole body's length, sends part of it, then drops the connection.</summary>
    public static async Task Truncated(HttpContext context, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
        await context.Response.Body.FlushAsync();
        await Task.Delay(20);
        context.Abort();
    }

    /// <summary>Drops the connection without answering.</summary>
    public static Task Drop(HttpContext context)
    {
        context.Abort();
        return Task.CompletedTask;
    }

    /// <summary>Waits <paramref name="delay"/> (or until the client gives up) before the first byte.</summary>
    public static async Task SlowFirstByte(HttpContext context, TimeSpan delay, Func<Task> then)
    {
        try
        {
            await Task.Delay(delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await then();
    }

    /// <summary>Sends half the body, waits <paramref name="delay"/> (or until the client gives up), then the rest.</summary>
    public static async Task SlowBody(HttpContext context, string json, TimeSpan delay)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
        await context.Response.Body.FlushAsync();
        try
        {
            await Task.Delay(delay, context.RequestAborted);
            await context.Response.Body.WriteAsync(bytes.AsMemory(bytes.Length / 2));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
        }
    }

    /// <summary>
    /// An offset/limit API over the rows 1…<paramref name="total"/>: <c>?offset=&amp;limit=</c> (limit defaults to 3), records at <c>data</c>.
    /// <paramref name="fault"/> may answer a request instead (return a task) or let it through (return <see langword="null"/>).
    /// </summary>
    public static Func<HttpContext, int, Task> OffsetApi(int total, Func<HttpContext, int, long, Task?>? fault = null) => (context, index) =>
    {
        long offset = long.TryParse(context.Request.Query["offset"], CultureInfo.InvariantCulture, out long o) ? o : 0;
        int limit = int.TryParse(context.Request.Query["limit"], CultureInfo.InvariantCulture, out int l) ? l : 3;
        return fault?.Invoke(context, index, offset) ?? Json(context, Page(offset + 1, (int)Math.Min(limit, total - offset)));
    };

    /// <summary>A page-number API over the rows 1…<paramref name="total"/>: <c>?page=&amp;per_page=</c> (from 1), records at <c>data</c>.</summary>
    public static Func<HttpContext, int, Task> PageApi(int total, Func<HttpContext, int, long, Task?>? fault = null) => (context, index) =>
    {
        long page = long.TryParse(context.Request.Query["page"], CultureInfo.InvariantCulture, out long p) ? p : 1;
        int size = int.TryParse(context.Request.Query["per_page"], CultureInfo.InvariantCulture, out int s) ? s : 3;
        long first = ((page - 1) * size) + 1;
        return fault?.Invoke(context, index, page) ?? Json(context, Page(first, (int)Math.Max(0, Math.Min(size, total - first + 1))));
    };
}

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also records every timer created on it (Polly's retry delays and timeouts, rate-limit pauses), so a
/// test can wait until the engine is really waiting before it moves time forward.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _timers = new();

    public TestClock(DateTimeOffset? start = null) => Fake = new FakeTimeProvider(start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public FakeTimeProvider Fake { get; }

    /// <summary>The due times of the timers created so far, in order.</summary>
    public IReadOnlyList<TimeSpan> Timers => [.. _timers];

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        _timers.Enqueue(dueTime);
        return timer;
    }

    public void Advance(TimeSpan by) => Fake.Advance(by);

    /// <summary>Waits (real time, with a safety deadline) until a timer due in <paramref name="due"/> has been created.</summary>
    public Task WaitForTimerAsync(TimeSpan due, int count = 1)
        => Wait.UntilAsync(() => _timers.Count(t => t == due) >= count, $"a timer due in {due}");
}

public static class Wait
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails after <paramref name="seconds"/> of real time (a safety net).</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, double seconds = 10)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}.");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Awaits a task with a safety deadline.</summary>
    public static async Task<T> Within<T>(this Task<T> task, double seconds = 15)
    {
        if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds))) != task)
        {
            throw new Xunit.Sdk.XunitException($"The task did not finish within {seconds} s.");
        }

        return await task;
    }

    /// <summary>Advances the fake clock in steps until the task finishes (for code paths whose exact waits the test does not assert).</summary>
    public static async Task<T> Driving<T>(this Task<T> task, TestClock clock, TimeSpan step, double seconds = 15)
    {
        var watch = Stopwatch.StartNew();
        while (!task.IsCompleted)
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                throw new Xunit.Sdk.XunitException($"The task did not finish within {seconds} s of driving the clock.");
            }

            clock.Advance(step);
            await Task.Delay(5);
        }

        return await task;
    }
}

public static class Extract
{
    public static long[] Ids(this IEnumerable<Page<Row>> pages) => [.. pages.SelectMany(p => p.Records.ToArray()).Select(r => r.Id)];

    public static long[] Range(long from, long to) => [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => (long)i)];

    /// <summary>The ids in every committed JSONL file of a dataset folder, in file order then line order.</summary>
    public static long[] IdsIn(string directory)
        => [.. Directory.EnumerateFiles(directory, "part-*.jsonl", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, ResilienceJson.Default.Row)!.Id)];
}

/// <summary>A unique temporary folder, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "apipipeline-resilience-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public IEnumerable<string> AllFiles() => Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
