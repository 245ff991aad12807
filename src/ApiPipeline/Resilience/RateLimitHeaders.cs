using System.Globalization;
using System.Net.Http.Headers;

namespace ApiPipeline;

/// <summary>
/// Reads what an API says about waiting: <c>Retry-After</c> (delta seconds or an HTTP date) and the quota headers
/// <c>X-RateLimit-Remaining</c> / <c>X-RateLimit-Reset</c> (or the IETF draft's <c>RateLimit-Remaining</c> / <c>RateLimit-Reset</c>).
/// A reset below 1,000,000,000 is read as seconds from now, one below 100,000,000,000 as Unix epoch seconds (GitHub style), a larger
/// one as Unix epoch milliseconds; a reset beyond the last representable date is ignored.
/// </summary>
internal static class RateLimitHeaders
{
    private const double EpochSeconds = 1_000_000_000;
    private const double EpochMilliseconds = 100_000_000_000;
    private static readonly double LastMillisecond = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>The longest wait read from a header: a century, so that a date computed from it still fits in a <see cref="DateTimeOffset"/>.</summary>
    internal static readonly TimeSpan LongestWait = TimeSpan.FromDays(100 * 365);

    /// <summary>
    /// The wait <c>Retry-After</c> asks for, never negative and at most <see cref="LongestWait"/>; <see langword="null"/> when absent or
    /// unreadable. Delta seconds .NET's parser does not take (more than 10 digits: leading zeros, or beyond 2,147,483,647 s) are read here.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, TimeProvider clock)
    {
        var value = headers.RetryAfter;
        TimeSpan? wait = value?.Delta ?? (value?.Date is DateTimeOffset date ? date - clock.GetUtcNow() : null);
        if (wait is null && headers.NonValidated.TryGetValues("Retry-After", out var raw) && raw.Count == 1
            && raw.ToString().Trim() is { Length: > 0 } text && !text.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            // .NET reads at most 10 digits into an int: longer ones (leading zeros, or beyond 68 years) are read here.
            var digits = text.AsSpan().TrimStart('0');
            wait = digits.Length <= 11 ? TimeSpan.FromSeconds(digits.IsEmpty ? 0 : long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture)) : LongestWait;
        }

        return wait is not TimeSpan w ? null : w < TimeSpan.Zero ? TimeSpan.Zero : w > LongestWait ? LongestWait : w;
    }

    /// <summary>The requests left in the current quota window and the wait until it resets, each when the API says so.</summary>
    public static (long? Remaining, TimeSpan? ResetIn) Quota(HttpResponseHeaders headers, TimeProvider clock)
    {
        long? remaining = Number(headers, "X-RateLimit-Remaining") ?? Number(headers, "RateLimit-Remaining");
        double? reset = Decimal(headers, "X-RateLimit-Reset") ?? Decimal(headers, "RateLimit-Reset");
        TimeSpan? resetIn = null;
        if (reset is double r && (r < EpochMilliseconds ? r * 1000 : r) is var milliseconds && milliseconds <= LastMillisecond)
        {
            var wait = r < EpochSeconds
                ? TimeSpan.FromMilliseconds(milliseconds)
                : DateTimeOffset.FromUnixTimeMilliseconds((long)milliseconds) - clock.GetUtcNow();
            resetIn = wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return (remaining, resetIn);
    }

    /// <summary>How long a response asks to wait before the next request: <c>Retry-After</c>, else the reset of an exhausted quota.</summary>
    public static TimeSpan? RequestedWait(HttpResponseHeaders headers, TimeProvider clock, int quotaReserve = 0)
    {
        if (RetryAfter(headers, clock) is TimeSpan retryAfter)
        {
            return retryAfter;
        }

        var (remaining, resetIn) = Quota(headers, clock);
        return remaining <= quotaReserve ? resetIn : null;
    }

    private static string? First(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    private static long? Number(HttpResponseHeaders headers, string name)
        => long.TryParse(First(headers, name), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;

    private static double? Decimal(HttpResponseHeaders headers, string name)
        => double.TryParse(First(headers, name), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double n) ? n : null;
}
