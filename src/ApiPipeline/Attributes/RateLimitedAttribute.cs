namespace ApiPipeline;

/// <summary>
/// Limits an extractor's requests on the client side: a token bucket plus a concurrency limit, shared by every extractor that calls the
/// same host, pausing and slowing down when the API answers 429 or reports an exhausted quota. Each property maps onto
/// <see cref="RateLimitOptions"/>, where the defaults are documented; durations are strings such as <c>"10s"</c> (see <see cref="Duration"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class RateLimitedAttribute : Attribute
{
    /// <summary>Declares rate limiting with the settings given as named arguments.</summary>
    public RateLimitedAttribute()
    {
    }

    /// <summary>Declares rate limiting at <paramref name="requestsPerSecond"/>.</summary>
    /// <param name="requestsPerSecond">Requests per second.</param>
    public RateLimitedAttribute(double requestsPerSecond) => RequestsPerSecond = requestsPerSecond;

    /// <inheritdoc cref="RateLimitOptions.RequestsPerSecond"/>
    public double RequestsPerSecond { get; set; }

    /// <inheritdoc cref="RateLimitOptions.Burst"/>
    public int Burst { get; set; }

    /// <inheritdoc cref="RateLimitOptions.MaxConcurrent"/>
    public int MaxConcurrent { get; set; }

    /// <inheritdoc cref="RateLimitOptions.AdaptOn429"/>
    public bool AdaptOn429 { get; set; } = true;

    /// <inheritdoc cref="RateLimitOptions.QuotaReserve"/>
    public int QuotaReserve { get; set; }

    /// <summary>How long a 429's slowdown lasts per halving step, e.g. <c>"10s"</c>. See <see cref="RateLimitOptions.RecoveryInterval"/>.</summary>
    public string? RecoveryInterval { get; set; }

    /// <inheritdoc cref="RateLimitOptions.SharedPerHost"/>
    public bool SharedPerHost { get; set; } = true;
}
