namespace ApiPipeline;

/// <summary>
/// How an extractor survives a flaky or rate-limited API. Each strategy is off while its property is <see langword="null"/>;
/// the attributes (<see cref="RetryAttribute"/>, <see cref="TimeoutsAttribute"/>, <see cref="CircuitBreakerAttribute"/>,
/// <see cref="RateLimitedAttribute"/>, <see cref="OnErrorAttribute"/>) switch them on with the defaults documented on each
/// options type, and <see cref="ExtractorOptions.Resilience"/> replaces the whole set at run time, for example
/// <c>Orders.Definition.Resilience with { Retry = new() { MaxRetries = 10 } }</c>.
/// </summary>
/// <remarks>
/// The strategies wrap each page (send, read the body, parse it) in this order, outermost first:
/// total timeout → retry → circuit breaker → rate limiter → per-attempt timeout → the request.
/// </remarks>
public sealed record ResilienceOptions
{
    /// <summary>No strategies and <see cref="ErrorMode.FailFast"/>: a page fails at its first error.</summary>
    public static ResilienceOptions None { get; } = new();

    /// <summary>Retries of transient failures, honouring <c>Retry-After</c>. Default <see langword="null"/>: no retries.</summary>
    public RetryOptions? Retry { get; init; }

    /// <summary>Per-attempt and total timeouts. Default <see langword="null"/>: only <see cref="HttpClient.Timeout"/> applies.</summary>
    public TimeoutOptions? Timeout { get; init; }

    /// <summary>A circuit breaker that fails fast while the API is failing. Default <see langword="null"/>: none.</summary>
    public CircuitBreakerOptions? CircuitBreaker { get; init; }

    /// <summary>Client-side rate limiting shared per host. Default <see langword="null"/>: requests are not limited.</summary>
    public RateLimitOptions? RateLimit { get; init; }

    /// <summary>What a pipeline does when a page or an input still fails after its retries. Default <see cref="ErrorMode.FailFast"/>.</summary>
    public ErrorMode OnError { get; init; } = ErrorMode.FailFast;

    /// <summary>
    /// With an <see cref="OnError"/> mode other than <see cref="ErrorMode.FailFast"/>, failed pages of <see cref="Pagination.Offset"/>
    /// (with a page size) and <see cref="Pagination.PageNumber"/> extractions are skipped one by one, at most this many in a row: the next
    /// failure in a row abandons the rest of the input as one failure (an API that fails every page would otherwise be paged forever).
    /// 0 abandons the input at its first failed page. Default 3.
    /// </summary>
    public int MaxConsecutivePageFailures { get; init; } = 3;

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting when a value is out of range.</summary>
    /// <param name="extractorName">The extractor the options belong to, named in the message.</param>
    public void Validate(string extractorName)
    {
        string? problem = null;
        if (Retry is { } r)
        {
            problem = r.MaxRetries < 0 ? $"Retry.MaxRetries must be 0 or more, not {r.MaxRetries}"
                : r.BaseDelay < TimeSpan.Zero || r.BaseDelay > OneDay ? "Retry.BaseDelay must be between 0 and 1d"
                : r.MaxDelay < TimeSpan.Zero || r.MaxDelay > OneDay ? "Retry.MaxDelay must be between 0 and 1d"
                : r.MaxRetryAfter < TimeSpan.Zero ? "Retry.MaxRetryAfter must not be negative"
                : !Enum.IsDefined(r.Backoff) ? $"Retry.Backoff {(int)r.Backoff} is not a Backoff value"
                : null;
        }

        if (problem is null && Timeout is { } t)
        {
            problem = !IsTimeout(t.PerAttempt) ? $"Timeout.PerAttempt must be 0 (none) or between 10ms and 1d, not {t.PerAttempt}"
                : !IsTimeout(t.Total) ? $"Timeout.Total must be 0 (none) or between 10ms and 1d, not {t.Total}"
                : null;
        }

        if (problem is null && CircuitBreaker is { } c)
        {
            problem = !(c.FailureRatio > 0 && c.FailureRatio <= 1) ? $"CircuitBreaker.FailureRatio must be above 0 and at most 1, not {c.FailureRatio}"
                : c.MinimumThroughput < 2 ? $"CircuitBreaker.MinimumThroughput must be 2 or more, not {c.MinimumThroughput}"
                : c.SamplingDuration < TimeSpan.FromMilliseconds(500) || c.SamplingDuration > OneDay ? "CircuitBreaker.SamplingDuration must be between 500ms and 1d"
                : c.BreakDuration < TimeSpan.FromMilliseconds(500) || c.BreakDuration > OneDay ? "CircuitBreaker.BreakDuration must be between 500ms and 1d"
                : null;
        }

        if (problem is null && RateLimit is { } l)
        {
            problem = !(l.RequestsPerSecond >= 0) || double.IsInfinity(l.RequestsPerSecond) ? $"RateLimit.RequestsPerSecond must be 0 (no limit) or positive, not {l.RequestsPerSecond}"
                : l.RequestsPerSecond > 0 && l.RequestsPerSecond < 0.001 ? "RateLimit.RequestsPerSecond must be at least 0.001"
                : l.Burst < 0 ? $"RateLimit.Burst must be 0 or more, not {l.Burst}"
                : l.MaxConcurrent < 0 ? $"RateLimit.MaxConcurrent must be 0 (no limit) or positive, not {l.MaxConcurrent}"
                : l.QuotaReserve < 0 ? $"RateLimit.QuotaReserve must be 0 or more, not {l.QuotaReserve}"
                : null;
        }

        if (problem is null && MaxConsecutivePageFailures < 0)
        {
            problem = $"MaxConsecutivePageFailures must be 0 or more, not {MaxConsecutivePageFailures}";
        }

        if (problem is null && !Enum.IsDefined(OnError))
        {
            problem = $"OnError {(int)OnError} is not an ErrorMode value";
        }

        if (problem is not null)
        {
            throw new ArgumentException($"Extractor '{extractorName}': {problem}.");
        }
    }

    private static readonly TimeSpan OneDay = TimeSpan.FromDays(1);

    private static bool IsTimeout(TimeSpan value) => value == TimeSpan.Zero || (value >= TimeSpan.FromMilliseconds(10) && value <= OneDay);
}

/// <summary>
/// Retries of one page. Transient failures are retried: connection errors, a body cut off mid-stream, timeouts, HTTP 408, 429 and
/// 5xx (except 501 and 505). Other 4xx, a complete body that is not JSON or does not fit the record type, and pagination loops
/// fail at once. A retried page is read again from scratch, so it is never duplicated or partly kept.
/// </summary>
public sealed record RetryOptions
{
    /// <summary>Default 5 minutes.</summary>
    public static readonly TimeSpan DefaultMaxRetryAfter = TimeSpan.FromMinutes(5);

    /// <summary>Retries after the first attempt. Default 3.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>How the delay grows between retries. Default <see cref="ApiPipeline.Backoff.Exponential"/>.</summary>
    public Backoff Backoff { get; init; } = Backoff.Exponential;

    /// <summary>The delay before the first retry, the unit of the backoff. Default 1 second.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest computed backoff delay. Default 30 seconds. Does not cut a <c>Retry-After</c> wait (see <see cref="MaxRetryAfter"/>).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Randomizes backoff delays (decorrelated jitter) so many clients do not retry in step. Default <see langword="true"/>.</summary>
    public bool Jitter { get; init; } = true;

    /// <summary>
    /// The longest wait the API may ask for with <c>Retry-After</c> or an exhausted <c>X-RateLimit-Remaining</c>/<c>X-RateLimit-Reset</c>.
    /// A longer wait is not slept through: the page fails with <see cref="ExtractionErrorKind.RateLimited"/>, carrying
    /// <see cref="ExtractionException.RetryAfter"/> and the <see cref="ExtractionException.Resume"/> checkpoint. Default 5 minutes.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; init; } = DefaultMaxRetryAfter;

    /// <summary>Called before each retry's delay, for logging or metrics. Default none.</summary>
    public Func<OnPageRetryArguments, ValueTask>? OnRetry { get; init; }
}

/// <summary>How retry delays grow.</summary>
public enum Backoff
{
    /// <summary>Every delay is <see cref="RetryOptions.BaseDelay"/>.</summary>
    Constant = 0,

    /// <summary>The n-th delay is n × <see cref="RetryOptions.BaseDelay"/>.</summary>
    Linear = 1,

    /// <summary>The n-th delay is 2^(n-1) × <see cref="RetryOptions.BaseDelay"/>.</summary>
    Exponential = 2,
}

/// <summary>Timeouts of one page.</summary>
public sealed record TimeoutOptions
{
    /// <summary>The longest one attempt (send, read the whole body, parse) may take; a slow attempt is cancelled and retried. Default 30 seconds; 0 for none.</summary>
    public TimeSpan PerAttempt { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest one page may take over all its attempts and the delays between them. Default 0: none.</summary>
    public TimeSpan Total { get; init; }
}

/// <summary>
/// A circuit breaker over the attempts of one extractor instance: when at least <see cref="FailureRatio"/> of the attempts within
/// <see cref="SamplingDuration"/> fail transiently (429 excepted), and there were at least <see cref="MinimumThroughput"/>, it opens:
/// pages then fail at once with <see cref="ExtractionErrorKind.CircuitOpen"/> for <see cref="BreakDuration"/>, after which one trial
/// request decides whether it closes again.
/// </summary>
public sealed record CircuitBreakerOptions
{
    /// <summary>The share of failed attempts that opens the circuit, above 0 and at most 1. Default 0.5.</summary>
    public double FailureRatio { get; init; } = 0.5;

    /// <summary>The fewest attempts within <see cref="SamplingDuration"/> before the ratio counts. Default 10.</summary>
    public int MinimumThroughput { get; init; } = 10;

    /// <summary>The window the ratio is measured over. Default 30 seconds.</summary>
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open. Default 30 seconds.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Client-side rate limiting: a token bucket (<see cref="RequestsPerSecond"/>, <see cref="Burst"/>) plus a concurrency limit, both
/// queueing first-come first-served without blocking a thread. With <see cref="SharedPerHost"/> every extractor calling the same
/// scheme, host and port draws from one limiter (the strictest numbers registered for the host win). With <see cref="AdaptOn429"/>
/// the limiter pauses every request to the host until <c>Retry-After</c> (or the quota reset) after a 429 or an exhausted quota, and
/// halves its rate after each 429, recovering step by step.
/// </summary>
public sealed record RateLimitOptions
{
    /// <summary>Requests per second; 0 for no rate limit (the concurrency limit and adaptation still apply). Default 0.</summary>
    public double RequestsPerSecond { get; init; }

    /// <summary>
    /// Requests that may go out at once after a quiet period; 0 means 1. Default 0 (1): requests are evenly spaced. Above 50 requests per
    /// second tokens arrive every 20 ms, ⌈<see cref="RequestsPerSecond"/> / 50⌉ at a time, so that many may go out together.
    /// </summary>
    public int Burst { get; init; }

    /// <summary>Requests in flight at once; 0 for no limit. Default 0.</summary>
    public int MaxConcurrent { get; init; }

    /// <summary>Pause and slow down on 429 and on an exhausted quota. Default <see langword="true"/>.</summary>
    public bool AdaptOn429 { get; init; } = true;

    /// <summary>
    /// When a response reports this many requests or fewer remaining (<c>X-RateLimit-Remaining</c> / <c>RateLimit-Remaining</c>),
    /// requests to the host wait for the reset (<c>X-RateLimit-Reset</c> / <c>RateLimit-Reset</c>). Default 0.
    /// </summary>
    public int QuotaReserve { get; init; }

    /// <summary>How long a 429's slowdown lasts per halving step before the rate doubles back. Default 10 seconds.</summary>
    public TimeSpan RecoveryInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Share one limiter among all extractors that call the same scheme, host and port. Default <see langword="true"/>.</summary>
    public bool SharedPerHost { get; init; } = true;
}

/// <summary>What a pipeline does when extraction still fails after retries.</summary>
public enum ErrorMode
{
    /// <summary>The run stops at the first failure; pages before it are committed. The result is <see cref="PipelineStatus.Failed"/>.</summary>
    FailFast = 0,

    /// <summary>
    /// The failed part is skipped and the run goes on: a failed page of an <see cref="Pagination.Offset"/> (with a page size) or
    /// <see cref="Pagination.PageNumber"/> extraction (the next page is computable), otherwise the rest of the input. Each failure is counted
    /// in <see cref="PipelineResult.Failures"/> and the run ends <see cref="PipelineStatus.PartialSuccess"/>.
    /// </summary>
    Continue = 1,

    /// <summary>
    /// As <see cref="Continue"/>, but the failure is expected (e.g. deleted resources answering 404): it is counted in
    /// <see cref="PipelineResult.Skipped"/>, not as a failure, and alone does not make the run a partial success.
    /// </summary>
    Skip = 2,

    /// <summary>As <see cref="Continue"/>, and each failure is also written to the pipeline's dead-letter JSONL file.</summary>
    DeadLetter = 3,
}

/// <summary>Describes a retry about to happen, for <see cref="RetryOptions.OnRetry"/>.</summary>
public readonly struct OnPageRetryArguments
{
    internal OnPageRetryArguments(string extractor, int pageNumber, string url, int attempt, TimeSpan delay, Exception error)
    {
        Extractor = extractor;
        PageNumber = pageNumber;
        Url = url;
        Attempt = attempt;
        Delay = delay;
        Error = error;
    }

    /// <summary>The extractor's name.</summary>
    public string Extractor { get; }

    /// <summary>The page's number in the run.</summary>
    public int PageNumber { get; }

    /// <summary>The page's URL, secrets redacted.</summary>
    public string Url { get; }

    /// <summary>The attempt that failed, from 1.</summary>
    public int Attempt { get; }

    /// <summary>The wait before the next attempt (<c>Retry-After</c> when the API sent one, otherwise the backoff).</summary>
    public TimeSpan Delay { get; }

    /// <summary>Why the attempt failed (an <see cref="ExtractionException"/>, or Polly's <c>TimeoutRejectedException</c> for a per-attempt timeout).</summary>
    public Exception Error { get; }
}
