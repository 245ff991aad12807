using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Polly;

namespace ApiPipeline;

/// <summary>
/// The engine behind every generated extractor: sends each page's request, reads the body into a pooled buffer, parses records,
/// cursor and totals in one pass and asks the <see cref="Paginator"/> for the next request. A page is yielded only once it has been
/// read and validated in full. Each page runs through one Polly <see cref="ResiliencePipeline"/> per extractor instance (total timeout →
/// retry → circuit breaker → rate limiter → per-attempt timeout), built from <see cref="ExtractorDefinition{TIn, TOut}.Resilience"/> or
/// <see cref="ExtractorOptions.Resilience"/>; an attempt is send + read + parse, so a retried page starts from nothing.
/// </summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The record type.</typeparam>
public sealed class HttpExtractor<TIn, TOut> : IExtractor<TIn, TOut>
{
    private const int SnippetChars = 300;
    private const int BodySnippetChars = 1000;
    private readonly ExtractorDefinition<TIn, TOut> _definition;
    private readonly HttpClient _http;
    private readonly ExtractorOptions _options;
    private readonly PaginationOptions _pagination;
    private readonly PageLayout _layout;
    private readonly Uri _baseUrl;
    private string? _root;
    private readonly ResilienceOptions _resilience;
    private readonly ResiliencePipeline _pipeline;
    private readonly HostRateLimiter? _limiter;
    private readonly Authenticator? _auth;
    private readonly SecretScrubber _secrets = new();
    private readonly TimeProvider _clock;
    private readonly TimeSpan _maxRetryAfter;
    private readonly Microsoft.Extensions.Logging.ILogger? _logger;

    /// <summary>Whether the OAuth token endpoint is on the rate-limited host, so that a token request costs the limiter's tokens too.</summary>
    private readonly bool _tokensFromLimitedHost;
    private JsonTypeInfo<TOut>? _typeInfo;

    /// <summary>Creates the engine for one extractor.</summary>
    /// <param name="definition">The generated definition.</param>
    /// <param name="httpClient">The client to send requests with; <see langword="null"/> for a shared one.</param>
    /// <param name="options">Run-time overrides.</param>
    public HttpExtractor(ExtractorDefinition<TIn, TOut> definition, HttpClient? httpClient = null, ExtractorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definition = definition;
        _options = options ?? new ExtractorOptions();
        _pagination = _options.Apply(definition.Pagination);
        _pagination.Validate(definition.Name);
        TimeWindows = _options.TimeWindows ?? definition.TimeWindows;
        TimeWindows?.Validate(definition.Name);
        if (TimeWindows is not null && definition.Watermark is not { Kind: WatermarkKind.Timestamp, Param: not null, UntilParam: not null })
        {
            // What APP0008 checks for [TimeWindows]: without both bounds each window would ask for the whole rest of the range.
            throw new ArgumentException($"Extractor '{definition.Name}': TimeWindows needs a timestamp [Watermark] with Param and UntilParam, which carry each window's bounds to the API; add UntilParam (and Param) to its [Watermark], or leave ExtractorOptions.TimeWindows unset.", nameof(options));
        }

        ConditionalRequests = _options.ConditionalRequests ?? definition.ConditionalRequests;
        if (ConditionalRequests && _pagination.MaxConcurrent > 1)
        {
            // What APP1107 checks for the attributes: a 304 page leads to where it led last time, which only a sequential run can follow.
            throw new ArgumentException($"Extractor '{definition.Name}': conditional requests ([ConditionalRequests] or ExtractorOptions.ConditionalRequests) need sequential pagination, but MaxConcurrent is {_pagination.MaxConcurrent}; set MaxConcurrent to 1 (in [Paginated] or ExtractorOptions.MaxConcurrent), or turn conditional requests off (ExtractorOptions.ConditionalRequests = false; in a host's settings \"ConditionalRequests\": false, in a pipeline file conditional_requests: false).", nameof(options));
        }

        _layout = new PageLayout(_pagination);
        string baseUrl = _options.BaseUrl ?? definition.BaseUrl;
        if (BaseUrls.Problem(baseUrl) is { } problem)
        {
            throw new ArgumentException($"Extractor '{definition.Name}': the base URL '{UrlRedactor.Redact(baseUrl)}' {problem}.", nameof(options));
        }

        _baseUrl = new Uri(baseUrl, UriKind.Absolute);
        _clock = _options.TimeProvider ?? TimeProvider.System;
        _resilience = _options.Resilience ?? definition.Resilience ?? ResilienceOptions.None;
        _resilience.Validate(definition.Name);
        _http = httpClient ?? SharedHttp.For(_resilience.Timeout);
        _logger = _options.LoggerFactory?.CreateLogger(Log.Category);
        _maxRetryAfter = _resilience.Retry?.MaxRetryAfter ?? RetryOptions.DefaultMaxRetryAfter;
        _limiter = _resilience.RateLimit is { } rateLimit ? HostRateLimiters.For(_baseUrl, rateLimit, _clock) : null;
        var auth = _options.Auth ?? definition.Auth;
        auth?.Validate(definition.Name);
        if (auth is { Kind: not AuthKind.None })
        {
            _auth = new Authenticator(auth, _options.Credentials ?? EnvironmentCredentialSource.Instance, _http, _clock, _secrets, definition.Name, _logger);
            _tokensFromLimitedHost = _limiter is not null && auth.TokenUrl is { } tokenUrl && SameOrigin(new Uri(tokenUrl, UriKind.Absolute), _baseUrl);
        }

        foreach (var (name, value) in _options.Headers ?? new Dictionary<string, string>())
        {
            foreach (var secret in HeaderSecrets(name, value))
            {
                _secrets.Add(secret);
            }
        }

        _pipeline = PageResilience.Build(definition.Name, _resilience, _clock, _limiter, _maxRetryAfter, _logger);
    }

    /// <inheritdoc/>
    public string Name => _definition.Name;

    /// <summary>The pagination in force: the attributes' settings with <see cref="ExtractorOptions"/> applied.</summary>
    public PaginationOptions Pagination => _pagination;

    /// <summary>The resilience settings in force: <see cref="ExtractorOptions.Resilience"/>, else the attributes'.</summary>
    public ResilienceOptions Resilience => _resilience;

    /// <inheritdoc/>
    public ErrorMode OnError => _resilience.OnError;

    /// <summary>
    /// Whether the extractor sends conditional requests: <see cref="ExtractorOptions.ConditionalRequests"/>, else
    /// <see cref="ExtractorDefinition{TIn, TOut}.ConditionalRequests"/> (<see cref="ConditionalRequestsAttribute"/>).
    /// </summary>
    public bool ConditionalRequests { get; }

    /// <summary>OAuth 2.0 access tokens fetched by this instance so far.</summary>
    internal int TokensFetched => _auth?.TokensFetched ?? 0;

    /// <summary>The absolute URL of the first request for <paramref name="input"/>.</summary>
    /// <param name="input">The input.</param>
    public Uri FirstRequestUrl(TIn input) => new Paginator(_pagination).First(Combine(_baseUrl, _definition.BuildRelativeUrl(input)));

    /// <inheritdoc/>
    public WatermarkOptions<TOut>? Watermark => _definition.Watermark;

    /// <inheritdoc/>
    public JsonTypeInfo<TOut> RecordTypeInfo => _typeInfo ??= _definition.RecordTypeInfo();

    /// <inheritdoc/>
    public TimeWindowOptions? TimeWindows { get; }

    /// <summary>The first request's URL relative to the base URL: what the input selects, without pagination or watermark parameters.</summary>
    /// <param name="input">The input.</param>
    public string PartitionKey(TIn input) => UrlRedactor.Key(_definition.BuildRelativeUrl(input));

    /// <summary>
    /// The input's secrets, of 4 characters or more, longest first: the values of the secret-looking query parameters of its first request (the base
    /// URL's and the template's too) and of its secret-looking members (as its description shows them: <c>***</c>).
    /// </summary>
    private string[] SecretValuesOf(TIn input)
    {
        if (input is null)
        {
            return [];
        }

        var values = new List<string>();
        try
        {
            values.AddRange(UrlRedactor.SensitiveValues(FirstRequestUrl(input)));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NullReferenceException)
        {
            // An input that builds no URL (the default one a replay passes) has no query of its own.
        }

        return SecretText.Longest([.. values, .. SecretText.MemberValues(input, RecordTypeInfo.Options)]);
    }

    /// <inheritdoc/>
    public PageCheckpoint? StartAt(TIn input, WatermarkValue? since, WatermarkValue? until)
    {
        var watermark = _definition.Watermark;
        var parameters = new List<KeyValuePair<string, string>>(2);
        if (since is { } from && watermark?.Param is { } sinceParam)
        {
            parameters.Add(new(sinceParam, from.ToQueryText()));
        }

        if (until is { } to && watermark?.UntilParam is { } untilParam)
        {
            parameters.Add(new(untilParam, to.ToQueryText()));
        }

        if (parameters.Count == 0)
        {
            return null;
        }

        return Checkpoint(QueryString.Set(FirstRequestUrl(input), [.. parameters]), 1, 0, new InputSecrets(this, input));
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<Page<TOut>> ExtractPagesAsync(TIn input, PageCheckpoint? resumeFrom = null, CancellationToken cancellationToken = default)
        => PageCollector<TOut>.PagesAsync(this, input, resumeFrom, _pagination.PageSize > 0 ? _pagination.PageSize : PageCollector<TOut>.DefaultCapacity, acceptsRejects: false, cancellationToken);

    /// <inheritdoc/>
    public async Task ExtractIntoAsync(TIn input, PageCheckpoint? resumeFrom, IPageSink<TOut> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var typeInfo = _typeInfo ??= _definition.RecordTypeInfo();
        var paginator = new Paginator(_pagination);
        var secrets = new InputSecrets(this, input);
        Uri? url = resumeFrom is null ? FirstRequestUrl(input) : ResumeUrl(resumeFrom, secrets);
        int capacity = _pagination.PageSize > 0 ? _pagination.PageSize : 64;
        var page = new PageTarget(sink, _pagination.MaxRecords);
        var run = new PageRun(this, input, typeInfo, page)
        {
            Secrets = secrets,
            PageNumber = resumeFrom?.PageNumber ?? 1,
            RecordsBefore = resumeFrom?.RecordsBefore ?? 0,
        };
        // Passthrough records point into the reader's buffer: it may be reused from page to page only if the sink keeps no records.
        run.Reader.RecordsKept = sink is not IConsumingPageSink { ConsumesRecords: true };
        bool mayContinue = _resilience.OnError != ErrorMode.FailFast && paginator.CanSkipFailedPage;
        int failuresInARow = 0;

        // Pages whose URL is known before the previous response (offset with a page size, page numbers) are fetched up to
        // MaxConcurrent at a time into their own buffers, and handed to the sink in order.
        using var ahead = _pagination.MaxConcurrent > 1 && paginator.CanSkipFailedPage
            ? new PrefetchWindow(this, input, secrets, typeInfo, capacity, _pagination.MaxConcurrent, page.AcceptsRejects, paginator, cancellationToken)
            : null;
        run.Window = ahead;
        // With conditional requests a 304 leads where its page led before, past the paginator's loop guard: the request keys of this
        // input tell a page asked for twice (one key per page, as the validators the sink holds).
        var requested = ConditionalRequests ? new HashSet<string>(StringComparer.Ordinal) : null;
        // A 304 of a pagination read from the response (a cursor, a next URL or link) that led where its page led when it was written:
        // if the API refuses that page now (dropped from the end of a listing, a cursor expired), the unchanged page is asked for once
        // more in full, its records recognised by its validator and not written again, and the pagination follows where it leads today.
        (Uri Url, string Key)? ledBy = null;
        bool askInFull = false;
        // A run that stopped after such a 304 resumes where it led: if the API refuses that page, the page that led there is found
        // among the remembered ones and asked for again in the same way.
        bool resumedAtLead = resumeFrom is { PageNumber: > 1 } && requested is not null && LedFromResponse;
        try
        {
            while (url is not null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var current = run;
                var fetch = ahead?.Take(url, run, out current);
                if (fetch is null)
                {
                    run.Start(url);
                    if (requested is not null)
                    {
                        run.RequestKey = RequestKey(url);
                        if (!requested.Add(run.RequestKey))
                        {
                            throw Error(run, ExtractionErrorKind.PaginationLoop, $"the pagination came back to {run.ShownUrl}, a page this input already requested (a next page, or where an unchanged page led when it was written); following it would loop forever");
                        }

                        // The validator of the page as it was when its records were made durable, if the sink holds one, sent with the
                        // request; but not for the last page of a pagination carried in headers (Link, a cursor header): a body's ETag does
                        // not cover the header that would now lead to a new page, so that page is asked for in full (and still recognised).
                        run.Known = await sink.KnownPageAsync(run.RequestKey, cancellationToken).ConfigureAwait(false);
                        run.Conditional = run.Known is not null && !askInFull && !(run.Known.Next is null && _pagination.Style is ApiPipeline.Pagination.LinkHeader or ApiPipeline.Pagination.HeaderCursor);
                        askInFull = false;
                    }
                }

                var span = Instruments.StartSpan("apipipeline.page", ActivityKind.Client);
                HttpResponseMessage? response = null;
                ExtractionException? failure = null;
                ExtractionException? refused = null;
                try
                {
                    response = fetch is null
                        ? await FetchAsync(run, cancellationToken).ConfigureAwait(false)
                        : await fetch.ConfigureAwait(false);
                }
                catch (ExtractionException ex) when (fetch is not null && Rebased(ex, current))
                {
                    throw; // Not reached: Rebased returns false.
                }
                catch (ExtractionException ex) when ((ledBy is not null || resumedAtLead) && Refused(ex))
                {
                    refused = ex;
                }
                catch (ExtractionException ex) when (mayContinue && !PageResilience.EndsRun(ex.Kind) && failuresInARow < _resilience.MaxConsecutivePageFailures)
                {
                    failure = ex;
                }
                catch (Exception ex) when (PageFailed(span, current, ex))
                {
                    throw; // Not reached: PageFailed ends the span and returns false.
                }

                if (failure is not null)
                {
                    PageFailed(span, current, failure);
                    // The next page is computable without this one's response: skip it, carrying the error, and go on.
                    failuresInARow++;
                    var after = paginator.AfterFailedPage(url, run.PageNumber);
                    var skipTo = after is null ? null : Checkpoint(after, run.PageNumber + 1, run.RecordsBefore, secrets);
                    int droppedAhead = ahead is null ? 0 : after is null ? await ahead.FinishAsync().ConfigureAwait(false) : ahead.TakeDropped();
                    page.BeginPage(run.RecordsBefore);
                    await page.EndPageAsync(new PageInfo(run.PageNumber, current.ShownUrl, 0, 0, skipTo) { Attempts = failure.Attempts, DroppedRequests = droppedAhead, Throttled = current.Throttled, Error = failure }, cancellationToken).ConfigureAwait(false);
                    current.Release(run);
                    url = after;
                    run.PageNumber++;
                    continue;
                }

                if (refused is not null)
                {
                    PageFailed(span, current, refused);
                    var back = ledBy ?? await RememberedLeadAsync(input, secrets, run.RequestKey!, sink, cancellationToken).ConfigureAwait(false);
                    ledBy = null;
                    resumedAtLead = false;
                    if (back is null)
                    {
                        throw refused;
                    }

                    if (_logger is not null)
                    {
                        Log.LeadRefused(_logger, Name, run.PageNumber, current.ShownUrl, (int)refused.StatusCode!.Value);
                    }

                    // Once: the page it leads to now is asked for again, and if the API refuses it again, that error stands. The page
                    // read again keeps its number; the refused request is counted now, as a request no page stands for.
                    (url, string key) = back.Value;
                    requested!.Remove(key);
                    requested.Remove(run.RequestKey!);
                    askInFull = true;
                    page.CountUnpaged(refused.Attempts, current.Throttled);
                    run.PageNumber--;
                    continue;
                }

                ledBy = null;
                resumedAtLead = false;
                failuresInARow = 0;
                if (current.NotModified)
                {
                    // 304 to the request that carried the validator: the page's records landed in an earlier run. The sink gets it empty,
                    // as a skipped page, and the pagination continues where the page led then, as a resume from that checkpoint does;
                    // or, for a pagination carried in headers, where the 304's own header leads, when it carries one.
                    var known = current.Known!;
                    Uri? fresh;
                    bool carried;
                    using (response)
                    {
                        try
                        {
                            fresh = Cleaned(paginator.NextFromHeaders(url, response!.RequestMessage?.RequestUri is { IsAbsoluteUri: true } answered ? answered : url, response.Headers, out carried));
                        }
                        catch (Paginator.PaginatorException ex)
                        {
                            page.AbortPage();
                            var error = Error(current, ex.Kind, ex.Message, response!.StatusCode);
                            PageFailed(span, current, error);
                            throw error;
                        }
                    }

                    bool stopped = _pagination.MaxPages > 0 && run.PageNumber >= _pagination.MaxPages;
                    bool last = carried ? fresh is null : known.Next is null;
                    var after = last || stopped ? null : carried ? fresh : ResumeUrl(known.Next!, secrets);
                    ledBy = after is not null && !carried && LedFromResponse ? (url, current.RequestKey!) : null;
                    var led = after is null ? null : Checkpoint(after, run.PageNumber + 1, run.RecordsBefore, secrets);
                    PageRead(span, current, 0, HttpStatusCode.NotModified);
                    await page.EndPageAsync(Unchanged(current, run.PageNumber, 0, led, endsInput: last && !stopped), cancellationToken).ConfigureAwait(false);
                    Instruments.PageNotModified(Name);
                    current.Release(run);
                    url = after;
                    run.PageNumber++;
                    continue;
                }

                // The last page of a pagination carried in headers, asked for in full, answered with the validator its records landed
                // under: they are not written again (nor counted towards MaxRecords); only its headers were needed.
                bool landed = current.Known is { } landedPage && !current.Conditional && ValidatorOf(response!).Validator == landedPage.Validator;
                Uri? next;
                using (response)
                {
                    if (current.Collected is { } collected)
                    {
                        // A prefetched page was parsed into its own list: hand it over now that its turn has come, the records that
                        // did not fit among the others in page order (MaxRecords cuts the page where a sequential run would).
                        page.BeginPage(run.RecordsBefore);
                        int rejected = 0;
                        for (int i = 0; i <= collected.Records.Count; i++)
                        {
                            for (; rejected < collected.Rejected.Count && collected.Rejected[rejected].Before == i; rejected++)
                            {
                                page.Reject(collected.Rejected[rejected].Json, collected.Rejected[rejected].Reason);
                            }

                            if (i < collected.Records.Count)
                            {
                                page.Add(collected.Records[i]);
                            }
                        }
                    }

                    try
                    {
                        // Records diverted as not fitting were still in the response: offsets advance past them too. A relative
                        // next link is relative to where the response came from, after any redirects (RFC 3986 §5.1.3).
                        var retrievedFrom = response!.RequestMessage?.RequestUri is { IsAbsoluteUri: true } answered ? answered : url;
                        next = Cleaned(paginator.Next(url, retrievedFrom, current.Scan, response.Headers, run.PageNumber, page.Count + page.Rejected, run.RecordsBefore + (landed ? 0 : page.Count), current.Body.Span));
                    }
                    catch (Paginator.PaginatorException ex)
                    {
                        page.AbortPage();
                        var error = Error(current, ex.Kind, ex.Message, response!.StatusCode);
                        PageFailed(span, current, error);
                        throw error;
                    }
                }

                if (landed)
                {
                    // Not written again: where it leads now is all the page had to say.
                    page.AbortPage();
                    page.BeginPage(run.RecordsBefore);
                    var onward = next is null ? null : Checkpoint(next, run.PageNumber + 1, run.RecordsBefore, secrets);
                    bool cut = _pagination.MaxPages > 0 && run.PageNumber >= _pagination.MaxPages;
                    PageRead(span, current, 0, response!.StatusCode);
                    await page.EndPageAsync(Unchanged(current, run.PageNumber, current.Body.Length, cut ? null : onward, endsInput: next is null && !cut), cancellationToken).ConfigureAwait(false);
                    Instruments.PageNotModified(Name);
                    current.Release(run);
                    url = cut ? null : next;
                    run.PageNumber++;
                    continue;
                }

                long recordsSoFar = run.RecordsBefore + page.Count;
                var checkpoint = next is null ? null : Checkpoint(next, run.PageNumber + 1, recordsSoFar, secrets);
                PageRead(span, current, page.Count, response!.StatusCode);

                // A page MaxRecords cut, or where MaxRecords or MaxPages may have ended the pagination, is not remembered: its Next is not the API's.
                bool limited = (_pagination.MaxRecords > 0 && recordsSoFar >= _pagination.MaxRecords) || (_pagination.MaxPages > 0 && run.PageNumber >= _pagination.MaxPages);
                var (validator, validatorKind) = current.RequestKey is null || limited ? (null, default) : ValidatorOf(response);

                // Requests of pages fetched ahead and dropped go with the page handed on next; after the last page, all of them.
                int dropped = ahead is null ? 0 : next is null ? await ahead.FinishAsync().ConfigureAwait(false) : ahead.TakeDropped();
                await page.EndPageAsync(new PageInfo(run.PageNumber, current.ShownUrl, page.Count, current.Body.Length, checkpoint) { Attempts = current.Attempts, DroppedRequests = dropped, Throttled = current.Throttled, Total = current.Scan.Total, RequestKey = current.RequestKey, Validator = validator, ValidatorKind = validatorKind, EndsInput = next is null && !limited }, cancellationToken).ConfigureAwait(false);

                // Counted once the sink has taken the page (a time window's first page may show the window too deep: read, not taken).
                Instruments.Page(Name, page.Count, current.Body.Length);
                current.Release(run);
                url = next;
                run.PageNumber++;
                run.RecordsBefore = recordsSoFar;
            }
        }
        catch (ExtractionException ex) when (ahead is not null)
        {
            // The failure ends the extraction: the pages fetched ahead are dropped, and their requests go with it.
            ex.DroppedRequests += await ahead.FinishAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            run.Dispose();
        }
    }

    /// <summary>
    /// Between the parser and the caller's sink: counts the page's records and keeps only those within
    /// <see cref="PaginationOptions.MaxRecords"/>.
    /// </summary>
    private sealed class PageTarget(IPageSink<TOut> sink, long maxRecords) : IPageSink<TOut>, IRecordRejects
    {
        private long _room;

        /// <summary>The records the current page handed on.</summary>
        public int Count;

        /// <summary>The records of the current page that did not fit the record type and were handed on as rejects.</summary>
        public int Rejected;

        public void BeginPage(long recordsBefore)
        {
            _room = maxRecords > 0 ? Math.Max(0, maxRecords - recordsBefore) : long.MaxValue;
            BeginPage();
        }

        public void BeginPage()
        {
            Count = 0;
            Rejected = 0;
            sink.BeginPage();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(TOut record)
        {
            if (Count < _room)
            {
                Count++;
                sink.Add(record);
            }
        }

        public ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default) => sink.EndPageAsync(page, cancellationToken);

        /// <summary>Requests no page stands for, counted by a pipeline run's sink (<see cref="IRunSink"/>).</summary>
        public void CountUnpaged(int attempts, TimeSpan throttled) => (sink as IRunSink)?.CountRequests(attempts, throttled);

        public bool AcceptsRejects => sink is IRecordRejects { AcceptsRejects: true };

        public void Reject(ReadOnlySpan<byte> json, string reason)
        {
            // A record past MaxRecords is not extracted, whether it fits or not: it is counted for the paginator, not handed on.
            Rejected++;
            if (Count < _room)
            {
                ((IRecordRejects)sink).Reject(json, reason);
            }
        }

        public void AbortPage()
        {
            Count = 0;
            Rejected = 0;
            sink.AbortPage();
        }
    }

    /// <summary>
    /// Fetches the pages after the current one ahead of time, for styles whose next URL does not depend on the response; each has its
    /// own buffer and record list. A page is taken only if the pagination actually arrives at its URL; the rest are cancelled and
    /// dropped. When the pagination reads a total, the window waits for the first response and never asks past the last page
    /// (<see cref="Paginator.Ahead"/>). A request stops counting against <c>MaxConcurrent</c> as soon as its body has arrived, and
    /// the next one is started right then, on the thread that received it, before that page is parsed and whatever the consumer
    /// is doing.
    /// </summary>
    private sealed class PrefetchWindow(HttpExtractor<TIn, TOut> owner, TIn input, InputSecrets secrets, JsonTypeInfo<TOut> typeInfo, int capacity, int size, bool acceptsRejects, Paginator paginator, CancellationToken cancellationToken) : IDisposable
    {
        // Taken by the consumer (Take, Dispose) and by every arrival (TopUp); everything below is read and written under it.
        private readonly Lock _gate = new();
        private readonly Queue<(PageRun Run, Task<HttpResponseMessage> Fetch)> _pages = new(size);
        private CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        private readonly List<Task> _settling = [];
        private PageRun? _current;
        private bool _toppingUp;
        private bool _disposed;

        /// <summary>Requests sent for dropped pages whose fetches have settled, not yet handed on (<see cref="TakeDropped"/>).</summary>
        private int _dropped;

        /// <summary>
        /// Makes <paramref name="url"/> the current page, numbered and counted as <paramref name="main"/> says: its prefetched fetch, or
        /// else <paramref name="main"/> started on it (everything prefetched is then dropped). Then tops up the window.
        /// </summary>
        public Task<HttpResponseMessage> Take(Uri url, PageRun main, out PageRun current)
        {
            lock (_gate)
            {
                Task<HttpResponseMessage> fetch;
                if (_pages.Count > 0 && _pages.Peek().Run.Url == url)
                {
                    (current, fetch) = _pages.Dequeue();
                    current.PageNumber = main.PageNumber;
                    current.RecordsBefore = main.RecordsBefore;
                }
                else
                {
                    Drop();
                    main.Start(url);
                    main.Arrived = false;
                    (current, fetch) = (main, owner.FetchAsync(main, cancellationToken).AsTask());
                }

                _current = current;
                TopUp();
                return fetch;
            }
        }

        /// <summary>Called on the thread that received a response body of this window: starts the requests it makes room for.</summary>
        public void Arrived()
        {
            lock (_gate)
            {
                TopUp();
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                Drop();
                _stop.Dispose();
            }
        }

        /// <summary>
        /// The pagination has ended: drops the pages fetched past its end, waits until every dropped page's fetch has settled (they
        /// are cancelled), and returns the requests sent for dropped pages that <see cref="TakeDropped"/> has not returned yet.
        /// </summary>
        public async Task<int> FinishAsync()
        {
            Task[] settling;
            lock (_gate)
            {
                _disposed = true;
                Drop();
                settling = [.. _settling];
                _settling.Clear();
            }

            await Task.WhenAll(settling).ConfigureAwait(false);
            return TakeDropped();
        }

        /// <summary>The requests sent for dropped pages whose fetches have settled since the last call.</summary>
        public int TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

        /// <summary>
        /// Starts fetching the pages after the current one while fewer than <c>MaxConcurrent</c> requests are in flight, counting the
        /// current page's own request until its body has arrived. Once a total says where the pages end, pages that have arrived and
        /// wait for their turn do not count (up to twice the window), so all <c>MaxConcurrent</c> requests stay busy. Without a known
        /// end at most <c>MaxConcurrent − 1</c> pages are asked for ahead, as few as can be wasted past the last page.
        /// </summary>
        private void TopUp()
        {
            // A fetch that completes synchronously inside the loop below arrives here again on the same thread: the loop counts it.
            if (_disposed || _toppingUp || _current is null)
            {
                return;
            }

            _toppingUp = true;
            try
            {
                var (last, number) = _pages.Count > 0 ? (_pages.Last().Run.Url, _current.PageNumber + _pages.Count) : (_current.Url, _current.PageNumber);
                int queued = paginator.KnowsEnd ? 2 * size : size - 1;
                int limit = _current.Arrived ? size : size - 1;
                while (_pages.Count < queued && InFlight() < limit && paginator.Ahead(last, number) is { } next)
                {
                    var collected = new ListSink<TOut>(new List<TOut>(capacity), acceptsRejects);
                    var run = new PageRun(owner, input, typeInfo, new PageTarget(collected, 0)) { PageNumber = ++number, Collected = collected, Window = this, Secrets = secrets };
                    run.Start(next);
                    _pages.Enqueue((run, owner.FetchAsync(run, _stop.Token).AsTask()));
                    last = next;
                }
            }
            finally
            {
                _toppingUp = false;
            }
        }

        private int InFlight()
        {
            int fetching = 0;
            foreach (var (run, fetch) in _pages)
            {
                if (!run.Arrived && !fetch.IsCompleted)
                {
                    fetching++;
                }
            }

            return fetching;
        }

        private void Drop()
        {
            if (_pages.Count == 0)
            {
                return;
            }

            _stop.Cancel();
            _stop.Dispose();
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _settling.RemoveAll(static task => task.IsCompleted);
            while (_pages.TryDequeue(out var page))
            {
                // Observe the outcome (a cancellation or a failure nobody will read), count the requests it sent (PipelineResult.Requests
                // counts every request) and free the page's buffer when it settles.
                _settling.Add(page.Fetch.ContinueWith(
                    static (task, state) =>
                    {
                        if (task.IsCompletedSuccessfully)
                        {
                            task.Result.Dispose();
                        }

                        _ = task.Exception;
                        var run = (PageRun)state!;
                        Interlocked.Add(ref run.Window!._dropped, run.Attempts);
                        run.Dispose();
                    },
                    page.Run,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default));
            }
        }
    }

    /// <summary>One page: straight to the attempt when the extractor has no resilience strategy, else through its pipeline.</summary>
    private ValueTask<HttpResponseMessage> FetchAsync(PageRun run, CancellationToken cancellationToken)
        => ReferenceEquals(_pipeline, ResiliencePipeline.Empty) ? AttemptAsync(run, cancellationToken) : ExecuteAsync(run, cancellationToken);

    /// <summary>One page through the resilience pipeline; Polly's rejections become <see cref="ExtractionException"/>s.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HttpResponseMessage> ExecuteAsync(PageRun run, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(PageResilience.PageKey, run);
        try
        {
            return await _pipeline.ExecuteAsync(static (ctx, state) => state.Owner.AttemptAsync(state, ctx.CancellationToken), context, run).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ExtractionException && !cancellationToken.IsCancellationRequested && PageResilience.Describe(ex, _resilience, run.Attempts) is { } rejection)
        {
            throw Error(run, rejection.Kind, rejection.Detail, null, ex, rejection.RetryAfter);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// One attempt: send, read the whole body, then parse it, handing each record to the page's target as it is read. An attempt that
    /// fails after the first record aborts the page, so a retry starts from nothing.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HttpResponseMessage> AttemptAsync(PageRun run, CancellationToken cancellationToken)
    {
        run.Attempts++;
        run.Arrived = false;
        var response = await SendAsync(run, cancellationToken).ConfigureAwait(false);
        run.Arrived = true;
        run.Window?.Arrived();
        if (_limiter is not null && response.RequestMessage?.RequestUri is { } answered && SameOrigin(answered, _baseUrl))
        {
            // Only the limited host's own quota headers say anything about its limit (not those of a host a redirect led to).
            var (remaining, resetIn) = RateLimitHeaders.Quota(response.Headers, _clock);
            _limiter.ObserveQuota(remaining, resetIn);
        }

        run.Target.BeginPage(run.RecordsBefore);
        if (run.NotModified)
        {
            // 304 Not Modified to a conditional request: the page holds nothing to parse (the loop hands it on as such).
            run.Scan = default;
            return response;
        }

        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            // 204 No Content: no records here, which ends the pagination as an empty page does.
            run.Scan = new PageScan { RecordsFound = true };
            return response;
        }

        try
        {
            run.Scan = PageParser.Parse(run.Body.Memory, _layout, run.Reader, run.Target);
            return response;
        }
        catch (Exception ex)
        {
            run.Target.AbortPage();
            response.Dispose();
            LearnSecrets(run);
            throw ex switch
            {
                PageShapeException shape => Error(run, shape.Kind, shape.Message, response.StatusCode, shape.InnerException),
                // A JsonException out of a well-formed body was thrown by the sink (the user's output, a PartitionBy): it is theirs.
                JsonException json when !PageParser.IsWellFormed(run.Body.Span) => Error(run, ExtractionErrorKind.InvalidJson, $"the body is not valid JSON ({json.Message}); content type '{response.Content.Headers.ContentType}', body starts: {HttpText.Snippet(run.Body.Span, SnippetChars, _secrets)}", response.StatusCode, json, bodySnippet: true),
                _ => ex,
            };
        }
    }

    /// <summary>
    /// The secrets a header of the settings carries, scrubbed like [Auth]'s: a cookie's values (of 8 characters or more, so that
    /// <c>lang=en</c> stays readable); an <c>Authorization</c>, <c>Proxy-Authorization</c> or secret-looking header's (<c>X-Api-Key</c>)
    /// value whole and without its scheme (<c>Bearer …</c>); the scrubber leaves out values shorter than <see cref="SecretText.MinLength"/>.
    /// </summary>
    internal static IEnumerable<string> HeaderSecrets(string name, string value)
    {
        if (name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
        {
            return value.Split(';').Select(cookie => cookie[(cookie.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim()).Where(v => v.Length >= 8);
        }

        return UrlRedactor.IsSensitive(name) || name.EndsWith("Authorization", StringComparison.OrdinalIgnoreCase)
            ? [value, value[(value.IndexOf(' ', StringComparison.Ordinal) + 1)..].Trim()]
            : [];
    }

    /// <summary>The most redirects one request follows.</summary>
    private const int MaxRedirects = 10;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HttpResponseMessage> SendAsync(PageRun run, CancellationToken cancellationToken)
    {
        bool refreshed = false;
        var target = run.Url;
        int redirects = 0;
        while (true)
        {
            // Credentials and the user's headers go only to the base URL's origin: a next link or a redirect elsewhere gets neither.
            bool home = SameOrigin(target, _baseUrl);
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            request.Headers.TryAddWithoutValidation("Accept", "application/json");
            if (run.Conditional && run.Known is { } known)
            {
                request.Headers.TryAddWithoutValidation(known.Kind == ValidatorKind.ETag ? "If-None-Match" : "If-Modified-Since", known.Validator);
            }

            if (home && _options.Headers is { } headers)
            {
                foreach (var (name, value) in headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }

            HttpResponseMessage? response = null;
            long sent = 0;
            try
            {
                if ((redirects > 0 || refreshed) && _limiter is not null && home)
                {
                    // The attempt took its lease (tokens and a concurrency slot) in the resilience pipeline; a redirect hop to the
                    // limited host, or the request sent again with a refreshed token, costs tokens too, within the same slot.
                    await HopLeaseAsync(run, cancellationToken).ConfigureAwait(false);
                }

                var (credential, tokenRequested) = _auth is null || !home ? (null, false) : await _auth.ApplyAsync(request, cancellationToken).ConfigureAwait(false);
                if (_tokensFromLimitedHost && tokenRequested)
                {
                    // An OAuth token request to the limited host went out on the tokens this request had taken: it takes others.
                    await HopLeaseAsync(run, cancellationToken).ConfigureAwait(false);
                }

                sent = Instruments.RequestsEnabled ? Stopwatch.GetTimestamp() : 0;
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (Redirects.Is(response.StatusCode) && response.Headers.Location is { } location)
                {
                    Measure(target, (int)response.StatusCode, null, sent);
                    target = Redirected(run, target, location, ++redirects, response.StatusCode);
                    response.Dispose();
                    continue;
                }

                if (response.StatusCode == HttpStatusCode.Unauthorized && _auth is { RefreshesOn401: true } && credential is not null && !refreshed)
                {
                    // The token may have been revoked or expired early: fetch a new one, once.
                    Measure(target, (int)response.StatusCode, StatusErrorType(response.StatusCode), sent);
                    refreshed = true;
                    _auth.Invalidate(credential);
                    response.Dispose();
                    continue;
                }

                run.NotModified = response.StatusCode == HttpStatusCode.NotModified && run.Conditional;
                if (run.NotModified)
                {
                    // The answer to the validator sent: no body to read (a 304 to a request without one stays an error, below).
                    Measure(target, (int)response.StatusCode, null, sent);
                    return response;
                }

                if (!response.IsSuccessStatusCode)
                {
                    await run.Body.ReadPrefixAsync(response.Content, 64 * 1024, cancellationToken).ConfigureAwait(false);
                    Measure(target, (int)response.StatusCode, StatusErrorType(response.StatusCode), sent);
                    throw StatusError(run, response);
                }

                await run.Body.ReadAsync(response.Content, _options.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
                Measure(target, (int)response.StatusCode, null, sent);
                return response;
            }
            catch (Exception ex) when (ex is not ExtractionException)
            {
                Measure(target, response is null ? 0 : (int)response.StatusCode, ex.GetType().Name, sent);
                response?.Dispose();
                throw ex switch
                {
                    AuthFailureException auth => Error(run, auth.Kind, auth.Message, auth.Status, auth.InnerException),
                    ResponseBuffer.BodyTooLargeException => Error(run, ExtractionErrorKind.BodyTooLarge, ex.Message, response?.StatusCode, ex),
                    OperationCanceledException when cancellationToken.IsCancellationRequested => ex,
                    OperationCanceledException => Error(run, ExtractionErrorKind.Timeout, $"the request timed out after {_http.Timeout.TotalSeconds:0.#} s", null, ex),
                    HttpRequestException or IOException => Error(run, ExtractionErrorKind.Transport, $"the request failed: {ex.Message}", response?.StatusCode, ex),
                    _ => ex,
                };
            }
            catch
            {
                response?.Dispose();
                throw;
            }
        }
    }

    /// <summary>The <c>error.type</c> of an answer outside 2xx and 3xx: its status code, as OpenTelemetry's HTTP conventions give it.</summary>
    private static string StatusErrorType(HttpStatusCode status) => ((int)status).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Waits for the host's rate limiter (its pause and tokens) before a redirect hop or a request sent again after a token refresh, as
    /// the resilience pipeline does before each attempt.
    /// </summary>
    private async ValueTask HopLeaseAsync(PageRun run, CancellationToken cancellationToken)
    {
        long started = _clock.GetTimestamp();
        using var lease = await _limiter!.AcquireAsync(_maxRetryAfter, cancellationToken, slot: false).ConfigureAwait(false);
        PageResilience.LimiterWaited(Name, _clock.GetElapsedTime(started), run, _logger);
        if (!lease.IsAcquired)
        {
            var wait = lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out TimeSpan pause) ? pause : (TimeSpan?)null;
            throw Error(run, ExtractionErrorKind.RateLimited, $"the client-side rate limiter refused a redirect hop or a request after a token refresh for longer than MaxRetryAfter ({Duration.Format(_maxRetryAfter)})", retryAfter: wait);
        }
    }

    /// <summary>Whether two URLs share scheme, host and port: where the extractor's credentials may be sent.</summary>
    private static bool SameOrigin(Uri url, Uri origin)
        => url.Port == origin.Port
            && string.Equals(url.Scheme, origin.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(url.Host, origin.Host, StringComparison.OrdinalIgnoreCase);

    private static string Origin(Uri url) => $"{url.Scheme}://{url.IdnHost}:{url.Port}";

    /// <summary>Where a redirect from <paramref name="from"/> leads; never from https to http, and at most <see cref="MaxRedirects"/> times.</summary>
    private Uri Redirected(PageRun run, Uri from, Uri location, int redirects, HttpStatusCode status)
    {
        // A redirect that is not followed fails as the 3xx status it is (not retried: asking again gives the same answer).
        var to = location.IsAbsoluteUri ? location : new Uri(from, location);
        if (redirects > MaxRedirects)
        {
            throw Error(run, ExtractionErrorKind.HttpStatus, $"the API redirected more than {MaxRedirects} times (last to '{UrlRedactor.Redact(to)}')", status);
        }

        if ((to.Scheme != Uri.UriSchemeHttps && to.Scheme != Uri.UriSchemeHttp) || (from.Scheme == Uri.UriSchemeHttps && to.Scheme != Uri.UriSchemeHttps))
        {
            throw Error(run, ExtractionErrorKind.HttpStatus, $"the API redirected from '{from.Scheme}' to '{UrlRedactor.Redact(to)}', which is not followed (only to https, or http from http)", status);
        }

        // A redirect may carry secrets of its own (a presigned URL): the scrubber learns them before anything from there is shown.
        foreach (var value in UrlRedactor.SensitiveValues(to))
        {
            _secrets.Add(value);
        }

        // Leaving the origin, the query API key a kept query would carry goes no further.
        return _auth is not null && !SameOrigin(to, _baseUrl) ? _auth.WithoutCredentials(to) : to;
    }

    /// <summary>
    /// A page the sink gets as not modified (a 304, or a last page recognised by its validator): no records, the validator it was
    /// recognised by, and where it leads now.
    /// </summary>
    private static PageInfo Unchanged(PageRun current, int number, long bytesRead, PageCheckpoint? next, bool endsInput)
        => new(number, current.ShownUrl, 0, bytesRead, next)
        {
            Attempts = current.Attempts,
            Throttled = current.Throttled,
            RequestKey = current.RequestKey,
            Validator = current.Known!.Validator,
            ValidatorKind = current.Known.Kind,
            NotModified = true,
            EndsInput = endsInput,
        };

    /// <summary>Whether the next page is read from each response (a cursor, a next URL or link), so a stored one can go stale.</summary>
    private bool LedFromResponse => _pagination.Style is ApiPipeline.Pagination.Cursor or ApiPipeline.Pagination.HeaderCursor or ApiPipeline.Pagination.NextUrl or ApiPipeline.Pagination.LinkHeader;

    /// <summary>
    /// The remembered page that leads to the page with <paramref name="targetKey"/>: found by following the remembered pages (their stored
    /// next pages) from the first page of the input's run, or <see langword="null"/> when that path breaks off first.
    /// </summary>
    private async ValueTask<(Uri Url, string Key)?> RememberedLeadAsync(TIn input, InputSecrets secrets, string targetKey, IPageSink<TOut> sink, CancellationToken cancellationToken)
    {
        var url = (sink as IRunSink)?.InputStart is { } start ? ResumeUrl(start, secrets) : FirstRequestUrl(input);
        var followed = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            string key = RequestKey(url);
            if (!followed.Add(key) || await sink.KnownPageAsync(key, cancellationToken).ConfigureAwait(false) is not { Next: { } next })
            {
                return null;
            }

            var to = ResumeUrl(next, secrets);
            if (RequestKey(to) == targetKey)
            {
                return (url, key);
            }

            url = to;
        }
    }

    /// <summary>A client error that says the page itself is gone or no longer valid (not an authentication, timeout or rate-limit answer).</summary>
    private static bool Refused(ExtractionException error)
        => error is { Kind: ExtractionErrorKind.HttpStatus, StatusCode: { } status } && (int)status is >= 400 and < 500
            && status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.ProxyAuthenticationRequired or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);

    /// <summary>
    /// A page fetched ahead can fail before its turn, when the records before it were not counted yet: its error's
    /// <see cref="ExtractionException.Resume"/> is set again from the page's place now. Returns <see langword="false"/> (an exception filter).
    /// </summary>
    private bool Rebased(ExtractionException error, PageRun page)
    {
        error.Rebase(Checkpoint(page.Url, page.PageNumber, page.RecordsBefore, page.Secrets));
        return false;
    }

    /// <summary>A non-2xx answer. 429s (and a status that would be retried asking to wait beyond <see cref="RetryOptions.MaxRetryAfter"/>) are <see cref="ExtractionErrorKind.RateLimited"/>.</summary>
    private ExtractionException StatusError(PageRun run, HttpResponseMessage response)
    {
        var status = response.StatusCode;
        int code = (int)status;
        var wait = RateLimitHeaders.RequestedWait(response.Headers, _clock);
        if (status == HttpStatusCode.TooManyRequests)
        {
            // Only the limited host's own 429 pauses it (not one from a host a redirect led to).
            if (response.RequestMessage?.RequestUri is not { } throttledAt || SameOrigin(throttledAt, _baseUrl))
            {
                _limiter?.Throttled(wait);
            }

            if (_logger is not null)
            {
                Log.Throttled(_logger, Name, run.PageNumber, wait is TimeSpan asked ? $"; it asks to wait {Duration.Format(asked)}" : "");
            }
        }

        LearnSecrets(run);
        string answered = $"the API answered {code} {response.ReasonPhrase}";
        string body = $"Body starts: {HttpText.Snippet(run.Body.Span, SnippetChars, _secrets)}";
        // A long wait makes a status that would be retried (429, 503, …) a rate limit; a 404 that merely reports the exhausted quota
        // (GitHub sends the quota headers on every response) stays the 404 it is.
        if (wait > _maxRetryAfter && PageResilience.IsTransientStatus(code))
        {
            return Error(run, ExtractionErrorKind.RateLimited, $"{answered} and asks to wait {Duration.Format(wait.Value)}, longer than MaxRetryAfter ({Duration.Format(_maxRetryAfter)}); resume from ExtractionException.Resume after that. {body}", status, retryAfter: wait, bodySnippet: true);
        }

        if (status == HttpStatusCode.TooManyRequests)
        {
            return Error(run, ExtractionErrorKind.RateLimited, $"{answered}{(wait is TimeSpan w ? $" (retry after {Duration.Format(w)})" : "")}; resume from ExtractionException.Resume later. {body}", status, retryAfter: wait, bodySnippet: true);
        }

        string elsewhere = (code is 401 or 403) && (_auth is not null || _options.Headers is not null) && response.RequestMessage?.RequestUri is { } sentTo && !SameOrigin(sentTo, _baseUrl)
            ? $" The request went to '{Origin(sentTo)}', outside the base URL's origin '{Origin(_baseUrl)}', so it carried no credentials or configured headers."
            : "";
        return Error(run, ExtractionErrorKind.HttpStatus, $"{answered}; expected 2xx.{elsewhere} {body}", status, retryAfter: wait, bodySnippet: true);
    }

    /// <summary>One HTTP attempt for the request metrics (when anything listens: <paramref name="sent"/> is 0 otherwise).</summary>
    private void Measure(Uri url, int status, string? errorType, long sent)
    {
        if (sent != 0)
        {
            Instruments.Request(Name, url, status, errorType, Stopwatch.GetElapsedTime(sent).TotalSeconds);
        }
    }

    /// <summary>A page read whole: metrics, its span's attributes (URL redacted) and a debug line.</summary>
    private void PageRead(Activity? span, PageRun run, int records, HttpStatusCode status)
    {
        if (span is not null)
        {
            Tag(span, run).SetTag(ApiPipelineTags.RecordCount, records).SetTag(ApiPipelineTags.HttpStatusCode, (int)status).Dispose();
        }

        if (_logger is not null)
        {
            Log.PageRead(_logger, Name, run.PageNumber, records, run.Body.Length, run.Attempts, run.ShownUrl);
        }
    }

    /// <summary>Ends a page's span as failed; returns <see langword="false"/> so that it can serve as an exception filter.</summary>
    private bool PageFailed(Activity? span, PageRun run, Exception error)
    {
        if (span is not null)
        {
            Instruments.Fail(Tag(span, run), error);
            if (error is ExtractionException { StatusCode: { } status })
            {
                span.SetTag(ApiPipelineTags.HttpStatusCode, (int)status);
            }

            span.Dispose();
        }

        return false;
    }

    private Activity Tag(Activity span, PageRun run) => span
        .SetTag(ApiPipelineTags.Extractor, Name)
        .SetTag(ApiPipelineTags.PageNumber, run.PageNumber)
        .SetTag(ApiPipelineTags.Attempts, run.Attempts)
        .SetTag(ApiPipelineTags.ServerAddress, run.Url.Host)
        .SetTag(ApiPipelineTags.UrlFull, run.ShownUrl);

    private ExtractionException Error(PageRun run, ExtractionErrorKind kind, string detail, HttpStatusCode? status = null, Exception? inner = null, TimeSpan? retryAfter = null, bool bodySnippet = false)
    {
        if (run.Attempts > 1)
        {
            detail += $" (attempt {run.Attempts})";
        }

        string? input = LearnSecrets(run);
        return new ExtractionException(kind, _definition.Name, run.PageNumber, run.ShownUrl, _secrets.Scrub(detail), status, inner)
        {
            RetryAfter = retryAfter,
            Resume = Checkpoint(run.Url, run.PageNumber, run.RecordsBefore, run.Secrets),
            Attempts = run.Attempts,
            BodySnippet = bodySnippet ? HttpText.Raw(run.Body.Span, BodySnippetChars, _secrets) : null,
            Input = input,
        };
    }

    /// <summary>
    /// Describes the run's input (once) and so teaches the scrubber its secrets: called before any error text is built from a
    /// response, so that a secret the API echoes is known before a snippet could cut it in two.
    /// </summary>
    private string? LearnSecrets(PageRun run) => run.InputText ??= DescribeInput(run.Input, run.TypeInfo);

    /// <summary>
    /// The input as redacted JSON when the record's context registers its type, else its first request URL (redacted); nothing for
    /// <see cref="NoInput"/>. The input's secrets (<see cref="SecretValuesOf"/>) are registered with the scrubber first, so an API
    /// echoing them in an error body does not leak them either.
    /// </summary>
    private string? DescribeInput(TIn input, JsonTypeInfo<TOut> recordTypeInfo)
    {
        if (input is null)
        {
            return null;
        }

        foreach (var secret in SecretValuesOf(input))
        {
            _secrets.Add(secret);
        }

        if (typeof(TIn) == typeof(NoInput))
        {
            return null;
        }

        try
        {
            return recordTypeInfo.Options.TryGetTypeInfo(typeof(TIn), out var info) && info is JsonTypeInfo<TIn> inputInfo
                ? _secrets.Scrub(HttpText.RedactJson(JsonSerializer.SerializeToUtf8Bytes(input, inputInfo)))
                : _secrets.Scrub(UrlRedactor.Redact(FirstRequestUrl(input)));
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// A page's request key: the hex SHA-256 of its request URL (secrets and all, which the hash does not reveal), the path and query
    /// under the base URL when it lies there, so that a moved API or a local server on a new port keeps its validators, as a checkpoint
    /// is rebased under the current base URL; else the absolute URL.
    /// </summary>
    private string RequestKey(Uri url)
    {
        string text = url.AbsoluteUri;
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(IsUnder(text, Root) ? text[Root.Length..] : text)));
    }

    /// <summary>A next page's URL as the run follows it: without user info, nor a query key an API echoed into its next link.</summary>
    private Uri? Cleaned(Uri? next)
    {
        if (next is null)
        {
            return null;
        }

        next = WithoutUserInfo(next);
        return _auth is null ? next : _auth.WithoutCredentials(next);
    }

    /// <summary>The validator of a response to remember: its <c>ETag</c> exactly as sent (a weak one with its <c>W/</c>), else its <c>Last-Modified</c>.</summary>
    private static (string? Validator, ValidatorKind Kind) ValidatorOf(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("ETag", out var etags) && etags.FirstOrDefault() is { Length: > 0 } etag)
        {
            return (etag, ValidatorKind.ETag);
        }

        return response.Content.Headers.TryGetValues("Last-Modified", out var dates) && dates.FirstOrDefault() is { Length: > 0 } date
            ? (date, ValidatorKind.LastModified)
            : (null, ValidatorKind.ETag);
    }

    /// <summary>The base URL's scheme, host, port and path, without its query: what checkpoint URLs under it start with.</summary>
    private string Root => _root ??= _baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>
    /// A checkpoint at <paramref name="url"/>, noting the base URL when the URL lies under it. The input's secret query values
    /// (<paramref name="secrets"/>: an <c>access_token</c> member sent as a query parameter) are kept out of it (<c>***</c>), so a
    /// stored checkpoint holds none; resuming with the same input puts them back (<see cref="ResumeUrl"/>).
    /// </summary>
    private PageCheckpoint Checkpoint(Uri url, int pageNumber, long recordsBefore, InputSecrets? secrets)
    {
        string text = secrets?.Query is { } query ? query.Mask(url.AbsoluteUri) : SecretQuery.Plain(url.AbsoluteUri);
        return new PageCheckpoint(text, pageNumber, recordsBefore) { BaseUrl = IsUnder(text, Root) ? Root : null };
    }

    /// <summary>
    /// The URL to resume at: the checkpoint's, moved under this extractor's base URL when it was made under another one, with the
    /// input's secret query values <see cref="Checkpoint"/> kept out of it put back from <paramref name="secrets"/>.
    /// </summary>
    private Uri ResumeUrl(PageCheckpoint checkpoint, InputSecrets secrets)
    {
        string? made = checkpoint.BaseUrl?.TrimEnd('/');
        string text = made is not null && made != Root && IsUnder(checkpoint.Url, made) ? Root + checkpoint.Url[made.Length..] : checkpoint.Url;
        if (text.Contains("=***", StringComparison.Ordinal))
        {
            text = SecretQuery.Unmask(text, secrets.Query, out var missing)
                ?? throw new CheckpointSecretMissingException($"Extractor '{Name}': the checkpoint URL '{UrlRedactor.Redact(checkpoint.Url)}' had the secret value of its query parameter '{missing}' kept out, and the input's first request has none to put back; resume with the input the checkpoint was made for.");
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new ArgumentException($"Extractor '{Name}': the checkpoint URL '{UrlRedactor.Redact(checkpoint.Url)}' is not absolute or not http(s); resume from a Page.Next or ExtractionException.Resume checkpoint.", nameof(checkpoint));
    }

    /// <summary>
    /// The secret query values of an input's first request (<see cref="SecretQuery"/>: its own, the base URL's and the path template's),
    /// read the first time a checkpoint is made. Without an input (a replay passes <c>default</c>), the base URL's.
    /// </summary>
    private sealed class InputSecrets(HttpExtractor<TIn, TOut> owner, TIn input)
    {
        private SecretQuery? _query;
        private bool _read;

        public SecretQuery? Query
        {
            get
            {
                if (!Volatile.Read(ref _read))
                {
                    _query = SecretQuery.Of(FirstRequest());
                    Volatile.Write(ref _read, true);
                }

                return _query;
            }
        }

        private string[]? _forms;

        /// <summary>
        /// <paramref name="text"/> (a redacted URL to show) without the input's secrets (<see cref="SecretValuesOf"/>): those under
        /// another parameter name, or in the path. Runs for every page: it allocates nothing unless a secret is there.
        /// </summary>
        public string Scrub(string text)
        {
            var forms = _forms ??= SecretText.Forms(owner.SecretValuesOf(input));
            if (forms.Length == 0)
            {
                return text;
            }

            // The path and query only: the scheme and host are the base URL's, never an input's.
            int scheme = text.IndexOf("://", StringComparison.Ordinal);
            int path = scheme < 0 ? 0 : text.IndexOf('/', scheme + 3);
            return path < 0 ? text : SecretText.Mask(text, path, forms);
        }

        private Uri FirstRequest()
        {
            bool isDefault = typeof(TIn) != typeof(NoInput) && EqualityComparer<TIn>.Default.Equals(input, default!);
            try
            {
                return owner.FirstRequestUrl(input);
            }
            catch (Exception ex) when (isDefault && ex is ArgumentException or InvalidOperationException or NullReferenceException)
            {
                // A default input that builds no URL (what a replay passes): it has no secrets of its own; the base URL's remain.
                return owner._baseUrl;
            }
        }
    }

    /// <summary>
    /// <paramref name="url"/> without a user name or password, which a next link may carry (absolute, or relative to a redirect's target
    /// that has them): checkpoints are stored, and .NET's <see cref="HttpClient"/> never sends them anyway.
    /// </summary>
    private static Uri WithoutUserInfo(Uri url)
        => url.UserInfo.Length == 0 ? url : new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri;

    private static bool IsUnder(string url, string root)
        => url.StartsWith(root, StringComparison.Ordinal) && (url.Length == root.Length || url[root.Length] is '/' or '?');

    /// <summary>Appends <paramref name="relative"/> (path and query) to the base URL's path, keeping the base URL's own query parameters.</summary>
    internal static Uri Combine(Uri baseUrl, string relative)
    {
        int q = relative.IndexOf('?', StringComparison.Ordinal);
        string path = q < 0 ? relative : relative[..q];
        string query = q < 0 ? string.Empty : relative[(q + 1)..];
        string baseQuery = baseUrl.Query.Length > 1 ? baseUrl.Query[1..] : string.Empty;

        var text = new StringBuilder(baseUrl.AbsoluteUri.Length + relative.Length + 2).Append(baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        if (path.Length > 0 && path[0] != '/')
        {
            text.Append('/');
        }

        text.Append(path.Length == 0 && baseUrl.AbsolutePath == "/" ? "/" : path);
        if (baseQuery.Length > 0 || query.Length > 0)
        {
            text.Append('?').Append(baseQuery);
            if (baseQuery.Length > 0 && query.Length > 0)
            {
                text.Append('&');
            }

            text.Append(query);
        }

        return new Uri(text.ToString(), UriKind.Absolute);
    }

    /// <summary>
    /// The state of one extraction run, reused page after page; an attempt of the current page starts over from it. Fields, not
    /// properties: every page reads and writes them, and under the JIT each accessor would be one more method taken through the
    /// tiers during warm-up (docs/performance.md, Finding 17).
    /// </summary>
    private sealed class PageRun(HttpExtractor<TIn, TOut> owner, TIn input, JsonTypeInfo<TOut> typeInfo, PageTarget target) : PageResilience.IPageAttempt, IDisposable
    {
        public readonly HttpExtractor<TIn, TOut> Owner = owner;

        public readonly TIn Input = input;

        public readonly JsonTypeInfo<TOut> TypeInfo = typeInfo;

        public readonly RecordReader<TOut> Reader = RecordReader<TOut>.For(typeInfo);

        public readonly ResponseBuffer Body = new();

        /// <summary>Where the parser puts the page's records.</summary>
        public readonly PageTarget Target = target;

        /// <summary>The records of a page fetched ahead of its turn, or <see langword="null"/> when records go straight to the sink.</summary>
        public ListSink<TOut>? Collected;

        /// <summary>The window of the run, told when this page's response arrives, or <see langword="null"/>.</summary>
        public PrefetchWindow? Window;

        public string? InputText;

        /// <summary>The input's secret query values, kept out of this page's checkpoints.</summary>
        public InputSecrets? Secrets;

        public Uri Url = null!;

        public string ShownUrl = "";

        public int PageNumber;

        public long RecordsBefore;

        public int Attempts;

        public PageScan Scan;

        public TimeSpan Throttled;

        /// <summary>With conditional requests: the page's request key (<see cref="PageInfo.RequestKey"/>), else <see langword="null"/>.</summary>
        public string? RequestKey;

        /// <summary>The validator the sink holds for the page, or <see langword="null"/>.</summary>
        public KnownPage? Known;

        /// <summary>Whether the request carries <see cref="Known"/>'s validator.</summary>
        public bool Conditional;

        /// <summary>Whether the API answered the validator sent with <c>304 Not Modified</c>.</summary>
        public bool NotModified;

        private bool _arrived;

        /// <summary>Whether the current attempt's response body has arrived (its parse may still be running).</summary>
        public bool Arrived
        {
            get => Volatile.Read(ref _arrived);
            set => Volatile.Write(ref _arrived, value);
        }

        int PageResilience.IPageAttempt.PageNumber => PageNumber;

        string PageResilience.IPageAttempt.ShownUrl => ShownUrl;

        public void AddThrottled(TimeSpan wait) => Throttled += wait;

        public void Start(Uri url)
        {
            Url = url;
            RequestKey = null;
            Known = null;
            Conditional = false;
            NotModified = false;
            ShownUrl = Secrets is { } secrets ? secrets.Scrub(UrlRedactor.Redact(url)) : UrlRedactor.Redact(url);
            Attempts = 0;
            Throttled = TimeSpan.Zero;
        }

        /// <summary>Done with this page: a prefetched run frees its buffer (the run of the loop, <paramref name="main"/>, is reused).</summary>
        public void Release(PageRun main)
        {
            if (this != main)
            {
                Dispose();
            }
        }

        public void Dispose() => Body.Dispose();
    }
}

/// <summary>
/// The <see cref="HttpClient"/> used when none is given: one per process, pooled connections recycled every 5 minutes. Its
/// <see cref="HttpClient.Timeout"/> (100 s) cuts every request; an extractor whose own timeouts allow an attempt longer than that gets a
/// second one without the cut, and its timeouts bound each attempt (<see cref="For"/>).
/// </summary>
internal static class SharedHttp
{
    private static readonly Lazy<HttpClient> _unbounded = new(() => Create(System.Threading.Timeout.InfiniteTimeSpan));

    public static HttpClient Client { get; } = Create(null);

    /// <summary>The shared client for an extractor with <paramref name="timeout"/>: <see cref="Client"/>, unless an attempt may last longer than its cut.</summary>
    public static HttpClient For(TimeoutOptions? timeout) => Outlasts(timeout, Client.Timeout) ? _unbounded.Value : Client;

    /// <summary>Whether <paramref name="timeout"/> lets an attempt run longer than <paramref name="cut"/>: its per-attempt timeout, else (none) its total.</summary>
    public static bool Outlasts(TimeoutOptions? timeout, TimeSpan cut)
        => timeout is { } t && (t.PerAttempt > cut || (t.PerAttempt == TimeSpan.Zero && t.Total > cut));

    private static HttpClient Create(TimeSpan? timeout)
    {
        var client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.All,

            // Redirects are followed by the extractor, which decides what each hop receives (credentials only at the base URL's origin).
            AllowAutoRedirect = false,
        });

        // Kept as text: a parsed User-Agent is cloned into every request (a ProductInfoHeaderValue and its collection per page).
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", UserAgent);
        if (timeout is { } cut)
        {
            client.Timeout = cut;
        }

        return client;
    }

    /// <summary>What ApiPipeline's clients send as <c>User-Agent</c> unless the application sets its own (some APIs refuse requests without one).</summary>
    public const string UserAgent = "ApiPipeline/0.1";
}
