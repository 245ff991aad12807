namespace ApiPipeline;

/// <summary>How an API splits a result set into pages.</summary>
public enum Pagination
{
    /// <summary>A single request; no further pages.</summary>
    None = 0,

    /// <summary>
    /// A cursor read from the response body at <see cref="PaginatedAttribute.CursorPath"/> is sent back as the
    /// <see cref="PaginatedAttribute.CursorParam"/> query parameter. Stops when the cursor is missing, null or empty.
    /// </summary>
    Cursor = 1,

    /// <summary>
    /// A cursor read from the response header <see cref="PaginatedAttribute.CursorHeader"/> is sent back as the
    /// <see cref="PaginatedAttribute.CursorParam"/> query parameter. Stops when the header is absent or empty.
    /// </summary>
    HeaderCursor = 2,

    /// <summary>
    /// The URL of the next page is read from the body at <see cref="PaginatedAttribute.NextUrlPath"/>; a relative one is resolved against
    /// the URL the page was retrieved from (after a redirect, its target). Stops when it is missing or null.
    /// </summary>
    NextUrl = 3,

    /// <summary>
    /// The next page is the RFC 8288 <c>Link: &lt;…&gt;; rel="next"</c> response header; a relative target is resolved against the URL the
    /// page was retrieved from (after a redirect, its target). Stops when there is no <c>next</c> link.
    /// </summary>
    LinkHeader = 4,

    /// <summary>
    /// <see cref="PaginatedAttribute.OffsetParam"/> / <see cref="PaginatedAttribute.LimitParam"/>. The offset advances by the records received;
    /// stops on an empty or short page, or when the offset reaches the total at <see cref="PaginatedAttribute.TotalPath"/>.
    /// </summary>
    Offset = 5,

    /// <summary>
    /// <see cref="PaginatedAttribute.PageParam"/> / <see cref="PaginatedAttribute.PageSizeParam"/>. Stops on an empty page, or after the page
    /// count at <see cref="PaginatedAttribute.TotalPagesPath"/>.
    /// </summary>
    PageNumber = 6,
}
