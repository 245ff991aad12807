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

    /// <summary>
    /// For an extractor with conditional requests (<see cref="ConditionalRequestsAttribute"/>), asked before each page's request: the
    /// validator the sink holds for it, whose records it made durable earlier, so that the request carries it and a <c>304 Not Modified</c>
    /// answer is skipped. Default: <see langword="null"/> (the request is unconditional), so a sink that remembers nothing needs nothing.
    /// </summary>
    /// <param name="requestKey">The page's request key (<see cref="PageInfo.RequestKey"/>): a hash of its URL, with no secrets in it.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    ValueTask<KnownPage?> KnownPageAsync(string requestKey, CancellationToken cancellationToken = default) => ValueTask.FromResult<KnownPage?>(null);
}

/// <summary>What kind of validator a page's response carried, and so which conditional header sends it back.</summary>
public enum ValidatorKind
{
    /// <summary>An <c>ETag</c>, sent back as <c>If-None-Match</c> exactly as received (a weak one with its <c>W/</c>).</summary>
    ETag,

    /// <summary>A <c>Last-Modified</c> date, sent back as <c>If-Modified-Since</c>.</summary>
    LastModified,
}

/// <summary>A page whose records a sink made durable, as it remembers it for a conditional request (<see cref="IPageSink{T}.KnownPageAsync"/>).</summary>
/// <param name="Validator">The validator text, as the response carried it.</param>
/// <param name="Kind">Whether it is an <c>ETag</c> or a <c>Last-Modified</c> date.</param>
/// <param name="Next">Where that page led (its <see cref="PageInfo.Next"/>), or <see langword="null"/> when it was the last page.</param>
public sealed record KnownPage(string Validator, ValidatorKind Kind, PageCheckpoint? Next);

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

    /// <summary>
    /// With conditional requests (<see cref="ConditionalRequestsAttribute"/>): the page's request key, a hex SHA-256 of its request URL
    /// as first requested (before redirects; its path and query when under the extractor's base URL), which holds no secret; the key of <see cref="IPageSink{T}.KnownPageAsync"/>. Else <see langword="null"/>.
    /// </summary>
    public string? RequestKey { get; init; }

    /// <summary>
    /// With conditional requests: the response's validator (its <c>ETag</c>, else its <c>Last-Modified</c>) for the sink to remember once the
    /// page's records are durable; <see langword="null"/> when it had none, or the page must not be remembered (it was cut by
    /// <see cref="PaginationOptions.MaxRecords"/>, or <see cref="PaginationOptions.MaxRecords"/> or <see cref="PaginationOptions.MaxPages"/> may have ended the pagination there).
    /// For a <see cref="NotModified"/> page, the validator that was sent.
    /// </summary>
    public string? Validator { get; init; }

    /// <summary>The kind of <see cref="Validator"/>.</summary>
    public ValidatorKind ValidatorKind { get; init; }

    /// <summary>
    /// Set when the API answered <c>304 Not Modified</c> to the page's conditional request: its records landed in an earlier run, so the page
    /// holds none, and <see cref="Next"/> is where it led then.
    /// </summary>
    public bool NotModified { get; init; }

    /// <summary>
    /// Whether the input's pagination ended at this page as the API led it (not where <see cref="PaginationOptions.MaxPages"/> or
    /// <see cref="PaginationOptions.MaxRecords"/> stopped it): what lets a pipeline forget the validators of its pages this run did not see.
    /// </summary>
    internal bool EndsInput { get; init; }
}
