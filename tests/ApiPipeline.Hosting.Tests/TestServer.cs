using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// A Kestrel server on 127.0.0.1 (OS-chosen port) serving 25 items in pages of <c>per_page</c> under several paths:
/// <c>/items</c> and <c>/owners/{owner}/items</c> always answer, <c>/metered</c> answers 500 to the first request of page 2,
/// <c>/flaky</c> answers 503 to every request of page 2, <c>/missing</c> answers 404.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const int TotalItems = 25;
    private readonly WebApplication _app;
    private int _meteredPage2;
    private int _requests;

    private TestServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public int Requests => Volatile.Read(ref _requests);

    public List<string> Targets { get; } = [];

    /// <summary>Answers 503 to the requests (path and query) it picks.</summary>
    public Func<string, bool>? Unavailable { get; set; }

    /// <summary>Changes the body of a built-in route's answer, when set: (path and query, body) → the body sent (a record that does not fit).</summary>
    public Func<string, string, string>? Rewrite { get; set; }

    /// <summary>Answers every request instead of the built-in routes, when set (an API of a test's own).</summary>
    public RequestDelegate? Respond { get; set; }

    public static async Task<TestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(1));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new TestServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/');
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        string path = context.Request.Path.Value ?? "/";
        lock (Targets)
        {
            Targets.Add(path + context.Request.QueryString);
        }

        if (Respond is { } respond)
        {
            await respond(context);
            return;
        }

        int page = int.TryParse(context.Request.Query["page"], CultureInfo.InvariantCulture, out int p) ? p : 1;
        int size = int.TryParse(context.Request.Query["per_page"], CultureInfo.InvariantCulture, out int s) ? s : 10;
        if (path.StartsWith("/redirect", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = "/items";
            return;
        }

        if (path.StartsWith("/missing", StringComparison.Ordinal))
        {
            await Reply(context, """{"message":"not found"}""", 404);
            return;
        }

        if (path.StartsWith("/metered", StringComparison.Ordinal) && page == 2 && Interlocked.Increment(ref _meteredPage2) == 1)
        {
            await Reply(context, """{"message":"try again"}""", 500);
            return;
        }

        if ((path.StartsWith("/flaky", StringComparison.Ordinal) && page == 2) || Unavailable?.Invoke(path + context.Request.QueryString) == true)
        {
            await Reply(context, """{"message":"unavailable"}""", 503);
            return;
        }

        if (path.StartsWith("/shops/", StringComparison.Ordinal))
        {
            string body = Shop(path.Split('/', StringSplitOptions.RemoveEmptyEntries), context.Request.Query, page, size);
            await Reply(context, Rewrite?.Invoke(path + context.Request.QueryString, body) ?? body, 200);
            return;
        }

        var json = new StringBuilder("{\"data\":[");
        int first = ((page - 1) * size) + 1;
        int last = Math.Min(TotalItems, page * size);
        for (int id = first; id <= last; id++)
        {
            json.Append(CultureInfo.InvariantCulture, $"{(id > first ? "," : "")}{{\"id\":{id},\"name\":\"item {id}\",\"updated_at\":\"2026-01-{1 + (id % 28):00}T00:00:00Z\"}}");
        }

        json.Append("]}");
        await Reply(context, json.ToString(), 200);
    }

    /// <summary>
    /// <c>/shops/{owner}/groups</c>: groups 1–3 (<c>g1</c>…) on page 1; <c>/shops/{owner}/groups/{group}/members</c>: members group × 100 + 1…5, by
    /// pages; <c>/shops/{owner}/details?member=…&amp;group_name=…</c>: one detail echoing what it was asked.
    /// </summary>
    private static string Shop(string[] segments, IQueryCollection query, int page, int size) => segments switch
    {
        [_, _, "groups"] when page == 1 => """{"data":[{"id":1,"name":"g1"},{"id":2,"name":"g2"},{"id":3,"name":"g3"}]}""",
        [_, _, "groups", var group, "members"] => "{\"data\":[" + string.Join(",", Enumerable.Range(((page - 1) * size) + 1, size).Where(n => n <= 5)
            .Select(n => string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{(int.Parse(group, CultureInfo.InvariantCulture) * 100) + n},\"group_id\":{group}}}"))) + "]}",
        [_, var owner, "details"] => $"{{\"data\":[{{\"member_id\":{query["member"]},\"group_name\":\"{query["group_name"]}\",\"owner\":\"{owner}\"}}]}}",
        _ => """{"data":[]}""",
    };

    internal static async Task Reply(HttpContext context, string json, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes);
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

/// <summary>A temporary folder removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "apipipeline-hosting-" + Guid.NewGuid().ToString("N")[..8]);

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

/// <summary>A test class with the test API on 127.0.0.1 and a temporary folder, new for each test.</summary>
public abstract class ServerTests : Xunit.IAsyncLifetime
{
    protected TestServer Server { get; private set; } = null!;

    protected TempDir Dir { get; } = new();

    /// <summary>The ids of the <see cref="Item"/> records in the JSONL files under <paramref name="folder"/> (none when it is missing), sorted.</summary>
    protected static List<int> Ids(string folder)
        => !Directory.Exists(folder)
            ? []
            : [.. Directory.EnumerateFiles(folder, "*.jsonl", SearchOption.AllDirectories)
                .SelectMany(File.ReadLines)
                .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, TestJson.Default.Item)!.Id)
                .Order()];

    /// <summary>
    /// Writes the chain file <c>items.yaml</c> (chain <c>groupitems</c>: <c>ShopGroups</c>, then <c>WindowedGroupItems</c> per group, which
    /// dead-letters failed inputs), and the host configuration that sends both to <see cref="Server"/>.
    /// </summary>
    protected async Task<(string File, IConfiguration Configuration)> GroupItemsChainFileAsync()
    {
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, """
            chain_id: groupitems
            extractors:
              - extractor_class: ShopGroups
                step: Groups
              - extractor_class: WindowedGroupItems
                step: Items
                on_error: dead_letter
                input_mapping: { owner: chain_input.owner, group: Groups.id }
            """);
        return (file, new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Extractors:groupitems:BaseUrl"] = Server.BaseUrl, ["ApiPipeline:Extractors:WindowedGroupItems:BaseUrl"] = Server.BaseUrl }).Build());
    }

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Dir.Dispose();
    }
}
