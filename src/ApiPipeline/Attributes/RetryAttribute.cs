namespace ApiPipeline;

/// <summary>
/// Retries transient failures of a page (connection errors, cut-off bodies, timeouts, 408, 429, 5xx), honouring <c>Retry-After</c>.
/// Each property maps onto <see cref="RetryOptions"/>, where the defaults are documented; durations are strings such as <c>"500ms"</c>,
/// <c>"30s"</c> or <c>"1h30m"</c> (see <see cref="Duration"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class RetryAttribute : Attribute
{
    /// <summary>Declares retries with the defaults of <see cref="RetryOptions"/> and the named arguments given.</summary>
    public RetryAttribute()
    {
    }

    /// <summary>Declares up to <paramref name="maxRetries"/> retries.</summary>
    /// <param name="maxRetries">Retries after the first attempt.</param>
    public RetryAttribute(int maxRetries) => MaxRetries = maxRetries;

    /// <inheritdoc cref="RetryOptions.MaxRetries"/>
    public int MaxRetries { get; set; } = 3;

    /// <inheritdoc cref="RetryOptions.Backoff"/>
    public Backoff Backoff { get; set; } = Backoff.Exponential;

    /// <summary>The delay before the first retry, e.g. <c>"500ms"</c>. See <see cref="RetryOptions.BaseDelay"/>.</summary>
    public string? BaseDelay { get; set; }

    /// <summary>The longest backoff delay, e.g. <c>"30s"</c>. See <see cref="RetryOptions.MaxDelay"/>.</summary>
    public string? MaxDelay { get; set; }

    /// <inheritdoc cref="RetryOptions.Jitter"/>
    public bool Jitter { get; set; } = true;

    /// <summary>The longest <c>Retry-After</c> wait honoured, e.g. <c>"5m"</c>. See <see cref="RetryOptions.MaxRetryAfter"/>.</summary>
    public string? MaxRetryAfter { get; set; }
}
