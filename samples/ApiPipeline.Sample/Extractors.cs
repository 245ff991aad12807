using System.Text.Json.Serialization;

namespace ApiPipeline.Sample;

/// <summary>A GitHub issue: only the fields the pipeline keeps.</summary>
public sealed record Issue([property: Key] long Id, int Number, string Title, string State, User User, int Comments, DateTimeOffset UpdatedAt);

/// <summary>An issue's author.</summary>
public sealed record User(string Login, long Id);

/// <summary>An activity event.</summary>
public sealed record Event([property: Key] long Id, string Type, string Actor, string Repo, DateTimeOffset CreatedAt);

/// <summary>Which repository to read; <c>Owner</c> and <c>Repo</c> fill the path, <c>Since</c> is sent as <c>?since=</c>.</summary>
public sealed record RepoRef(string Owner, string Repo, [property: Query] DateTimeOffset? Since = null);

[JsonSerializable(typeof(Issue))]
[JsonSerializable(typeof(Event))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class SampleJson : JsonSerializerContext;

/// <summary>
/// Issues of a repository, 100 per page, following the <c>Link: &lt;…&gt;; rel="next"</c> header; incremental on
/// <c>updated_at</c>, sent as <c>?since=</c>, re-reading the last 10 minutes (records seen again are dropped by <c>Id</c>).
/// </summary>
[Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(SampleJson))]
[Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
[Watermark(nameof(Issue.UpdatedAt), Param = "since", Lag = "10m")]
public sealed partial class GitHubIssues : IExtractor<RepoRef, Issue>;

/// <summary>
/// Events, 500 per page, following <c>meta.next_cursor</c> in the body; incremental on <c>created_at</c>, filtered client-side
/// (the endpoint has no time filter). Every run reads the whole list, so its requests are conditional: a page unchanged since a
/// run wrote it comes back <c>304 Not Modified</c> and is skipped.
/// </summary>
[Extractor("https://api.example.com", "/v1/events", Json = typeof(SampleJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "meta.next_cursor", PageSize = 500)]
[Watermark(nameof(Event.CreatedAt), Lag = "1m")]
[ConditionalRequests]
public sealed partial class Events : IExtractor<NoInput, Event>;
