using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ApiPipeline.DemoApi;

/// <summary>Settings of the demo API.</summary>
public sealed record DemoApiOptions
{
    /// <summary>Issues served by <c>/repos/{owner}/{repo}/issues</c>. Default 2,500.</summary>
    public int Issues { get; init; } = 2_500;

    /// <summary>Events served by <c>/v1/events</c>. Default 5,000.</summary>
    public int Events { get; init; } = 5_000;

    /// <summary>The <c>updated_at</c> of issue 1; later issues are newer by <see cref="IssueSpacing"/> each.</summary>
    public DateTimeOffset Epoch { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Time between two issues' <c>updated_at</c>. Default 7 minutes (2,500 issues span about 12 days).</summary>
    public TimeSpan IssueSpacing { get; init; } = TimeSpan.FromMinutes(7);

    /// <summary>The port; 0 (the default) takes a free one.</summary>
    public int Port { get; init; }

    /// <summary>A delay before each response, to imitate a remote API. Default none.</summary>
    public TimeSpan Latency { get; init; }
}

/// <summary>
/// A GitHub-like API on 127.0.0.1:
/// <list type="bullet">
/// <item><c>GET /repos/{owner}/{repo}/issues?per_page=&amp;page=&amp;since=</c>: a JSON array of issues, oldest first, with a
/// GitHub-style <c>Link</c> header (<c>next</c>, <c>last</c>); <c>since</c> keeps issues updated at or after it.</item>
/// <item><c>GET /v1/events?limit=&amp;cursor=</c>: <c>{"data":[…],"meta":{"next_cursor":"…"}}</c>, cursor pagination.</item>
/// </list>
/// </summary>
public sealed class DemoApi : IAsyncDisposable
{
    private static readonly string[] Labels = ["bug", "enhancement", "documentation", "performance", "question"];
    private static readonly string[] Users = ["octocat", "hubot", "monalisa", "defunkt", "mojombo", "pjhyett"];
    private static readonly string[] EventTypes = ["PushEvent", "IssuesEvent", "PullRequestEvent", "WatchEvent", "ForkEvent"];
    private readonly WebApplication _app;
    private readonly DemoApiOptions _options;
    private long _requests;

    private DemoApi(WebApplication app, DemoApiOptions options, string baseUrl)
    {
        _app = app;
        _options = options;
        BaseUrl = baseUrl;
    }

    /// <summary>The API's base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; }

    /// <summary>Requests served so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Starts the API on 127.0.0.1.</summary>
    /// <param name="options">Settings; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<DemoApi> StartAsync(DemoApiOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DemoApiOptions();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Embedded in another program: Ctrl+C and SIGTERM are that program's to handle, not the API's (the console lifetime would
        // swallow them, and nothing stops this API but DisposeAsync).
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
        var app = builder.Build();
        DemoApi? api = null;
        app.Run(context => api!.HandleAsync(context));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        api = new DemoApi(app, options, address.TrimEnd('/'));
        return api;
    }

    /// <summary>The <c>updated_at</c> of issue <paramref name="number"/> (1-based).</summary>
    /// <param name="number">The issue number.</param>
    public DateTimeOffset IssueUpdatedAt(int number) => _options.Epoch + (_options.IssueSpacing * (number - 1));

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (_options.Latency > TimeSpan.Zero)
        {
            await Task.Delay(_options.Latency, context.RequestAborted).ConfigureAwait(false);
        }

        await RouteAsync(context).ConfigureAwait(false);
    }

    private Task RouteAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is ["repos", _, _, "issues"])
        {
            return IssuesAsync(context, segments[1], segments[2]);
        }

        if (segments is ["v1", "events"])
        {
            return EventsAsync(context);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("{\"message\":\"Not Found\"}");
    }

    private async Task IssuesAsync(HttpContext context, string owner, string repo)
    {
        var query = context.Request.Query;
        int perPage = Math.Clamp(Int(query["per_page"], 30), 1, 100);
        int page = Math.Max(1, Int(query["page"], 1));
        int first = 1;
        if (DateTimeOffset.TryParse(query["since"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since) && since > _options.Epoch)
        {
            first = (int)Math.Ceiling((since - _options.Epoch) / _options.IssueSpacing) + 1;
        }

        int available = Math.Max(0, _options.Issues - first + 1);
        int lastPage = Math.Max(1, (available + perPage - 1) / perPage);
        int start = first + ((page - 1) * perPage);
        int end = Math.Min(_options.Issues, start + perPage - 1);

        string self = $"{BaseUrl}{context.Request.Path}";
        var links = new List<string>();
        if (page < lastPage)
        {
            links.Add($"<{PageUrl(self, context.Request.Query, page + 1)}>; rel=\"next\"");
            links.Add($"<{PageUrl(self, context.Request.Query, lastPage)}>; rel=\"last\"");
        }

        if (page > 1)
        {
            links.Add($"<{PageUrl(self, context.Request.Query, 1)}>; rel=\"first\"");
        }

        if (links.Count > 0)
        {
            context.Response.Headers["Link"] = string.Join(", ", links);
        }

        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            for (int n = start; n <= end; n++)
            {
                WriteIssue(json, owner, repo, n);
            }

            json.WriteEndArray();
        }

        await WritePageAsync(context, buffer).ConfigureAwait(false);
    }

    private async Task EventsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        int limit = Math.Clamp(Int(query["limit"], 100), 1, 1000);
        int start = 1;
        string? cursor = query["cursor"];
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!cursor.StartsWith("ev_", StringComparison.Ordinal) || !int.TryParse(cursor.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out start))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync("{\"error\":\"invalid cursor\"}").ConfigureAwait(false);
                return;
            }
        }

        int end = Math.Min(_options.Events, start + limit - 1);
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("data");
            for (int n = start; n <= end; n++)
            {
                json.WriteStartObject();
                json.WriteNumber("id", 9_000_000_000L + n);
                json.WriteString("type", EventTypes[n % EventTypes.Length]);
                json.WriteString("actor", Users[n % Users.Length]);
                json.WriteString("repo", "octo-org/repo-" + (n % 17).ToString(CultureInfo.InvariantCulture));
                json.WriteString("created_at", _options.Epoch + TimeSpan.FromSeconds(n * 97L));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("meta");
            if (end < _options.Events)
            {
                json.WriteString("next_cursor", "ev_" + (end + 1).ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                json.WriteNull("next_cursor");
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        await WritePageAsync(context, buffer).ConfigureAwait(false);
    }

    private void WriteIssue(Utf8JsonWriter json, string owner, string repo, int n)
    {
        json.WriteStartObject();
        json.WriteNumber("id", 1_000_000_000L + n);
        json.WriteNumber("number", n);
        json.WriteString("title", $"Issue {n}: pagination stops early when the cursor repeats");
        json.WriteString("state", n % 3 == 0 ? "closed" : "open");
        json.WriteStartObject("user");
        json.WriteString("login", Users[n % Users.Length]);
        json.WriteNumber("id", 100 + (n % Users.Length));
        json.WriteEndObject();
        json.WriteStartArray("labels");
        json.WriteStartObject();
        json.WriteString("name", Labels[n % Labels.Length]);
        json.WriteString("color", "d73a4a");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteNumber("comments", n % 11);
        json.WriteString("html_url", $"https://github.com/{owner}/{repo}/issues/{n}");
        json.WriteString("created_at", IssueUpdatedAt(n) - TimeSpan.FromDays(3));
        json.WriteString("updated_at", IssueUpdatedAt(n));
        json.WriteString("body", "Steps to reproduce: run the extractor against a paginated endpoint with a page size of one hundred and watch the cursor. Expected every record exactly once.");
        json.WriteEndObject();
    }

    private static string PageUrl(string self, IQueryCollection query, int page)
    {
        var parts = new List<string>();
        foreach (var (key, value) in query)
        {
            if (key != "page")
            {
                parts.Add(Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(value.ToString()));
            }
        }

        parts.Add("page=" + page.ToString(CultureInfo.InvariantCulture));
        return self + "?" + string.Join('&', parts);
    }

    /// <summary>
    /// Writes a page with a strong <c>ETag</c> of its bytes, as GitHub does; a request whose <c>If-None-Match</c> names it gets
    /// <c>304 Not Modified</c> with no body (what an extractor with <c>[ConditionalRequests]</c> skips).
    /// </summary>
    private static async Task WritePageAsync(HttpContext context, ArrayBufferWriter<byte> buffer)
    {
        string etag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(buffer.WrittenSpan)) + "\"";
        context.Response.Headers.ETag = etag;
        if (NoneMatch(context.Request.Headers.IfNoneMatch, etag))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
    }

    /// <summary>Whether <c>If-None-Match</c> names <paramref name="etag"/> (or is <c>*</c>), by the weak comparison RFC 9110 asks for.</summary>
    private static bool NoneMatch(Microsoft.Extensions.Primitives.StringValues header, string etag)
    {
        foreach (string? value in header)
        {
            foreach (var tag in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (tag == "*" || (tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag) == etag)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static int Int(string? text, int fallback)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : fallback;
}

/// <summary>The lifetime of an API embedded in another program: it starts and stops with <see cref="DemoApi"/>, and leaves signals alone.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
