namespace ApiPipeline;

/// <summary>
/// How an endpoint pages its results and where records, cursors and totals sit in a response.
/// Paths are dot-separated property names from the root of the JSON body (<c>data</c>, <c>results.list</c>, <c>meta.next_cursor</c>);
/// an empty or <see langword="null"/> <see cref="RecordsPath"/> means the body itself is the array of records.
/// </summary>
public sealed record PaginationOptions
{
    /// <summary>A single request whose body is the array of records.</summary>
    public static PaginationOptions None { get; } = new();

    /// <summary>The pagination style. Default <see cref="Pagination.None"/>.</summary>
    public Pagination Style { get; init; }

    /// <summary>
    /// Where the records are: a dot-separated path to an array (or to a single object, read as one record).
    /// Default: the body is the array. A missing path is an error; a <c>null</c> value is an empty page.
    /// </summary>
    public string? RecordsPath { get; init; }

    /// <summary>
    /// Records per page requested from the API; 0 (the default) sends no page size and lets the API choose.
    /// Sent as <see cref="PageSizeParam"/> (or <see cref="LimitParam"/> for <see cref="Pagination.Offset"/>).
    /// For <see cref="Pagination.Offset"/> a page shorter than this ends the run.
    /// </summary>
    public int PageSize { get; init; }

    /// <summary>The page-size query parameter. Default <c>per_page</c> for <see cref="Pagination.PageNumber"/>, otherwise <c>limit</c>.</summary>
    public string? PageSizeParam { get; init; }

    /// <summary>For <see cref="Pagination.Cursor"/>: the path of the next cursor in the body (a string or a number).</summary>
    public string? CursorPath { get; init; }

    /// <summary>For <see cref="Pagination.Cursor"/> and <see cref="Pagination.HeaderCursor"/>: the query parameter the cursor is sent as. Default <c>cursor</c>.</summary>
    public string? CursorParam { get; init; }

    /// <summary>For <see cref="Pagination.HeaderCursor"/>: the response header holding the next cursor.</summary>
    public string? CursorHeader { get; init; }

    /// <summary>For <see cref="Pagination.NextUrl"/>: the path of the next page's URL in the body (absolute, or relative to the URL the current page was retrieved from: after a redirect, its target).</summary>
    public string? NextUrlPath { get; init; }

    /// <summary>Optional, any style: the path of a boolean that is <c>false</c> on the last page (<c>has_more</c>).</summary>
    public string? HasMorePath { get; init; }

    /// <summary>
    /// Optional path of the query's total record count: <see cref="Pagination.Offset"/> stops when the offset reaches it, and
    /// <see cref="TimeWindowOptions.MaxResults"/> compares each window's total with the API's cap (any style).
    /// </summary>
    public string? TotalPath { get; init; }

    /// <summary>For <see cref="Pagination.PageNumber"/>: optional path of the total page count; the run stops after that page.</summary>
    public string? TotalPagesPath { get; init; }

    /// <summary>For <see cref="Pagination.Offset"/>: the offset query parameter. Default <c>offset</c>.</summary>
    public string? OffsetParam { get; init; }

    /// <summary>For <see cref="Pagination.Offset"/>: the limit query parameter, carrying <see cref="PageSize"/>. Default <c>limit</c>.</summary>
    public string? LimitParam { get; init; }

    /// <summary>For <see cref="Pagination.PageNumber"/>: the page query parameter. Default <c>page</c>.</summary>
    public string? PageParam { get; init; }

    /// <summary>For <see cref="Pagination.PageNumber"/>: the number of the first page. Default 1.</summary>
    public int FirstPage { get; init; } = 1;

    /// <summary>Stop after this many pages; 0 (the default) means no limit.</summary>
    public int MaxPages { get; init; }

    /// <summary>Stop after this many records (the last page is cut to fit); 0 (the default) means no limit.</summary>
    public long MaxRecords { get; init; }

    /// <summary>
    /// Pages fetched at the same time, for styles whose next request is known without the previous response
    /// (<see cref="Pagination.PageNumber"/>, and <see cref="Pagination.Offset"/> with a <see cref="PageSize"/>): the pages after the
    /// current one are requested ahead (all under the extractor's rate limiter) and still yielded in order; fetches past the last
    /// page are cancelled. Default 1 (one page at a time).
    /// </summary>
    public int MaxConcurrent { get; init; } = 1;

    /// <summary>Stop when a page holds no records. Default <see langword="true"/>.</summary>
    public bool StopOnEmptyPage { get; init; } = true;

    internal string EffectiveCursorParam => CursorParam ?? "cursor";

    internal string EffectiveOffsetParam => OffsetParam ?? "offset";

    internal string EffectiveLimitParam => LimitParam ?? PageSizeParam ?? "limit";

    internal string EffectivePageParam => PageParam ?? "page";

    internal string EffectivePageSizeParam => PageSizeParam ?? (Style == Pagination.PageNumber ? "per_page" : "limit");

    /// <summary>Throws <see cref="ArgumentException"/> when the settings cannot work together (for example a cursor style without a cursor path).</summary>
    /// <param name="extractorName">The extractor the options belong to, named in the message.</param>
    public void Validate(string extractorName)
    {
        string? problem = Style switch
        {
            Pagination.Cursor when string.IsNullOrWhiteSpace(CursorPath) => "Pagination.Cursor needs CursorPath (where the next cursor is in the body), e.g. CursorPath = \"next_cursor\"",
            Pagination.HeaderCursor when string.IsNullOrWhiteSpace(CursorHeader) => "Pagination.HeaderCursor needs CursorHeader (the response header holding the next cursor), e.g. CursorHeader = \"X-Next-Cursor\"",
            Pagination.NextUrl when string.IsNullOrWhiteSpace(NextUrlPath) => "Pagination.NextUrl needs NextUrlPath (where the next page's URL is in the body), e.g. NextUrlPath = \"links.next\"",
            _ when PageSize < 0 => $"PageSize must be 0 (not sent) or positive, not {PageSize}",
            _ when MaxPages < 0 => $"MaxPages must be 0 (no limit) or positive, not {MaxPages}",
            _ when MaxConcurrent < 1 => $"MaxConcurrent must be at least 1, not {MaxConcurrent}",
            _ when MaxRecords < 0 => $"MaxRecords must be 0 (no limit) or positive, not {MaxRecords}",
            _ => null,
        };
        if (problem is not null)
        {
            throw new ArgumentException($"Extractor '{extractorName}': {problem}.");
        }
    }
}
