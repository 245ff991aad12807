using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace ApiPipeline;

/// <summary>
/// Decides each next request from the current one and what its response said. Offsets and page numbers are read back from the
/// current URL, so a run resumed from a <see cref="PageCheckpoint"/> needs no other state.
/// </summary>
internal sealed class Paginator
{
    private readonly PaginationOptions _options;
    private readonly RecentValues _seen = new();

    // The end learnt from the latest response's total (TotalPath / TotalPagesPath): the last offset or page number to request
    // (NoEnd until a total is read). Ahead reads both from the threads of a prefetch window while Next writes them: _last is
    // written before _answered and read after it.
    private const long NoEnd = long.MaxValue;
    private long _last = NoEnd;
    private volatile bool _answered;

    // Offsets, for an API that caps the limit below PageSize: _lastShort is the length of the last page when it was short and not
    // the last (0 after a full page); a failed page right after it is skipped by that length (a one-off short page then overlaps the
    // next page rather than leaving a gap). _served is that length once two such pages in a row agree (one short page may only have
    // lost a record): pages are fetched ahead by it. 0 means PageSize.
    private long _served;
    private long _lastShort;

    // The SHA-256 of the first page's records, while the second page has not been read (NextOrRepeated).
    private byte[]? _firstPage;

    public Paginator(PaginationOptions options) => _options = options;

    /// <summary>The first request: the user's URL plus the style's starting parameters.</summary>
    public Uri First(Uri url)
    {
        var o = _options;
        return o.Style switch
        {
            Pagination.Offset => o.PageSize > 0
                ? QueryString.Set(url, [new(o.EffectiveOffsetParam, "0"), new(o.EffectiveLimitParam, Format(o.PageSize))])
                : QueryString.Set(url, o.EffectiveOffsetParam, "0"),
            Pagination.PageNumber => o.PageSize > 0
                ? QueryString.Set(url, [new(o.EffectivePageParam, Format(o.FirstPage)), new(o.EffectivePageSizeParam, Format(o.PageSize))])
                : QueryString.Set(url, o.EffectivePageParam, Format(o.FirstPage)),
            Pagination.None => url,
            _ => o.PageSize > 0 ? QueryString.Set(url, o.EffectivePageSizeParam, Format(o.PageSize)) : url,
        };
    }

    /// <summary>The next request, or <see langword="null"/> when the current page was the last.</summary>
    /// <param name="current">The current request.</param>
    /// <param name="retrievedFrom">
    /// The URL the response came from: <paramref name="current"/>, or where redirects led. A relative next link (body or Link header)
    /// is resolved against it (RFC 3986 §5.1.3); offsets, page numbers and cursors go on from <paramref name="current"/>.
    /// </param>
    /// <param name="scan">What the body said.</param>
    /// <param name="headers">The response headers.</param>
    /// <param name="pageNumber">The current page's number in the run.</param>
    /// <param name="recordsInPage">Records in the current page.</param>
    /// <param name="recordsSoFar">Records up to and including the current page.</param>
    /// <param name="body">The current page's body, which <paramref name="scan"/> points into.</param>
    public Uri? Next(Uri current, Uri retrievedFrom, in PageScan scan, HttpResponseHeaders headers, int pageNumber, int recordsInPage, long recordsSoFar, ReadOnlySpan<byte> body)
    {
        var o = _options;
        if (o.Style == Pagination.None
            || (o.MaxPages > 0 && pageNumber >= o.MaxPages)
            || (o.MaxRecords > 0 && recordsSoFar >= o.MaxRecords)
            || scan.HasMore == false)
        {
            return null;
        }

        bool empty = recordsInPage == 0;
        Learn(scan);
        switch (o.Style)
        {
            case Pagination.Offset:
            {
                // A page shorter than PageSize is the last only when no total or has-more says otherwise: an API may cap the limit.
                if (empty || (o.PageSize > 0 && recordsInPage < o.PageSize && scan.Total is null && scan.HasMore != true))
                {
                    return null;
                }

                long next = ReadNumber(current, o.EffectiveOffsetParam, 0) + recordsInPage;
                if (scan.Total is long total && next >= total)
                {
                    return null;
                }

                if (o.PageSize > 0)
                {
                    // Pages that were not the last tell how many the API serves: the same short length twice in a row when it caps
                    // the limit; a full page again after a one-off short page (then the step is PageSize again).
                    long shortLength = recordsInPage < o.PageSize ? recordsInPage : 0;
                    Volatile.Write(ref _served, shortLength > 0 && shortLength == Volatile.Read(ref _lastShort) ? shortLength : 0);
                    Volatile.Write(ref _lastShort, shortLength);
                }

                return NotRepeated(QueryString.Set(current, o.EffectiveOffsetParam, Format(next)), scan, body, pageNumber, o.EffectiveOffsetParam, "OffsetParam (and LimitParam)");
            }

            case Pagination.PageNumber:
            {
                long page = ReadNumber(current, o.EffectivePageParam, o.FirstPage);
                if (empty || (scan.TotalPages is long pages && page >= o.FirstPage + pages - 1))
                {
                    return null;
                }

                return NotRepeated(QueryString.Set(current, o.EffectivePageParam, Format(page + 1)), scan, body, pageNumber, o.EffectivePageParam, "PageParam");
            }
        }

        if (empty && o.StopOnEmptyPage)
        {
            return null;
        }

        switch (o.Style)
        {
            case Pagination.Cursor:
                return FromCursor(current, scan.Cursor, scan.HasMore, $"the body at '{o.CursorPath}'");
            case Pagination.HeaderCursor:
                return FromCursor(current, headers.TryGetValues(o.CursorHeader!, out var values) ? values.FirstOrDefault() : null, scan.HasMore, $"the '{o.CursorHeader}' header");
            case Pagination.NextUrl:
                return FromUrl(current, retrievedFrom, scan.NextUrl, $"the body at '{o.NextUrlPath}'");
            case Pagination.LinkHeader:
                return FromUrl(current, retrievedFrom, headers.TryGetValues("Link", out var links) ? LinkHeader.Find(links, "next") : null, "the Link header");
            default:
                return null;
        }
    }

    /// <summary>
    /// The request after a page that failed and is skipped, when it can be computed without that page's response:
    /// <see cref="Pagination.Offset"/> with a page size (offset + page size, or + the length of the page before when that page was short
    /// but not the last: an API that caps the limit) and <see cref="Pagination.PageNumber"/> (page + 1).
    /// </summary>
    public bool CanSkipFailedPage => _options.Style == Pagination.PageNumber || (_options.Style == Pagination.Offset && _options.PageSize > 0);

    /// <summary>
    /// The request after a failed page (see <see cref="CanSkipFailedPage"/>), or <see langword="null"/> when
    /// <see cref="PaginationOptions.MaxPages"/> is reached or a total read from a response says the current page is the last.
    /// </summary>
    public Uri? AfterFailedPage(Uri current, int pageNumber) => Step(current, pageNumber, Volatile.Read(ref _lastShort));

    /// <summary>The request <paramref name="offsetStep"/> records (0: a page size) or one page number after <paramref name="current"/>.</summary>
    private Uri? Step(Uri current, int pageNumber, long offsetStep)
    {
        var o = _options;
        if (o.MaxPages > 0 && pageNumber >= o.MaxPages)
        {
            return null;
        }

        var (param, next) = o.Style switch
        {
            Pagination.Offset => (o.EffectiveOffsetParam, ReadNumber(current, o.EffectiveOffsetParam, 0) + (offsetStep > 0 ? offsetStep : o.PageSize)),
            Pagination.PageNumber => (o.EffectivePageParam, ReadNumber(current, o.EffectivePageParam, o.FirstPage) + 1),
            _ => (null, 0),
        };
        return param is null || next > Volatile.Read(ref _last) ? null : QueryString.Set(current, param, Format(next));
    }

    /// <summary>
    /// The request to fetch ahead after <paramref name="current"/> (the design's <c>KnownPages</c> / <c>CalculatedOffsets</c>):
    /// like <see cref="AfterFailedPage"/>, but stepping offsets by a capped page length only once two short pages in a row agree on
    /// it, never past the page where full pages reach <see cref="PaginationOptions.MaxRecords"/>; and when the pagination reads a total (<see cref="PaginationOptions.TotalPagesPath"/>,
    /// <see cref="PaginationOptions.TotalPath"/>) nothing is fetched ahead before the first response has said how many there are,
    /// so no request goes past the last page. A first response without the total falls back to fetching ahead unbounded.
    /// </summary>
    public Uri? Ahead(Uri current, int pageNumber)
    {
        // Full pages before the next one would reach MaxRecords: it is not needed (with shorter pages, Next asks for it in turn).
        if (_options is { MaxRecords: > 0, PageSize: > 0 } o && (long)pageNumber * o.PageSize >= o.MaxRecords)
        {
            return null;
        }

        bool readsTotal = _options.Style switch
        {
            Pagination.Offset => _options.TotalPath is not null,
            Pagination.PageNumber => _options.TotalPagesPath is not null,
            _ => false,
        };
        return readsTotal && !_answered ? null : Step(current, pageNumber, Volatile.Read(ref _served));
    }

    /// <summary>Whether a response's total has said where the pages end (then <see cref="Ahead"/> never goes past it).</summary>
    public bool KnowsEnd => Volatile.Read(ref _last) != NoEnd;

    /// <summary>Remembers the end a response's total gives: the last offset below the total, or the last page number.</summary>
    private void Learn(in PageScan scan)
    {
        var o = _options;
        if (o.Style == Pagination.Offset && scan.Total is long total && o.PageSize > 0)
        {
            Volatile.Write(ref _last, total - 1);
        }
        else if (o.Style == Pagination.PageNumber && scan.TotalPages is long pages)
        {
            Volatile.Write(ref _last, o.FirstPage + pages - 1);
        }

        _answered = true;
    }

    /// <summary>
    /// Returns <paramref name="next"/> unless the second page holds exactly the first page's records. An API that does not read the
    /// offset or page parameter (a misspelt <c>OffsetParam</c> or <c>PageParam</c>) answers every request with the first page, and as
    /// the pages are full (or say there are more) the run would never end: it fails at the second page instead. Only the first two
    /// pages are compared, one hash each.
    /// </summary>
    private Uri NotRepeated(Uri next, in PageScan scan, ReadOnlySpan<byte> body, int pageNumber, string param, string setting)
    {
        if (pageNumber > 2 || scan.RecordsLength == 0)
        {
            return next;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body.Slice(scan.RecordsStart, scan.RecordsLength), hash);
        if (pageNumber == 1)
        {
            _firstPage = hash.ToArray();
            return next;
        }

        if (_firstPage is not null && hash.SequenceEqual(_firstPage))
        {
            throw Fail($"the second page holds exactly the records of the first; the API seems to ignore the '{param}' parameter, so every request would return the first page again: set {setting} of [Paginated] to the name the API reads", ExtractionErrorKind.PaginationLoop);
        }

        _firstPage = null;
        return next;
    }

    /// <summary>
    /// For a <c>304 Not Modified</c> page of a pagination carried in headers: where the page leads now, when the answer carries the
    /// header (<c>Link</c>, or the cursor header), as a cache takes a 304's header fields over the stored response's (RFC 9111 §4.3.4);
    /// <paramref name="carried"/> is <see langword="false"/> when it carries none, and where the page led before stands.
    /// </summary>
    public Uri? NextFromHeaders(Uri current, Uri retrievedFrom, HttpResponseHeaders headers, out bool carried)
    {
        var o = _options;
        if (o.Style == Pagination.HeaderCursor && headers.TryGetValues(o.CursorHeader!, out var values))
        {
            carried = true;
            return FromCursor(current, values.FirstOrDefault(), null, $"the '{o.CursorHeader}' header");
        }

        if (o.Style == Pagination.LinkHeader && headers.TryGetValues("Link", out var links))
        {
            // The field counts when it holds pagination links (a last page's has rel="prev" or "first", as GitHub's pages do), not others only.
            string? next = LinkHeader.Find(links, "next");
            if (next is not null || LinkHeader.Find(links, "prev") is not null || LinkHeader.Find(links, "first") is not null || LinkHeader.Find(links, "last") is not null)
            {
                carried = true;
                return FromUrl(current, retrievedFrom, next, "the Link header");
            }
        }

        carried = false;
        return null;
    }

    private Uri? FromCursor(Uri current, string? cursor, bool? hasMore, string source)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            if (hasMore == true)
            {
                throw Fail($"{_options.HasMorePath} says there are more pages but {source} holds no cursor", ExtractionErrorKind.UnexpectedShape);
            }

            return null;
        }

        if (!_seen.Add(cursor))
        {
            throw Fail($"{source} returned the cursor '{cursor}' a second time; following it would loop forever", ExtractionErrorKind.PaginationLoop);
        }

        return QueryString.Set(current, _options.EffectiveCursorParam, cursor);
    }

    /// <summary>
    /// The next link <paramref name="next"/>, resolved against <paramref name="retrievedFrom"/> (the response's URL after redirects);
    /// a loop when it was seen before or leads back to the current request or to where its response came from.
    /// </summary>
    private Uri? FromUrl(Uri current, Uri retrievedFrom, string? next, string source)
    {
        if (string.IsNullOrWhiteSpace(next))
        {
            return null;
        }

        if (!Uri.TryCreate(retrievedFrom, next.Trim(), out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw Fail($"{source} holds '{UrlRedactor.Redact(next)}', which is not an http(s) URL", ExtractionErrorKind.UnexpectedShape);
        }

        if (!_seen.Add(uri.AbsoluteUri) || uri == current || uri == retrievedFrom)
        {
            throw Fail($"{source} points to {UrlRedactor.Redact(uri)} a second time; following it would loop forever", ExtractionErrorKind.PaginationLoop);
        }

        return uri;
    }

    private static PaginatorException Fail(string message, ExtractionErrorKind kind) => new(message, kind);

    private static long ReadNumber(Uri uri, string name, long fallback)
    {
        string query = uri.Query;
        if (query.Length <= 1)
        {
            return fallback;
        }

        foreach (var range in query.AsSpan(1).Split('&'))
        {
            var pair = query.AsSpan(1)[range];
            int eq = pair.IndexOf('=');
            if (eq > 0 && Uri.UnescapeDataString(pair[..eq].ToString()) == name && long.TryParse(pair[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                return n;
            }
        }

        return fallback;
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The loop guard's memory: the last <see cref="Window"/> cursors or next URLs, kept as 64-bit FNV-1a hashes in a ring, so a run's
    /// memory does not grow with its page count (a run of 50,000 pages kept 50,000 strings before). A loop longer than the window is
    /// not detected; <see cref="PaginationOptions.MaxPages"/> remains the backstop.
    /// </summary>
    private sealed class RecentValues
    {
        public const int Window = 1024;
        private readonly ulong[] _ring = new ulong[Window];
        private readonly HashSet<ulong> _set = new(Window);
        private int _next;

        /// <summary>Remembers <paramref name="value"/>; <see langword="false"/> when it is among the recent ones already.</summary>
        public bool Add(string value)
        {
            ulong hash = 14695981039346656037UL;
            foreach (char c in value)
            {
                hash = (hash ^ c) * 1099511628211UL;
            }

            if (!_set.Add(hash))
            {
                return false;
            }

            if (_set.Count > Window)
            {
                _set.Remove(_ring[_next]);
            }

            _ring[_next] = hash;
            _next = (_next + 1) % Window;
            return true;
        }
    }

    /// <summary>Pagination went wrong; the extractor adds the page and URL.</summary>
    internal sealed class PaginatorException(string message, ExtractionErrorKind kind) : Exception(message)
    {
        public ExtractionErrorKind Kind { get; } = kind;
    }
}
