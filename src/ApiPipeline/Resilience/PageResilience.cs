using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Retry;
using Polly.Timeout;

namespace ApiPipeline;

/// <summary>
/// Builds the Polly <see cref="ResiliencePipeline"/> one extractor instance runs each page through, from its <see cref="ResilienceOptions"/>:
/// total timeout → retry → circuit breaker → rate limiter → per-attempt timeout → the attempt. Also the one place that decides which
/// failures are transient.
/// </summary>
internal static class PageResilience
{
    /// <summary>The page being fetched, carried in the <see cref="ResilienceContext"/> for retry notifications.</summary>
    public static readonly ResiliencePropertyKey<IPageAttempt> PageKey = new("ApiPipeline.Page");

    /// <summary>What a retry notification needs to know about the page.</summary>
    internal interface IPageAttempt
    {
        int PageNumber { get; }

        string ShownUrl { get; }

        /// <summary>Adds time the page waited for rate limits (the limiter, a host pause, a 429's <c>Retry-After</c>).</summary>
        void AddThrottled(TimeSpan wait)
        {
        }
    }

    /// <summary>A rate-limit wait shorter than this is not logged (it is still measured).</summary>
    private static readonly TimeSpan LoggedWait = TimeSpan.FromMilliseconds(100);

    public static ResiliencePipeline Build(string extractor, ResilienceOptions options, TimeProvider clock, HostRateLimiter? limiter, TimeSpan maxRetryAfter, ILogger? logger = null)
    {
        int strategies = 0;
        var builder = new ResiliencePipelineBuilder
        {
            Name = "ApiPipeline",
            InstanceName = extractor,
            TimeProvider = clock,
        };

        if (options.Timeout is { Total: var total } && total > TimeSpan.Zero)
        {
            strategies++;
            builder.AddTimeout(new TimeoutStrategyOptions { Name = "Total", Timeout = total });
        }

        if (options.Retry is { MaxRetries: > 0 } retry)
        {
            var onRetry = retry.OnRetry;
            strategies++;
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetries,
                BackoffType = retry.Backoff switch
                {
                    Backoff.Constant => DelayBackoffType.Constant,
                    Backoff.Linear => DelayBackoffType.Linear,
                    _ => DelayBackoffType.Exponential,
                },
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                UseJitter = retry.Jitter,
                ShouldHandle = args => new ValueTask<bool>(IsTransient(args.Outcome.Exception, maxRetryAfter)),

                // Retry-After (or an exhausted quota's reset) wins over the backoff, and is not cut to MaxDelay.
                DelayGenerator = static args => new ValueTask<TimeSpan?>(args.Outcome.Exception is ExtractionException { RetryAfter: TimeSpan wait } ? wait : null),
                OnRetry = args =>
                {
                    bool hasPage = args.Context.Properties.TryGetValue(PageKey, out var page);
                    var error = args.Outcome.Exception;
                    // Waiting because the API said so: a 429, or any answer's Retry-After (a 503 during maintenance), which the delay honours.
                    bool throttled = error is ExtractionException { StatusCode: HttpStatusCode.TooManyRequests } or ExtractionException { RetryAfter: not null };
                    Instruments.Retry(extractor, throttled, args.RetryDelay);
                    if (throttled && hasPage)
                    {
                        page!.AddThrottled(args.RetryDelay);
                    }

                    if (logger is not null && logger.IsEnabled(LogLevel.Warning))
                    {
                        var status = (error as ExtractionException)?.StatusCode;
                        Log.Retrying(logger, extractor, hasPage ? page!.PageNumber : 0, args.AttemptNumber + 1, error is ExtractionException e ? e.Kind.ToString() : error?.GetType().Name ?? "error", status is null ? "" : $" {(int)status.Value}", args.RetryDelay.TotalSeconds);
                    }

                    return onRetry is not null && hasPage && error is not null
                        ? onRetry(new OnPageRetryArguments(extractor, page!.PageNumber, page.ShownUrl, args.AttemptNumber + 1, args.RetryDelay, error))
                        : default;
                },
            });
        }

        if (options.CircuitBreaker is { } breaker)
        {
            strategies++;
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = breaker.FailureRatio,
                MinimumThroughput = breaker.MinimumThroughput,
                SamplingDuration = breaker.SamplingDuration,
                BreakDuration = breaker.BreakDuration,

                // 429 says "slow down", not "the service is broken": the rate limiter handles it.
                ShouldHandle = args => new ValueTask<bool>(IsTransient(args.Outcome.Exception, TimeSpan.MaxValue)
                    && args.Outcome.Exception is not ExtractionException { Kind: ExtractionErrorKind.RateLimited }),
                OnOpened = _ => BreakerChanged(extractor, "open", logger),
                OnHalfOpened = _ => BreakerChanged(extractor, "half_open", logger),
                OnClosed = _ => BreakerChanged(extractor, "closed", logger),
            });
        }

        if (limiter is not null)
        {
            strategies++;
            builder.AddRateLimiter(new RateLimiterStrategyOptions
            {
                RateLimiter = args => AcquireAsync(limiter, extractor, clock, maxRetryAfter, logger, args.Context),
            });
        }

        if (options.Timeout is { PerAttempt: var perAttempt } && perAttempt > TimeSpan.Zero)
        {
            strategies++;
            builder.AddTimeout(new TimeoutStrategyOptions { Name = "PerAttempt", Timeout = perAttempt });
        }

        // Nothing to time out, retry, break or limit: the extractor then calls its attempt directly (no context, no Polly frames).
        return strategies == 0 ? ResiliencePipeline.Empty : builder.Build();
    }

    /// <summary>Waits for the limiter, measuring (and, beyond <see cref="LoggedWait"/>, logging) how long it took.</summary>
    private static async ValueTask<System.Threading.RateLimiting.RateLimitLease> AcquireAsync(HostRateLimiter limiter, string extractor, TimeProvider clock, TimeSpan maxRetryAfter, ILogger? logger, ResilienceContext context)
    {
        long started = clock.GetTimestamp();
        var lease = await limiter.AcquireAsync(maxRetryAfter, context.CancellationToken).ConfigureAwait(false);
        LimiterWaited(extractor, clock.GetElapsedTime(started), context.Properties.TryGetValue(PageKey, out var page) ? page : null, logger);
        return lease;
    }

    /// <summary>
    /// Counts a wait for the client-side limiter (before an attempt, a redirect hop or a request sent again after a token refresh): the
    /// metric, the page's throttled time and, beyond <see cref="LoggedWait"/>, a log line.
    /// </summary>
    internal static void LimiterWaited(string extractor, TimeSpan waited, IPageAttempt? page, ILogger? logger)
    {
        if (waited <= TimeSpan.FromMilliseconds(1))
        {
            return;
        }

        Instruments.Wait(extractor, "rate_limiter", waited);
        page?.AddThrottled(waited);
        if (waited >= LoggedWait && logger is not null && logger.IsEnabled(LogLevel.Information))
        {
            Log.RateLimitWait(logger, extractor, waited.TotalSeconds);
        }
    }

    private static ValueTask BreakerChanged(string extractor, string state, ILogger? logger)
    {
        Instruments.CircuitStateChanged(extractor, state);
        if (logger is not null)
        {
            Log.CircuitStateChanged(logger, extractor, state);
        }

        return default;
    }

    /// <summary>
    /// Whether a failed attempt is worth another: connection errors and cut-off bodies, timeouts, 408, 429 (unless the wait asked for
    /// exceeds <paramref name="maxRetryAfter"/>) and 5xx other than 501 and 505. Never: other 4xx, a complete body that is not JSON or does
    /// not fit, a missing records path, a pagination loop, an open circuit, missing credentials.
    /// </summary>
    public static bool IsTransient(Exception? error, TimeSpan maxRetryAfter) => error switch
    {
        ExtractionException e => e.Kind switch
        {
            ExtractionErrorKind.Transport or ExtractionErrorKind.Timeout => true,
            ExtractionErrorKind.HttpStatus => e.StatusCode is HttpStatusCode status && IsTransientStatus((int)status),
            ExtractionErrorKind.RateLimited => e.StatusCode == HttpStatusCode.TooManyRequests && !(e.RetryAfter > maxRetryAfter),
            _ => false,
        },
        TimeoutRejectedException => true,
        _ => false,
    };

    /// <summary>408, 429 and 5xx other than 501 Not Implemented and 505 HTTP Version Not Supported.</summary>
    public static bool IsTransientStatus(int status) => status is 408 or 429 || (status >= 500 && status != 501 && status != 505);

    /// <summary>Failures that end a run whatever the <see cref="ErrorMode"/>: skipping past them would only fail (or hammer) again.</summary>
    public static bool EndsRun(ExtractionErrorKind kind)
        => kind is ExtractionErrorKind.RateLimited or ExtractionErrorKind.CircuitOpen or ExtractionErrorKind.Authentication;

    /// <summary>Turns Polly's rejections into the engine's words.</summary>
    public static (ExtractionErrorKind Kind, string Detail, TimeSpan? RetryAfter)? Describe(Exception error, ResilienceOptions options, int attempts) => error switch
    {
        TimeoutRejectedException t when options.Timeout is { Total: var total } && total > TimeSpan.Zero && t.Timeout == total
            => (ExtractionErrorKind.Timeout, $"the page took longer than the total timeout of {Duration.Format(total)} ({attempts} attempt{(attempts == 1 ? "" : "s")})", null),
        TimeoutRejectedException t
            => (ExtractionErrorKind.Timeout, $"the request timed out after {Duration.Format(t.Timeout)} (the per-attempt timeout)", null),
        BrokenCircuitException b
            => (ExtractionErrorKind.CircuitOpen, $"the circuit breaker is open after repeated failures of this API, so the page was not requested{(b.RetryAfter is TimeSpan wait ? $"; it lets a trial request through in {Duration.Format(wait)}" : "")}", b.RetryAfter),
        RateLimiterRejectedException r
            => (ExtractionErrorKind.RateLimited, r.RetryAfter is TimeSpan wait
                ? $"the API's rate limit pauses requests to this host for {Duration.Format(wait)}, longer than MaxRetryAfter ({Duration.Format(options.Retry?.MaxRetryAfter ?? RetryOptions.DefaultMaxRetryAfter)}); resume from ExtractionException.Resume after that"
                : "the client-side rate limiter refused the request", r.RetryAfter),
        _ => null,
    };
}
