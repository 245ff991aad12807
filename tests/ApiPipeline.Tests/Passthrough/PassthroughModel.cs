using System.Text.Json.Serialization;

namespace ApiPipeline.Tests;

/// <summary>The only fields a passthrough pipeline reads from an item: its key (required) and an optional date.</summary>
public sealed record RawItemKeys([property: JsonRequired] long Id, DateTimeOffset? CreatedAt = null);

/// <summary>The fields a passthrough change pipeline needs: key and watermark.</summary>
public sealed record ChangeKeys([property: Key] long Id, DateTimeOffset UpdatedAt);

[JsonSerializable(typeof(RawItemKeys))]
[JsonSerializable(typeof(ChangeKeys))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class PassthroughJson : JsonSerializerContext;

/// <summary><c>{"data":[…],"next":"…"}</c> cursor pages, landed as sent.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(PassthroughJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public sealed partial class RawCursorItems : IExtractor<Scenario, RawRecord<RawItemKeys>>;

/// <summary>A bare array per page, next page in the Link header.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(PassthroughJson))]
[Paginated(Pagination.LinkHeader, PageSize = 2)]
public sealed partial class RawLinkItems : IExtractor<Scenario, RawRecord<RawItemKeys>>;

/// <summary>The incremental change endpoint, passthrough: watermark and key read through <c>.Fields</c>.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(PassthroughJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(ChangeKeys.UpdatedAt), Param = "since", Lag = "5m", AllowedLateness = "2m")]
public sealed partial class RawChanges : IExtractor<Scenario, RawRecord<ChangeKeys>>;
