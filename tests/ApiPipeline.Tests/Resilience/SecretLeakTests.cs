using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace ApiPipeline.Tests.Resilience;

/// <summary>The record of these tests: <c>{"id":1,"name":"row-1"}</c>.</summary>
public sealed record LeakRow(long Id, string Name);

/// <summary>A plain input: the name fills the first path segment.</summary>
public sealed record LeakShard(string Name);

/// <summary>A secret sent under a secret-looking query name.</summary>
public sealed record LeakTokenInput(string Name, [property: Query("access_token")] string? Token = null);

/// <summary>A secret-looking member sent under an innocent query name.</summary>
public sealed record LeakInnocentKeyInput(string Name, [property: Query("q")] string ApiKey);

/// <summary>A secret-looking member in the path template.</summary>
public sealed record LeakPathTokenInput(string Token);

/// <summary>An input its JSON context reads but does not write (its converter only reads).</summary>
[JsonConverter(typeof(LeakReadOnlyShardConverter))]
public sealed record LeakReadOnlyShard(string Name);

public sealed class LeakReadOnlyShardConverter : JsonConverter<LeakReadOnlyShard>
{
    public override LeakReadOnlyShard Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
        => new(reader.GetString()!);

    public override void Write(System.Text.Json.Utf8JsonWriter writer, LeakReadOnlyShard value, System.Text.Json.JsonSerializerOptions options)
        => throw new InvalidOperationException("LeakReadOnlyShard is never written.");
}

/// <summary>Two secret-looking members sent under innocent names.</summary>
public sealed record LeakTwoSecretsInput(string Name, [property: Query("a")] string ApiKey, [property: Query("b")] string Token);

/// <summary>A Jira-style project key: secret-looking by its name only, in the path.</summary>
public sealed record LeakProjectInput(string ProjectKey);

[JsonSerializable(typeof(LeakRow))]
[JsonSerializable(typeof(LeakShard))]
[JsonSerializable(typeof(LeakTokenInput))]
[JsonSerializable(typeof(LeakInnocentKeyInput))]
[JsonSerializable(typeof(LeakPathTokenInput))]
[JsonSerializable(typeof(LeakTwoSecretsInput))]
[JsonSerializable(typeof(LeakReadOnlyShard))]
[JsonSerializable(typeof(LeakProjectInput))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class LeakJson : JsonSerializerContext;

[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(LeakJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class LeakCursorRows : IExtractor<LeakShard, LeakRow>;

[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(LeakJson))]
[Paginated(Pagination.NextUrl, RecordsPath = "data", NextUrlPath = "next")]
public partial class LeakNextRows : IExtractor<LeakTokenInput, LeakRow>;

[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(LeakJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class LeakInnocentKeyRows : IExtractor<LeakInnocentKeyInput, LeakRow>;

[Extractor("https://api.example.invalid", "/{token}/items", Json = typeof(LeakJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class LeakPathTokenRows : IExtractor<LeakPathTokenInput, LeakRow>;

[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(LeakJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class LeakTwoSecretsRows : IExtractor<LeakTwoSecretsInput, LeakRow>;

[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(LeakJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class LeakReadOnlyShardRows : IExtractor<LeakReadOnlyShard, LeakRow>;

[Extractor("https://api.example.invalid", "/project/{project_key}/issues", Json = typeof(LeakJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class LeakProjectRows : IExtractor<LeakProjectInput, LeakRow>;

[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(LeakJson))]
[Auth(AuthKind.ApiKey, Secret = "APIPIPELINE_LEAK_KEY")]
public partial class LeakKeyRows : IExtractor<LeakShard, LeakRow>;

[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(LeakJson))]
[Auth(AuthKind.ApiKey, Secret = "APIPIPELINE_LEAK_QUERY_KEY", QueryParam = "api_key")]
public partial class LeakQueryKeyRows : IExtractor<LeakShard, LeakRow>;

/// <summary>A handler whose transport failure names the request URI, as many handlers' messages do.</summary>
internal sealed class UriNamingFailureHandler : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        => throw new HttpRequestException($"connection reset while sending GET {request.RequestUri}");
}

/// <summary>Places where a secret could leave the engine: URLs shown, spans, logs, errors, partition keys and state.</summary>
public sealed class SecretLeakTests
{
    private static (ActivityListener Listener, ConcurrentQueue<string> Urls) ListenToPageSpans(string extractor)
    {
        var urls = new ConcurrentQueue<string>();
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ApiPipelineTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem(ApiPipelineTags.Extractor) as string == extractor && activity.GetTagItem(ApiPipelineTags.UrlFull) is string url)
                {
                    urls.Enqueue(url);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return (listener, urls);
    }

    [Fact]
    public void A_base_url_with_a_user_name_and_password_is_refused_without_showing_them()
    {
        // HttpClient would not send them, and kept in the URL they would reach checkpoints and the state store.
        var error = Assert.Throws<ArgumentException>(() => new LeakCursorRows(new ExtractorOptions { BaseUrl = "http://robot:hunter2-pa55-0987@127.0.0.1:5055/v1" }));

        Assert.Contains("carries a user name or password (user:password@host), which is never sent; give credentials with the extractor's [Auth] instead", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_inputs_secret_echoed_by_a_next_link_under_an_innocent_name_stays_out_of_urls_spans_logs_and_errors()
    {
        const string Secret = "t0k3n-innocent-echo-77";
        FaultServer? started = null;
        await using var server = started = await FaultServer.StartAsync((ctx, _) => ctx.Request.Query["page"].ToString() switch
        {
            "3" => Faults.Status(ctx, 500),
            "2" => Faults.Json(ctx, Faults.Page(3, 1, $"\"next\":\"{started!.BaseUrl}/a/items?page=3&state={Secret}\"")),
            _ => Faults.Json(ctx, Faults.Page(1, 2, $"\"next\":\"{started!.BaseUrl}/a/items?page=2&state={Secret}\"")),
        });
        var logLines = new ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new CollectingLoggerProvider(logLines)));
        var (listener, spanUrls) = ListenToPageSpans("LeakNextRows");
        using var _ = listener;

        var pages = new List<Page<LeakRow>>();
        ExtractionException? error = null;
        try
        {
            await foreach (var page in new LeakNextRows(server.Options with { LoggerFactory = logging }).ExtractPagesAsync(new LeakTokenInput("a", Secret)))
            {
                pages.Add(page);
            }
        }
        catch (ExtractionException ex)
        {
            error = ex;
        }

        Assert.NotNull(error);
        Assert.Equal(2, pages.Count);
        // The checkpoints keep it out, as documented...
        Assert.All(pages, p => Assert.DoesNotContain(Secret, p.Next?.Url ?? "", StringComparison.Ordinal));
        Assert.DoesNotContain(Secret, error!.Resume!.Url, StringComparison.Ordinal);
        // ...but every URL shown does not.
        var texts = new List<string>();
        texts.AddRange(pages.Select(p => "Page.Url: " + p.Url));
        texts.AddRange(spanUrls.Select(u => "span url.full: " + u));
        texts.AddRange(logLines.Select(l => "log: " + l));
        texts.Add("ExtractionException.Url: " + error.Url);
        texts.Add("ExtractionException.Message: " + error.Message);
        var leaks = texts.Where(t => t.Contains(Secret, StringComparison.Ordinal)).ToList();
        Assert.True(leaks.Count == 0, "the input's secret shows in:\n" + string.Join("\n", leaks));
    }

    [Fact]
    public async Task A_query_api_key_in_a_transport_errors_inner_message_stays_out_of_the_RunFailed_log()
    {
        const string Secret = "qk-1nn3r-l3ak-9090";
        var credentials = CredentialSource.Create(name => name == "APIPIPELINE_LEAK_QUERY_KEY" ? Secret : null);
        using var http = new HttpClient(new UriNamingFailureHandler());
        using var temp = new TempFolder();
        var logLines = new ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new CollectingLoggerProvider(logLines)));
        PipelineResult result;
        await using (var output = new JsonlOutput<LeakRow>(LeakJson.Default.LeakRow, new() { Directory = temp.Path, Name = "rows" }))
        {
            var extractor = new LeakQueryKeyRows(http, new ExtractorOptions { Credentials = credentials, LoggerFactory = logging });
            result = await new Pipeline<LeakShard, LeakRow>("inner", extractor, output, new PipelineOptions { StateStore = new InMemoryStateStore(), LoggerFactory = logging })
                .ExecuteAsync(new LeakShard("a")).Within();
        }

        Assert.Equal(PipelineStatus.Failed, result.Status);
        var error = Assert.IsType<ExtractionException>(result.Error);
        // The engine scrubs the key from the error's own message...
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
        // ...and the RunFailed line (event 1003) does not add the inner exception's raw message.
        var leaks = logLines.Where(l => l.Contains(Secret, StringComparison.Ordinal)).ToList();
        Assert.True(leaks.Count == 0, "the [Auth] query API key shows in:\n" + string.Join("\n", leaks));
    }

    [Fact]
    public async Task A_secret_looking_member_sent_under_an_innocent_query_name_stays_out_of_logs_errors_and_the_summary()
    {
        const string Secret = "ak-1nn0cent-q-5544";
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 401, """{"error":"denied"}"""));
        using var temp = new TempFolder();
        var logLines = new ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new CollectingLoggerProvider(logLines)));
        await using var store = new InMemoryStateStore();
        PipelineResult result;
        await using (var output = new JsonlOutput<LeakRow>(LeakJson.Default.LeakRow, new() { Directory = temp.Path, Name = "rows" }))
        {
            result = await new Pipeline<LeakInnocentKeyInput, LeakRow>("innocent", new LeakInnocentKeyRows(server.Options with { LoggerFactory = logging }), output, new PipelineOptions { StateStore = store, LoggerFactory = logging })
                .ExecuteAsync(new LeakInnocentKeyInput("b", Secret)).Within();
        }

        Assert.Equal(PipelineStatus.Failed, result.Status);
        var error = (ExtractionException)result.Error!;
        // The engine knows the member is a secret: the input it describes hides it.
        Assert.Contains("\"api_key\":\"***\"", error.Input, StringComparison.Ordinal);
        // The stored partition key keeps it, so that the key stays the same from run to run (and from version to version).
        var texts = new List<string>
        {
            "ExtractionException.Message: " + error.Message,
            "RunSummary: " + RunSummary.From(result).ToText(),
        };
        texts.AddRange(logLines.Select(l => "log: " + l));
        var leaks = texts.Where(t => t.Contains(Secret, StringComparison.Ordinal)).ToList();
        Assert.True(leaks.Count == 0, "the api_key member's value shows in:\n" + string.Join("\n", leaks));
    }

    [Fact]
    public async Task A_secret_looking_path_template_member_stays_out_of_the_error_message_and_logs()
    {
        const string Secret = "tk-p4th-s3cr3t-1122";
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 404, """{"error":"no such token"}"""));
        var logLines = new ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new CollectingLoggerProvider(logLines)));
        using var temp = new TempFolder();
        PipelineResult result;
        await using (var output = new JsonlOutput<LeakRow>(LeakJson.Default.LeakRow, new() { Directory = temp.Path, Name = "rows" }))
        {
            result = await new Pipeline<LeakPathTokenInput, LeakRow>("pathtoken", new LeakPathTokenRows(server.Options with { LoggerFactory = logging }), output, new PipelineOptions { LoggerFactory = logging })
                .ExecuteAsync(new LeakPathTokenInput(Secret)).Within();
        }

        var error = (ExtractionException)result.Error!;
        Assert.Contains("\"token\":\"***\"", error.Input, StringComparison.Ordinal); // known to be a secret
        var texts = new List<string> { "ExtractionException.Message: " + error.Message, "ExtractionException.Url: " + error.Url };
        texts.AddRange(logLines.Select(l => "log: " + l));
        var leaks = texts.Where(t => t.Contains(Secret, StringComparison.Ordinal)).ToList();
        Assert.True(leaks.Count == 0, "the token member's value shows in:\n" + string.Join("\n", leaks));
    }

    [Theory]
    [InlineData("k3y/ab+cd=ef0123")]
    public async Task A_key_echoed_url_escaped_in_lowercase_is_scrubbed_from_the_body_snippet(string key)
    {
        string lower = Uri.EscapeDataString(key).Replace("%2F", "%2f", StringComparison.Ordinal).Replace("%2B", "%2b", StringComparison.Ordinal).Replace("%3D", "%3d", StringComparison.Ordinal);
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 403, $$"""{"error":"invalid key","request":"/a/items?key={{lower}}"}"""));
        var credentials = CredentialSource.Create(name => name == "APIPIPELINE_LEAK_KEY" ? key : null);
        ExtractionException? error = null;
        try
        {
            await foreach (var _ in new LeakKeyRows(server.Options with { Credentials = credentials }).ExtractPagesAsync(new LeakShard("a")))
            {
            }
        }
        catch (ExtractionException ex)
        {
            error = ex;
        }

        Assert.NotNull(error);
        Assert.DoesNotContain(Uri.EscapeDataString(key), error!.Message, StringComparison.Ordinal);
        Assert.True(!error.Message.Contains(lower, StringComparison.Ordinal) && !(error.BodySnippet ?? "").Contains(lower, StringComparison.Ordinal), "lowercase-escaped key in: " + error.Message + " | snippet: " + error.BodySnippet);
    }

    [Theory]
    [InlineData("//robot:hunter2-zz9@api.example.com/v1", "hunter2")] // scheme-relative
    [InlineData("https://robot:hun/ter2-zz9@api.example.com/v1", "hun")] // a '/' left unescaped in the password
    [InlineData("https://robot:hun#ter2-zz9@api.example.com/v1", "hun")] // a '#' left unescaped in the password
    public void A_refused_base_url_does_not_show_its_password(string baseUrl, string secretStart)
    {
        var error = Assert.Throws<ArgumentException>(() => new LeakCursorRows(new ExtractorOptions { BaseUrl = baseUrl }));

        Assert.Contains("is not an absolute http(s) URL", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("robot:" + secretStart, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_holding_another_is_removed_whole_and_the_host_stays_readable()
    {
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 404));
        ExtractionException? error = null;
        try
        {
            await foreach (var _ in new LeakTwoSecretsRows(server.Options).ExtractPagesAsync(new LeakTwoSecretsInput("a", "k3y9", "k3y9-l0ng-s3cr3t-tail-4711")))
            {
            }
        }
        catch (ExtractionException ex)
        {
            error = ex;
        }

        Assert.Equal(server.BaseUrl + "/a/items?a=***&b=***", error!.Url);
    }

    [Fact]
    public void A_partition_key_stays_what_it_was_for_members_secret_looking_by_name_only()
    {
        // Watermarks, run state and chain fingerprints are keyed by it: it is not scrubbed, only what log lines show of it (the tests
        // above).
        var extractor = new LeakProjectRows(new ExtractorOptions());
        var input = new LeakProjectInput("CORE-2024");

        Assert.Equal("/project/CORE-2024/issues", extractor.PartitionKey(input));
    }

    [Theory]
    [InlineData("ftp://files.example.com/users/bob@example.com/report.csv", "ftp://***@example.com/report.csv")] // an '@' after a '/': path or password, shown as elided
    [InlineData("ftp://robot:hunter2@files.example.com/report.csv", "ftp://files.example.com/report.csv")]
    public void Text_redaction_marks_what_it_elides_when_an_at_sign_follows_a_slash(string url, string shown)
        => Assert.Equal(shown, UrlRedactor.Redact(url));

    [Fact]
    public async Task A_run_whose_input_its_context_cannot_write_extracts_as_before()
    {
        // Looking for the input's secret members must not fail a run: its members are then unknown, and nothing is scrubbed for them.
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Json(ctx, Faults.Page(1, 2)));
        var logLines = new ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(logLines)));
        using var temp = new TempFolder();
        await using var output = new JsonlOutput<LeakRow>(LeakJson.Default.LeakRow, new() { Directory = temp.Path, Name = "rows" });

        var result = await new Pipeline<LeakReadOnlyShard, LeakRow>("rows", new LeakReadOnlyShardRows(server.Options), output, new PipelineOptions { LoggerFactory = logging })
            .ExecuteAsync(new LeakReadOnlyShard("a")).Within();

        Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
        Assert.Equal(2, result.Records);
    }

    [Theory]
    [InlineData("https://alice:hunter2@api.example.invalid/items?page=2")] // user information: never sent
    [InlineData("https://api.example.invalid/items?page=2#access_token=hunter2")] // a fragment: never sent
    [InlineData("https://api.example.invalid/items?page=2&signature=hunter2")] // a secret-named value nobody can put back: ***
    public void A_hand_written_checkpoints_secrets_are_not_written_to_the_dead_letter_file(string checkpoint)
    {
        // A hand-written extractor's ExtractionException may carry any checkpoint; the entry's resume URL keeps only what replay can use.
        var error = new ExtractionException(ExtractionErrorKind.HttpStatus, "legacy", 2, "https://api.example.invalid/items?page=2", "503")
        {
            Resume = new PageCheckpoint(checkpoint, 2, 10),
        };

        var entry = DeadLetterWriter.Entry("legacy", error, pageSkipped: true, TimeProvider.System);

        Assert.DoesNotContain("hunter2", entry.Resume!.Url, StringComparison.Ordinal);
        Assert.StartsWith("https://api.example.invalid/items?page=2", entry.Resume.Url, StringComparison.Ordinal);
    }
}
