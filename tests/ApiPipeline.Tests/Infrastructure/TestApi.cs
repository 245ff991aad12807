using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace ApiPipeline.Tests;

/// <summary>One request the test server received.</summary>
public sealed record RecordedRequest(string Method, string Path, string RawTarget, string QueryString, IReadOnlyDictionary<string, StringValues> Query, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The single value of a query parameter, or null when absent.</summary>
    public string? Q(string name) => Query.TryGetValue(name, out var v) ? v.ToString() : null;

    /// <summary>The path and decoded query, e.g. <c>/x/items?limit=3&amp;cursor=c2</c> (parameters in request order).</summary>
    public override string ToString() => RawTarget;
}

/// <summary>
/// A real Kestrel server on 127.0.0.1 with an OS-chosen port. Requests are routed to handlers registered by path prefix
/// (longest prefix wins; unknown paths get a JSON 404), counted and recorded in arrival order.
/// </summary>
public sealed class TestApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, RequestDelegate> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly RequestDelegate? _fallback;
    private int _count;

    private TestApi(WebApplication app, RequestDelegate? fallback)
    {
        _app = app;
        _fallback = fallback;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Requests received so far.</summary>
    public int RequestCount => Volatile.Read(ref _count);

    /// <summary>All requests, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Starts a server that sends every request to <paramref name="handler"/> (and to routes registered later with <see cref="Map"/>).</summary>
    public static async Task<TestApi> StartAsync(RequestDelegate? handler = null)
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
        var api = new TestApi(app, handler);
        app.Run(api.HandleAsync);
        await app.StartAsync();

        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        api.BaseUrl = addresses.First().TrimEnd('/');
        return api;
    }

    /// <summary>Starts a server with a fixed route map (path prefix → handler).</summary>
    public static async Task<TestApi> StartAsync(IReadOnlyDictionary<string, RequestDelegate> routes)
    {
        var api = await StartAsync();
        foreach (var (prefix, handler) in routes)
        {
            api.Map(prefix, handler);
        }

        return api;
    }

    /// <summary>Routes requests whose path is <paramref name="prefix"/> or below it to <paramref name="handler"/>.</summary>
    public TestApi Map(string prefix, RequestDelegate handler)
    {
        if (!_routes.TryAdd(prefix.TrimEnd('/'), handler))
        {
            throw new InvalidOperationException($"Route '{prefix}' is already mapped; use a unique scenario name per test.");
        }

        return this;
    }

    /// <summary>The requests whose path is <paramref name="prefix"/> or below it, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> RequestsTo(string prefix)
    {
        prefix = prefix.TrimEnd('/');
        return [.. _requests.Where(r => r.Path == prefix || r.Path.StartsWith(prefix + "/", StringComparison.Ordinal))];
    }

    /// <summary>The raw request targets (path and query as sent) under <paramref name="prefix"/>.</summary>
    public IReadOnlyList<string> TargetsTo(string prefix) => [.. RequestsTo(prefix).Select(r => r.RawTarget)];

    private Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _count);
        var request = context.Request;
        string raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
        _requests.Enqueue(new RecordedRequest(
            request.Method,
            request.Path.Value ?? "",
            raw,
            request.QueryString.Value ?? "",
            QueryHelpers.ParseQuery(request.QueryString.Value),
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));

        string path = request.Path.Value ?? "/";
        RequestDelegate? best = null;
        int bestLength = -1;
        foreach (var (prefix, handler) in _routes)
        {
            if ((path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal)) && prefix.Length > bestLength)
            {
                best = handler;
                bestLength = prefix.Length;
            }
        }

        best ??= _fallback;
        return best is null ? Reply.Json(context, """{"message":"no route in the test server"}""", 404) : best(context);
    }

    /// <inheritdoc/>
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

/// <summary>One <see cref="TestApi"/> shared by the tests of a class; each test maps its own scenario prefix.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public TestApi Api { get; private set; } = null!;

    public async Task InitializeAsync() => Api = await TestApi.StartAsync();

    public async Task DisposeAsync() => await Api.DisposeAsync();
}

/// <summary>Response helpers for raw <c>app.Run</c> handlers.</summary>
public static class Reply
{
    public static Task Json(HttpContext context, string json, int status = 200)
        => Text(context, json, "application/json", status);

    public static async Task Text(HttpContext context, string text, string contentType, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes);
    }

    /// <summary>Answers with a redirect (302 Found) to <paramref name="location"/>.</summary>
    public static Task Redirect(HttpContext context, string location)
    {
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    }

    /// <summary>The server's own root as the client addressed it, for absolute next links.</summary>
    public static string Root(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}";

    /// <summary>Waits until the client goes away (or a long time passes): an endpoint that never answers.</summary>
    public static async Task Hang(HttpContext context)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
