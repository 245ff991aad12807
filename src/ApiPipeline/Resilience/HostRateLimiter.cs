using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace ApiPipeline;

/// <summary>
/// The client-side limiter of one host: a <see cref="TokenBucketRateLimiter"/> (rate, burst) and a count of requests in flight (the
/// concurrency limit), both first-come first-served, plus adaptation: after a 429 or an exhausted quota every acquisition waits until the host's pause ends, and
/// after each 429 a request costs twice the tokens (halving the rate, at most to an eighth), recovering one step per
/// <see cref="RateLimitOptions.RecoveryInterval"/> without a 429. Waiting never blocks a thread.
/// </summary>
/// <remarks>
/// The token bucket replenishes on the real clock (<see cref="System.Threading.RateLimiting"/> takes no <see cref="TimeProvider"/>);
/// pauses and the recovery of the slowdown use the extractor's <see cref="TimeProvider"/>. Concurrency is counted here rather than with
/// a <see cref="ConcurrencyLimiter"/>, whose permit count is fixed when it is created: a stricter extractor registering for the host
/// lowers the limit for the requests already in flight and waiting too.
/// </remarks>
internal sealed class HostRateLimiter
{
    private const int MaxSlowdownLevel = 3;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private RateLimitOptions _options;
    private TokenBucketRateLimiter? _bucket;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;
    private int _slowdownLevel;
    private DateTimeOffset _lastThrottle;

    // Requests in flight (granted leases not yet disposed) and those waiting for a slot, first come first served.
    private int _inFlight;
    private readonly LinkedList<TaskCompletionSource<bool>> _slotWaiters = new();

    public HostRateLimiter(RateLimitOptions options, TimeProvider clock)
    {
        _clock = clock;
        _options = options;
        _bucket = CreateBucket(options);
    }

    /// <summary>The settings in force: the strictest of every extractor that registered for the host.</summary>
    public RateLimitOptions Options
    {
        get
        {
            lock (_lock)
            {
                return _options;
            }
        }
    }

    /// <summary>The end of the current pause, or <see cref="DateTimeOffset.MinValue"/>.</summary>
    public DateTimeOffset PausedUntil
    {
        get
        {
            lock (_lock)
            {
                return _pausedUntil;
            }
        }
    }

    /// <summary>The tokens one request costs now: 1, or 2, 4, 8 after 429s, halving back per recovery interval.</summary>
    public int Cost
    {
        get
        {
            lock (_lock)
            {
                return 1 << EffectiveLevel();
            }
        }
    }

    /// <summary>Tightens the limits to the strictest of the current and <paramref name="other"/> settings.</summary>
    public HostRateLimiter Merge(RateLimitOptions other)
    {
        lock (_lock)
        {
            var current = _options;
            var merged = current with
            {
                RequestsPerSecond = MinPositive(current.RequestsPerSecond, other.RequestsPerSecond),
                Burst = Math.Min(Math.Max(current.Burst, 1), Math.Max(other.Burst, 1)),
                MaxConcurrent = (int)MinPositive(current.MaxConcurrent, other.MaxConcurrent),
                AdaptOn429 = current.AdaptOn429 || other.AdaptOn429,
                QuotaReserve = Math.Max(current.QuotaReserve, other.QuotaReserve),
                RecoveryInterval = current.RecoveryInterval > other.RecoveryInterval ? current.RecoveryInterval : other.RecoveryInterval,
            };
            if (merged.RequestsPerSecond != current.RequestsPerSecond || Math.Max(merged.Burst, 1) != Math.Max(current.Burst, 1))
            {
                // Acquisitions use the stricter bucket, holding no more tokens than the old one had left (a fresh bucket is full, which
                // would grant a burst again). The old one is disposed: the requests queued on it get a failed lease and queue again on
                // the new one (TakeTokensAsync), so the stricter rate holds for them too.
                var bucket = CreateBucket(merged);
                if (bucket is not null && _bucket?.GetStatistics() is { } old)
                {
                    long spent = bucket.GetStatistics()!.CurrentAvailablePermits - Math.Max(old.CurrentAvailablePermits, 0);
                    if (spent > 0)
                    {
                        bucket.AttemptAcquire((int)spent).Dispose();
                    }
                }

                var replaced = _bucket;
                _bucket = bucket;
                replaced?.Dispose();
            }

            // The concurrency limit applies at once to the requests in flight and waiting, which are counted here.
            _options = merged;
        }

        return this;
    }

    /// <summary>
    /// Waits for the host's pause, the request's tokens and a concurrency slot, in that order; when a pause began meanwhile (another
    /// request's 429), waits for it and then for tokens again, so that the requests a pause held go out spaced by the rate, not at once.
    /// The returned lease holds the slot until it is disposed. When the pause would last longer than <paramref name="maxWait"/>, returns
    /// at once a lease that is not acquired and carries the pause as <see cref="MetadataName.RetryAfter"/>.
    /// </summary>
    /// <param name="maxWait">The longest host pause to wait for.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="slot">Whether the request takes a concurrency slot; a redirect hop of a request that holds one takes only tokens.</param>
    public async ValueTask<RateLimitLease> AcquireAsync(TimeSpan maxWait, CancellationToken cancellationToken, bool slot = true)
    {
        while (true)
        {
            var rejected = await WaitForPauseAsync(maxWait, cancellationToken).ConfigureAwait(false);
            if (rejected is not null)
            {
                return rejected;
            }

            if (!await TakeTokensAsync(cancellationToken).ConfigureAwait(false))
            {
                return new Rejected(null);
            }

            if (slot)
            {
                await EnterAsync(cancellationToken).ConfigureAwait(false);
            }

            if (PausedUntil <= _clock.GetUtcNow())
            {
                return slot ? new InFlight(this) : Granted.Instance;
            }

            if (slot)
            {
                Leave();
            }
        }
    }

    /// <summary>Takes the tokens one request costs now, one at a time (so a slowed-down request never asks for more than the bucket holds).</summary>
    private async ValueTask<bool> TakeTokensAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TokenBucketRateLimiter? bucket;
            int cost;
            lock (_lock)
            {
                bucket = _bucket;
                cost = 1 << EffectiveLevel();
            }

            if (bucket is null)
            {
                return true;
            }

            try
            {
                bool acquired = true;
                for (int i = 0; i < cost && acquired; i++)
                {
                    using var token = await bucket.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
                    acquired = token.IsAcquired;
                }

                if (acquired || !Replaced(bucket))
                {
                    return acquired;
                }

                // Queued when a stricter extractor replaced the bucket (disposing it fails its queue): queue on the new one.
            }
            catch (ObjectDisposedException)
            {
                // A stricter extractor replaced the bucket between the snapshot and the acquisition: use the new one.
            }
        }
    }

    /// <summary>Whether a stricter registration has replaced <paramref name="bucket"/> since it was taken.</summary>
    private bool Replaced(TokenBucketRateLimiter bucket)
    {
        lock (_lock)
        {
            return !ReferenceEquals(bucket, _bucket);
        }
    }

    /// <summary>Takes a concurrency slot, waiting (first come, first served) while the host's limit is reached.</summary>
    private Task EnterAsync(CancellationToken cancellationToken)
    {
        LinkedListNode<TaskCompletionSource<bool>> node;
        lock (_lock)
        {
            int limit = _options.MaxConcurrent;
            if (_slotWaiters.Count == 0 && (limit <= 0 || _inFlight < limit))
            {
                _inFlight++;
                return Task.CompletedTask;
            }

            node = _slotWaiters.AddLast(new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        return WaitForSlotAsync(node, cancellationToken);
    }

    private async Task WaitForSlotAsync(LinkedListNode<TaskCompletionSource<bool>> node, CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                // Still waiting: leave the queue. Already granted (the slot is counted): the wait completes with it.
                if (node.List is not null)
                {
                    _slotWaiters.Remove(node);
                    node.Value.TrySetCanceled(cancellationToken);
                }
            }
        }).ConfigureAwait(false);
        await node.Value.Task.ConfigureAwait(false);
    }

    /// <summary>A request ended: its slot goes to the first waiting request while the limit allows.</summary>
    private void Leave()
    {
        lock (_lock)
        {
            _inFlight--;
            GrantWaiting();
        }
    }

    private void GrantWaiting()
    {
        int limit = _options.MaxConcurrent;
        while (_slotWaiters.First is { } first && (limit <= 0 || _inFlight < limit))
        {
            _slotWaiters.RemoveFirst();
            _inFlight++;
            first.Value.TrySetResult(true);
        }
    }

    /// <summary>The API answered 429: pause the host for <paramref name="retryAfter"/> (1 second when unknown) and halve the rate.</summary>
    public void Throttled(TimeSpan? retryAfter)
    {
        lock (_lock)
        {
            if (!_options.AdaptOn429)
            {
                return;
            }

            var now = _clock.GetUtcNow();
            PauseUntil(now + (retryAfter ?? TimeSpan.FromSeconds(1)));
            _slowdownLevel = Math.Min(EffectiveLevel() + 1, MaxSlowdownLevel);
            _lastThrottle = now;
        }
    }

    /// <summary>A response reported its quota: pause until the reset when no more than <see cref="RateLimitOptions.QuotaReserve"/> requests remain.</summary>
    public void ObserveQuota(long? remaining, TimeSpan? resetIn)
    {
        if (remaining is not long left || resetIn is not TimeSpan wait)
        {
            return;
        }

        lock (_lock)
        {
            if (_options.AdaptOn429 && left <= _options.QuotaReserve)
            {
                PauseUntil(_clock.GetUtcNow() + wait);
            }
        }
    }

    private void PauseUntil(DateTimeOffset until)
    {
        if (until > _pausedUntil)
        {
            _pausedUntil = until;
        }
    }

    private int EffectiveLevel()
    {
        if (_slowdownLevel == 0)
        {
            return 0;
        }

        var interval = _options.RecoveryInterval;
        if (interval <= TimeSpan.Zero)
        {
            return 0;
        }

        long steps = (_clock.GetUtcNow() - _lastThrottle).Ticks / interval.Ticks;
        return steps >= _slowdownLevel ? 0 : _slowdownLevel - (int)steps;
    }

    private async ValueTask<RateLimitLease?> WaitForPauseAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        while (true)
        {
            var wait = PausedUntil - _clock.GetUtcNow();
            if (wait <= TimeSpan.Zero)
            {
                return null;
            }

            if (wait > maxWait)
            {
                return new Rejected(wait);
            }

            await Task.Delay(wait, _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    private static double MinPositive(double a, double b) => a <= 0 ? b : b <= 0 ? a : Math.Min(a, b);

    private static TokenBucketRateLimiter? CreateBucket(RateLimitOptions options)
    {
        double rate = options.RequestsPerSecond;
        if (rate <= 0)
        {
            return null;
        }

        // Up to 50 ticks a second; above that several tokens per tick, with the period chosen so the rate stays exact.
        int perTick = rate <= 50 ? 1 : (int)Math.Ceiling(rate / 50);
        var period = TimeSpan.FromTicks(Math.Max(1, (long)(TimeSpan.TicksPerSecond * perTick / rate)));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(Math.Max(options.Burst, 1), perTick),
            TokensPerPeriod = perTick,
            ReplenishmentPeriod = period,
            AutoReplenishment = true,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>A lease that was granted and holds nothing (a redirect hop's tokens).</summary>
    private sealed class Granted : RateLimitLease
    {
        public static readonly Granted Instance = new();

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }

    /// <summary>A granted request: holds its concurrency slot until it is disposed.</summary>
    private sealed class InFlight(HostRateLimiter owner) : RateLimitLease
    {
        private int _disposed;

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave();
            }
        }
    }

    /// <summary>A refused lease, with the wait the host's pause still has, if any.</summary>
    private sealed class Rejected(TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (retryAfter is TimeSpan wait && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = wait;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}

/// <summary>
/// The process-wide limiters, one per scheme, host and port (and clock), so extractors that call the same API share its budget.
/// Limiters live as long as the process; a host's token bucket keeps a timer while it exists.
/// </summary>
internal static class HostRateLimiters
{
    private static readonly ConcurrentDictionary<(string Origin, TimeProvider Clock), HostRateLimiter> Shared = new();

    public static HostRateLimiter For(Uri baseUrl, RateLimitOptions options, TimeProvider clock)
    {
        if (!options.SharedPerHost)
        {
            return new HostRateLimiter(options, clock);
        }

        var key = (baseUrl.Scheme + "://" + baseUrl.IdnHost + ":" + baseUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), clock);
        return Shared.GetOrAdd(key, static (_, state) => new HostRateLimiter(state.Options, state.Clock), (Options: options, Clock: clock)).Merge(options);
    }
}
