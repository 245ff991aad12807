namespace ApiPipeline.Tests;

// Extractors with conditional requests; every test points them at its Kestrel server with ExtractorOptions.BaseUrl.

/// <summary>As <see cref="CursorItems"/>, sending the validators of pages it committed before.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "meta.next_cursor", HasMorePath = "meta.has_more", PageSize = 3, PageSizeParam = "limit")]
[ConditionalRequests]
public partial class ConditionalCursorItems : IExtractor<Scenario, Item>;

/// <summary>As <see cref="LinkHeaderItems"/> (RFC 8288 Link header, ?per_page=2), with conditional requests.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.LinkHeader, PageSize = 2, PageSizeParam = "per_page")]
[ConditionalRequests]
public partial class ConditionalLinkItems : IExtractor<Scenario, Item>;

/// <summary>?offset=&amp;limit=3, records at data, with conditional requests.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3)]
[ConditionalRequests]
public partial class ConditionalOffsetItems : IExtractor<Scenario, Item>;

/// <summary>A secret query parameter from the input (<c>access_token</c>), cursor pages, conditional requests.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
[ConditionalRequests]
public partial class ConditionalTokenItems : IExtractor<TokenScenario, Item>;

/// <summary>As <see cref="HeaderCursorItems"/> (the cursor in <c>X-Next-Cursor</c>, sent back as ?after=), ?per_page=2, with conditional requests.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.HeaderCursor, CursorHeader = "X-Next-Cursor", CursorParam = "after", PageSize = 2, PageSizeParam = "per_page")]
[ConditionalRequests]
public partial class ConditionalHeaderCursorItems : IExtractor<Scenario, Item>;

/// <summary>Changes behind Link pages (?per_page=2) with a ?since= watermark (lag 5m), with conditional requests.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(ChangeJson))]
[Paginated(Pagination.LinkHeader, PageSize = 2, PageSizeParam = "per_page")]
[Watermark(nameof(Change.UpdatedAt), Param = "since", Lag = "5m", Initial = "2026-03-31T00:00:00Z")]
[ConditionalRequests]
public sealed partial class ConditionalSinceLinkChanges : IExtractor<Scenario, Change>;
