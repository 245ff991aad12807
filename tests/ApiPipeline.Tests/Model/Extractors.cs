namespace ApiPipeline.Tests;

// User-style extractors: the ApiPipeline generator implements each one at build time. The base URL is a placeholder;
// every test points the extractor at its Kestrel server with ExtractorOptions.BaseUrl.

/// <summary>Cursor in the body at meta.next_cursor, sent back as ?cursor=; has_more at meta.has_more; 3 per page as ?limit=3.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "meta.next_cursor", HasMorePath = "meta.has_more", PageSize = 3, PageSizeParam = "limit")]
public partial class CursorItems : IExtractor<Scenario, Item>;

/// <summary>Cursor in the X-Next-Cursor response header, sent back as ?after=; the body is the array.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.HeaderCursor, CursorHeader = "X-Next-Cursor", CursorParam = "after")]
public partial class HeaderCursorItems : IExtractor<Scenario, Item>;

/// <summary>The next page's URL in the body at links.next; records at results.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.NextUrl, RecordsPath = "results", NextUrlPath = "links.next")]
public partial class NextUrlItems : IExtractor<Scenario, Item>;

/// <summary>RFC 8288 Link header (GitHub style), ?per_page=2, the body is the array.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.LinkHeader, PageSize = 2, PageSizeParam = "per_page")]
public partial class LinkHeaderItems : IExtractor<Scenario, Item>;

/// <summary>?offset=&amp;limit=3, records at data, total at meta.total.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3, TotalPath = "meta.total")]
public partial class OffsetItems : IExtractor<Scenario, Item>;

/// <summary>?page=&amp;per_page=2, records at items, page count at meta.total_pages.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", PageSize = 2, TotalPagesPath = "meta.total_pages")]
public partial class PageNumberItems : IExtractor<Scenario, Item>;

/// <summary>Zero-based ?p=, no page size sent, page count at total_pages.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", FirstPage = 0, PageParam = "p", TotalPagesPath = "total_pages")]
public partial class ZeroBasedPageItems : IExtractor<Scenario, Item>;

/// <summary>At most 2 pages, declared on the attribute.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", MaxPages = 2)]
public partial class CappedPageItems : IExtractor<Scenario, Item>;

/// <summary>No [Paginated]: one request, the body is the array.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
public partial class SingleRequestItems : IExtractor<Scenario, Item>;

/// <summary>One request, records (or one record) at data; named explicitly.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson), Name = "data-items")]
[Paginated(Pagination.None, RecordsPath = "data")]
public partial class DataItems : IExtractor<Scenario, Item>;

/// <summary>One request to a fixed path, no input.</summary>
[Extractor("https://api.example.invalid", "/fixed/items", Json = typeof(TestJson))]
public partial class FixedItems : IExtractor<NoInput, Item>;

/// <summary>One request, records at items.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.None, RecordsPath = "items")]
public partial class ItemsPathItems : IExtractor<Scenario, Item>;

/// <summary>One request, records at results.list.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.None, RecordsPath = "results.list")]
public partial class NestedPathItems : IExtractor<Scenario, Item>;

/// <summary>Path placeholders and [Query] members.</summary>
[Extractor("https://api.example.invalid", "/repos/{owner}/{repo}/issues", Json = typeof(TestJson))]
public partial class IssueSearch : IExtractor<IssueQuery, Item>;

/// <summary>A fixed query in the path template combined with a [Query] member and page-number pagination.</summary>
[Extractor("https://api.example.invalid", "/{name}/items?state=all", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", PageSize = 2)]
public partial class FixedQueryItems : IExtractor<LabelQuery, Item>;

/// <summary>A secret in the path template's query.</summary>
[Extractor("https://api.example.invalid", "/{name}/items?api_key=s3cr3t", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", PageSize = 2)]
public partial class SecretItems : IExtractor<Scenario, Item>;

/// <summary>A secret sent from an input member, with cursor pagination.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class TokenItems : IExtractor<TokenScenario, Item>;

/// <summary>Several values of one secret-looking query parameter from the input, with cursor pagination.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class CodesItems : IExtractor<CodesScenario, Item>;

/// <summary>As <see cref="CodesItems"/>, with the API's next links.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.NextUrl, RecordsPath = "data", NextUrlPath = "next")]
public partial class CodesNextItems : IExtractor<CodesScenario, Item>;

/// <summary>As <see cref="TokenItems"/>, with the API's next links.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.NextUrl, RecordsPath = "data", NextUrlPath = "next")]
public partial class TokenNextItems : IExtractor<TokenScenario, Item>;

/// <summary>Cursor pages of a fixed path, no input (a key in the base URL, say).</summary>
[Extractor("https://api.example.invalid", "/fixed/items", Json = typeof(TestJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class FixedCursorItems : IExtractor<NoInput, Item>;

/// <summary>A key in the path template, cursor pages, a value-type input whose default is a real input.</summary>
[Extractor("https://api.example.invalid", "/fixed/items?api_key=t3mpl4te-k3y", Json = typeof(TestJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class LabelItems : IExtractor<OptionalLabel, Item>;

/// <summary>Cursor pages for a value-type input.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public partial class StructItems : IExtractor<StructScenario, Item>;

/// <summary>A cursor sent as <c>page_token</c> (a secret-looking name that carries no secret).</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next", CursorParam = "page_token")]
public partial class PageTokenItems : IExtractor<Scenario, Item>;

/// <summary>JSON:API-style page parameters (names that need escaping): ?page[number]=&amp;page[size]=2; at most 4 pages as a safety net.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "data", PageParam = "page[number]", PageSizeParam = "page[size]", PageSize = 2, MaxPages = 4)]
public partial class JsonApiPageItems : IExtractor<Scenario, Item>;

/// <summary>JSON:API-style offset parameters: ?page[offset]=&amp;page[limit]=2; at most 4 pages as a safety net.</summary>
[Extractor("https://api.example.invalid", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", OffsetParam = "page[offset]", LimitParam = "page[limit]", PageSize = 2, MaxPages = 4)]
public partial class JsonApiOffsetItems : IExtractor<Scenario, Item>;
