namespace ApiPipeline;

/// <summary>
/// Takes a page's records one at a time while the page is being parsed, and keeps each page all or nothing: what <see cref="Add"/>
/// received since <see cref="BeginPage"/> becomes part of the output at <see cref="EndPageAsync"/>, or is forgotten at
/// <see cref="AbortPage"/> (a failed or retried attempt). Records stream from the response buffer to the output without a page of
/// records ever being materialized, so they die young. Every page is <see cref="BeginPage"/>, any number of <see cref="Add"/>, then
/// exactly one of <see cref="EndPageAsync"/> or <see cref="AbortPage"/>.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
public interface IPageSink<T>
{
    /// <summary>A page (or a new attempt of it) starts.</summary>
    void BeginPage();

    /// <summary>The next record of the current page, in the order the API sent it.</summary>
    /// <param name="record">The record. It may point into buffers the extractor reuses once the page ends: copy what you keep.</param>
    void Add(T record);

    /// <summary>
    /// The current page was read and validated completely: what <see cref="Add"/> received is now part of the output. A page that failed
    /// after its retries and was skipped (<see cref="PageInfo.Error"/>) ends here too, with no records.
    /// </summary>
    /// <param name="page">What the page was.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default);

    /// <summary>The current page or attempt failed: forget what <see cref="Add"/> received since <see cref="BeginPage"/>.</summary>
    void AbortPage();
}

/// <summary>A page handed to an <see cref="IPageSink{T}"/>: where it came from, how many records it held, where the next one starts.</summary>
/// <param name="Number">The page's 1-based position in the run.</param>
/// <param name="Url">The request URL, with secrets redacted.</param>
/// <param name="Records">The records the page held (after <see cref="PaginationOptions.MaxRecords"/>).</param>
/// <param name="BytesRead">The size of the response body.</param>
/// <param name="Next">Where the next page starts, or <see langword="null"/> after the last page.</param>
public readonly record struct PageInfo(int Number, string Url, int Records, long BytesRead, PageCheckpoint? Next)
{
    /// <summary>The attempts it took to read the page: 1, plus one per retry.</summary>
    public int Attempts { get; init; }

    /// <summary>
    /// Requests sent for pages fetched ahead (<see cref="PaginationOptions.MaxConcurrent"/>) that were dropped, because the pagination
    /// ended before them (past a short last page) or went elsewhere, counted with the page handed on after they settled (the last page
    /// has them all): sent, but part of no page, and not in <see cref="Attempts"/>.
    /// </summary>
    public int DroppedRequests { get; init; }

    /// <summary>Time the page waited for rate limits.</summary>
    public TimeSpan Throttled { get; init; }

    /// <summary>The total number of records the API reported for the whole query (<see cref="PaginationOptions.TotalPath"/>), if it did.</summary>
    public long? Total { get; init; }

    /// <summary>Set when the page failed after its retries and was skipped (see <see cref="Page{T}.Error"/>); it then holds no records.</summary>
    public ExtractionException? Error { get; init; }
}
