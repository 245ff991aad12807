namespace ApiPipeline;

/// <summary>One page of records, read completely and validated.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class Page<T>
{
    private readonly T[] _records;

    /// <summary>Creates a page.</summary>
    /// <param name="number">The page's 1-based position in the run.</param>
    /// <param name="url">The request URL, with secrets redacted.</param>
    /// <param name="records">The records, in the order the API sent them.</param>
    /// <param name="next">Where the next page starts, or <see langword="null"/> when this is the last page.</param>
    /// <param name="bytesRead">The size of the response body.</param>
    public Page(int number, string url, T[] records, PageCheckpoint? next, long bytesRead)
    {
        Number = number;
        Url = url;
        _records = records;
        Next = next;
        BytesRead = bytesRead;
    }

    /// <summary>The page's 1-based position in the run.</summary>
    public int Number { get; }

    /// <summary>The request URL, with secrets redacted.</summary>
    public string Url { get; }

    /// <summary>The records, in the order the API sent them.</summary>
    public ReadOnlyMemory<T> Records => _records;

    /// <summary>The number of records.</summary>
    public int Count => _records.Length;

    /// <summary>The record at <paramref name="index"/>.</summary>
    /// <param name="index">The index.</param>
    public T this[int index] => _records[index];

    /// <summary>Where the next page starts, or <see langword="null"/> when this is the last page.</summary>
    public PageCheckpoint? Next { get; }

    /// <summary>The size of the response body in bytes.</summary>
    public long BytesRead { get; }

    /// <summary>The attempts it took to read the page: 1, plus one per retry.</summary>
    public int Attempts { get; init; } = 1;

    /// <inheritdoc cref="PageInfo.DroppedRequests"/>
    public int DroppedRequests { get; init; }

    /// <summary>Every request the page accounts for: its <see cref="Attempts"/> and <see cref="DroppedRequests"/>.</summary>
    internal int Requests => Attempts + DroppedRequests;

    /// <summary>Time the page waited for rate limits: the client-side limiter, host pauses and the API's <c>Retry-After</c> on 429s.</summary>
    public TimeSpan Throttled { get; init; }

    /// <summary>
    /// Set when the page failed after its retries and was skipped under an <see cref="ErrorMode"/> other than
    /// <see cref="ErrorMode.FailFast"/> (possible for <see cref="Pagination.Offset"/> and <see cref="Pagination.PageNumber"/> only, whose next page
    /// is computable): the page then holds no records, and <see cref="Next"/> is the page after it. A pipeline or chain step whose own mode
    /// is <see cref="ErrorMode.FailFast"/> fails at such a page.
    /// </summary>
    public ExtractionException? Error { get; init; }

    /// <summary>
    /// The page's records that did not fit the record type, each as the API sent it and why, when the page was read for a caller that
    /// dead-letters them alone (a chain step under <see cref="ErrorMode.DeadLetter"/>); else empty, as such a record fails its page.
    /// </summary>
    internal IReadOnlyList<(byte[] Json, string Reason)> Misfits { get; init; } = [];
}

/// <summary>
/// A position in a paged extraction: the request that fetches the next page. It holds no secrets (credentials travel in headers),
/// so it can be stored as resume state.
/// </summary>
/// <param name="Url">The absolute URL of the next request.</param>
/// <param name="PageNumber">The 1-based number of that page in the run.</param>
/// <param name="RecordsBefore">The records extracted before that page, for <see cref="PaginationOptions.MaxRecords"/>.</param>
public sealed record PageCheckpoint(string Url, int PageNumber, long RecordsBefore)
{
    /// <summary>
    /// The extractor's base URL (scheme, host, port and base path) when <see cref="Url"/> lies under it, else <see langword="null"/>. An
    /// extractor resuming from the checkpoint with another base URL (an API that moved, a local server on a new port) continues at the
    /// same path and query under its own; a URL elsewhere (a next link to another host) is followed as it is.
    /// </summary>
    public string? BaseUrl { get; init; }
}
