using System.Text.Json.Serialization;

namespace ApiPipeline.Tests.Resilience;

// User-style extractors for the resilience tests: the ApiPipeline generator implements each one at build time from its attributes.
// The base URL is a placeholder; every test points the extractor at its own FaultServer with ExtractorOptions.BaseUrl.

/// <summary>The record of the fault server's API: <c>{"id":1,"name":"row-1"}</c>.</summary>
public sealed record Row(long Id, string Name);

/// <summary>The input: the shard name fills the first path segment.</summary>
public sealed record Shard(string Name);

/// <summary>An input carrying a secret-looking member, sent as a query parameter.</summary>
public sealed record TokenShard(string Name, [property: Query("access_token")] string? Token = null);

[JsonSerializable(typeof(Row))]
[JsonSerializable(typeof(Shard))]
[JsonSerializable(typeof(TokenShard))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ResilienceJson : JsonSerializerContext;

/// <summary>Offset pages of 3 at <c>data</c>; retries with tiny real delays.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3)]
[Retry(MaxRetries = 3, BaseDelay = "1ms", MaxDelay = "5ms", Jitter = false)]
public partial class RetryingRows : IExtractor<Shard, Row>;

/// <summary>Offset pages of 3, no resilience attributes: today's fail-fast behaviour.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3)]
public partial class PlainRows : IExtractor<Shard, Row>;

/// <summary>Offset pages of 3; failed pages are skipped (their next page is computable).</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3)]
[Retry(2, BaseDelay = "1ms", Jitter = false)]
[OnError(ErrorMode.Continue)]
public partial class ContinueRows : IExtractor<Shard, Row>;

/// <summary>Offset pages asking for 4 with the total at <c>total</c>, failed pages skipped (for APIs that cap the limit).</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 4, TotalPath = "total")]
[OnError(ErrorMode.Continue)]
public partial class CappedContinueRows : IExtractor<Shard, Row>;

/// <summary>Offset pages of 10 fetched 4 at a time, the total at <c>total</c>.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 10, TotalPath = "total", MaxConcurrent = 4)]
public partial class PrefetchTotalRows : IExtractor<Shard, Row>;

/// <summary>Cursor pages (<c>next</c>); a failed page skips the rest of its input.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next", PageSize = 3)]
[Retry(1, BaseDelay = "1ms", Jitter = false)]
[OnError(ErrorMode.Continue)]
public partial class CursorContinueRows : IExtractor<Shard, Row>;

/// <summary>Offset pages of 3; failures go to a dead-letter file.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3)]
[Retry(1, BaseDelay = "1ms", Jitter = false)]
[OnError(ErrorMode.DeadLetter)]
public partial class DeadLetterRows : IExtractor<Shard, Row>;

/// <summary>Dead-letter with a secret-looking input member (sent as <c>?access_token=</c>).</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3)]
[OnError(ErrorMode.DeadLetter)]
public partial class TokenDeadLetterRows : IExtractor<TokenShard, Row>;

/// <summary>One request; expected failures (404s) are skipped without counting as failures.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[OnError(ErrorMode.Skip)]
public partial class SkipRows : IExtractor<Shard, Row>;

/// <summary>Offset pages of 1 record at 10 requests per second (token bucket, burst 1), shared per host.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 1)]
[RateLimited(10)]
public partial class LimitedRows : IExtractor<Shard, Row>;

/// <summary>Offset pages of 1 record, not rate limited.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 1)]
public partial class UnlimitedRows : IExtractor<Shard, Row>;

/// <summary>A 300 ms per-attempt timeout with two quick retries.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3)]
[Timeouts(PerAttempt = "300ms")]
[Retry(2, BaseDelay = "1ms", Jitter = false)]
public partial class TimedRows : IExtractor<Shard, Row>;

/// <summary>One request, a circuit breaker that opens after 2 attempts at a 50 % failure ratio and stays open 10 s.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[CircuitBreaker(FailureRatio = 0.5, MinimumThroughput = 2, SamplingDuration = "30s", BreakDuration = "10s")]
public partial class BreakerRows : IExtractor<Shard, Row>;

/// <summary>An API key in the <c>X-API-Key</c> header.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "data", PageSize = 3)]
[Auth(AuthKind.ApiKey, Secret = "APIPIPELINE_TEST_API_KEY")]
public partial class ApiKeyHeaderRows : IExtractor<Shard, Row>;

/// <summary>An API key in the <c>api_key</c> query parameter (added at send time only), dead-lettering failures.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "data", PageSize = 3)]
[Auth(AuthKind.ApiKey, Secret = "APIPIPELINE_TEST_API_KEY", QueryParam = "api_key")]
[OnError(ErrorMode.DeadLetter)]
public partial class ApiKeyQueryRows : IExtractor<Shard, Row>;

/// <summary>An API key in a query parameter whose name does not look secret (<c>access</c>), on an API that links to its next page.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.LinkHeader, RecordsPath = "data", PageSize = 3)]
[Auth(AuthKind.ApiKey, Secret = "APIPIPELINE_TEST_API_KEY", QueryParam = "access")]
public partial class ApiKeyQueryLinkRows : IExtractor<Shard, Row>;

/// <summary>A bearer token.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "data", PageSize = 3)]
[Auth(AuthKind.Bearer, Secret = "APIPIPELINE_TEST_TOKEN")]
public partial class BearerRows : IExtractor<Shard, Row>;

/// <summary>A bearer token and next links in the body (<c>next</c>).</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.NextUrl, RecordsPath = "data", NextUrlPath = "next")]
[Auth(AuthKind.Bearer, Secret = "APIPIPELINE_TEST_TOKEN")]
public partial class BearerNextRows : IExtractor<Shard, Row>;

/// <summary>HTTP Basic.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "data", PageSize = 3)]
[Auth(AuthKind.Basic, Id = "APIPIPELINE_TEST_USER", Secret = "APIPIPELINE_TEST_PASSWORD")]
public partial class BasicRows : IExtractor<Shard, Row>;

/// <summary>OAuth 2.0 client credentials; the token URL is replaced per test with the fault server's.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "data", PageSize = 3)]
[Auth(AuthKind.OAuth2ClientCredentials, Id = "APIPIPELINE_TEST_CLIENT_ID", Secret = "APIPIPELINE_TEST_CLIENT_SECRET", TokenUrl = "https://auth.example.invalid/token", Scope = "rows:read", RefreshBefore = "60s")]
[Retry(2, BaseDelay = "1ms", Jitter = false)]
public partial class OAuthRows : IExtractor<Shard, Row>;

/// <summary>
/// OAuth 2.0 client credentials with up to 4 pages in flight (offsets, total from the first page) and no retries; the client goes in a
/// Basic header, with an audience.
/// </summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(ResilienceJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 10, TotalPath = "total", MaxConcurrent = 4)]
[Auth(AuthKind.OAuth2ClientCredentials, Id = "APIPIPELINE_TEST_CLIENT_ID", Secret = "APIPIPELINE_TEST_CLIENT_SECRET", TokenUrl = "https://auth.example.invalid/token", Audience = "https://rows.example.invalid", ClientAuthentication = OAuthClientAuthentication.Basic)]
public partial class OAuthParallelRows : IExtractor<Shard, Row>;
