using System.Text.Json.Serialization;
using ApiPipeline;

namespace ApiPipeline.Tests;

public sealed record Issue(long Id, int Number, string Title, DateTimeOffset UpdatedAt);

[JsonSerializable(typeof(Issue))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal partial class GitHubJson : JsonSerializerContext;

public sealed record RepoRef(string Owner, string Repo, [property: Query] string? State = null, [property: Query("since")] DateTimeOffset? Since = null, [property: Query] bool? Draft = null, [property: Query] int Limit2 = 3);

[Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(GitHubJson))]
[Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
public partial class GitHubIssues : IExtractor<RepoRef, Issue>;
