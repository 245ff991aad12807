using System.Net;

namespace ApiPipeline;

/// <summary>What went wrong with a page.</summary>
public enum ExtractionErrorKind
{
    /// <summary>The request could not be sent or the response could not be read (connection refused or reset, body cut off).</summary>
    Transport,

    /// <summary>The request timed out.</summary>
    Timeout,

    /// <summary>The API answered with a status outside 2xx.</summary>
    HttpStatus,

    /// <summary>The body is not valid JSON.</summary>
    InvalidJson,

    /// <summary>The body is JSON but not shaped as configured (records path missing, a cursor that is not a string).</summary>
    UnexpectedShape,

    /// <summary>A record does not fit the record type.</summary>
    RecordMismatch,

    /// <summary>The body is larger than <see cref="ExtractorOptions.MaxResponseBytes"/>.</summary>
    BodyTooLarge,

    /// <summary>The API returned a cursor or next URL it had returned before: following it would loop forever.</summary>
    PaginationLoop,

    /// <summary>
    /// The API answered 429 Too Many Requests (after the retries, if any), or asked to wait (<c>Retry-After</c>, an exhausted quota)
    /// longer than <see cref="RetryOptions.MaxRetryAfter"/>. Resumable: wait <see cref="ExtractionException.RetryAfter"/>, then continue
    /// from <see cref="ExtractionException.Resume"/>. Ends a run whatever the <see cref="ErrorMode"/>.
    /// </summary>
    RateLimited,

    /// <summary>The circuit breaker is open after too many failures: the page was not requested. Ends a run whatever the <see cref="ErrorMode"/>.</summary>
    CircuitOpen,

    /// <summary>
    /// Credentials are missing (the variable named by <see cref="AuthOptions.Secret"/> is not set), the <see cref="ICredentialSource"/>
    /// failed to read them, or the OAuth 2.0 token endpoint refused them or answered with a token that cannot be used. Not retried; ends a
    /// run whatever the <see cref="ErrorMode"/>.
    /// </summary>
    Authentication,

    /// <summary>
    /// A time window (<see cref="TimeWindowsAttribute"/>) holds more results than the API returns for one query
    /// (<see cref="TimeWindowOptions.MaxResults"/>) even at the smallest window, so it cannot be extracted completely.
    /// </summary>
    TooManyResults,
}

/// <summary>
/// A page could not be extracted. The message names the extractor, the page, the URL (secrets redacted) and what was expected;
/// nothing of the failed page has been emitted.
/// </summary>
public sealed class ExtractionException : Exception
{
    private PageCheckpoint? _resume;

    /// <summary>Creates the exception.</summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="extractor">The extractor's name.</param>
    /// <param name="pageNumber">The page's number in the run.</param>
    /// <param name="url">The request URL, already redacted.</param>
    /// <param name="detail">What was expected and what was found.</param>
    /// <param name="statusCode">The HTTP status, when there was a response.</param>
    /// <param name="innerException">The underlying error.</param>
    public ExtractionException(ExtractionErrorKind kind, string extractor, int pageNumber, string url, string detail, HttpStatusCode? statusCode = null, Exception? innerException = null)
        : base($"Extractor '{extractor}', page {pageNumber} (GET {url}): {detail}", innerException)
    {
        Kind = kind;
        Extractor = extractor;
        PageNumber = pageNumber;
        Url = url;
        Detail = detail;
        StatusCode = statusCode;
    }

    /// <summary>What went wrong.</summary>
    public ExtractionErrorKind Kind { get; }

    /// <summary>The extractor's name.</summary>
    public string Extractor { get; }

    /// <summary>The page's number in the run.</summary>
    public int PageNumber { get; }

    /// <summary>The request URL, with secrets redacted.</summary>
    public string Url { get; }

    /// <summary>What was expected and what was found.</summary>
    public string Detail { get; }

    /// <summary>The HTTP status, when the API answered.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>How long the API asked to wait (<c>Retry-After</c>, or until an exhausted quota resets), when it said so.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// The checkpoint of the failed page: <c>ExtractPagesAsync(input, resumeFrom: Resume)</c> requests that page again and goes on from there.
    /// Holds no credentials from <see cref="AuthOptions"/> (they are added at send time).
    /// </summary>
    public PageCheckpoint? Resume { get => _resume; init => _resume = value; }

    /// <summary>Sets <see cref="Resume"/> once the failed page's place is known (a page fetched ahead fails before its turn).</summary>
    internal void Rebase(PageCheckpoint resume) => _resume = resume;

    /// <summary>
    /// Requests sent for pages fetched ahead of this one (<see cref="PaginationOptions.MaxConcurrent"/>) and dropped when this failure
    /// ended the extraction: a result's <c>Requests</c> counts them, with <see cref="Attempts"/> (<see cref="Requests"/>).
    /// </summary>
    internal int DroppedRequests { get; set; }

    /// <summary>Every request the failure accounts for: the page's <see cref="Attempts"/> and <see cref="DroppedRequests"/>.</summary>
    internal int Requests => Attempts + DroppedRequests;

    /// <summary>The attempts made for the page (1 without retries; 0 when none was made, e.g. with the circuit open).</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>The start of the response body (at most about 1,000 characters, secrets removed), when there was one.</summary>
    public string? BodySnippet { get; init; }

    /// <summary>
    /// The input whose extraction failed, as JSON when the extractor's <c>Json</c> context registers the input type (values of members
    /// whose names suggest secrets replaced by <c>***</c>), otherwise its first request URL (secrets redacted). <see langword="null"/> when unknown.
    /// </summary>
    public string? Input { get; init; }
}

/// <summary>
/// A checkpoint URL had a secret query value kept out of it (<c>***</c>), and the input it was resumed with has none to put back:
/// resuming needs the input (or base URL) the checkpoint was made with.
/// </summary>
internal sealed class CheckpointSecretMissingException(string message) : ArgumentException(message, "checkpoint");
