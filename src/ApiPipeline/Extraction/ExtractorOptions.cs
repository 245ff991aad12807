namespace ApiPipeline;

/// <summary>Run-time settings of an extractor; each one that is set overrides what the attributes say.</summary>
public sealed record ExtractorOptions
{
    /// <summary>Default 64 MiB.</summary>
    public const long DefaultMaxResponseBytes = 64L * 1024 * 1024;

    /// <summary>Replaces the base URL of <see cref="ExtractorAttribute"/> (for a test server, a proxy or another region).</summary>
    public string? BaseUrl { get; init; }

    /// <summary>Overrides <see cref="PaginationOptions.PageSize"/>.</summary>
    public int? PageSize { get; init; }

    /// <summary>Overrides <see cref="PaginationOptions.MaxPages"/>.</summary>
    public int? MaxPages { get; init; }

    /// <summary>Overrides <see cref="PaginationOptions.MaxConcurrent"/>.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Overrides <see cref="PaginationOptions.MaxRecords"/>.</summary>
    public long? MaxRecords { get; init; }

    /// <summary>A response body larger than this fails the page with <see cref="ExtractionErrorKind.BodyTooLarge"/>. Default 64 MiB.</summary>
    public long MaxResponseBytes { get; init; } = DefaultMaxResponseBytes;

    /// <summary>Extra request headers sent with every request (for example <c>Accept</c> or an API version header).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>
    /// Replaces the resilience settings of the attributes (<see cref="ExtractorDefinition{TIn, TOut}.Resilience"/>) as a whole; to change one
    /// number, start from the generated ones: <c>Orders.Definition.Resilience with { Retry = new() { MaxRetries = 10 } }</c>.
    /// </summary>
    public ResilienceOptions? Resilience { get; init; }

    /// <summary>Replaces the <c>TimeWindows</c> strategy of <see cref="TimeWindowsAttribute"/> (<see cref="ExtractorDefinition{TIn, TOut}.TimeWindows"/>).</summary>
    public TimeWindowOptions? TimeWindows { get; init; }

    /// <summary>
    /// Overrides <see cref="ExtractorDefinition{TIn, TOut}.ConditionalRequests"/> (<see cref="ConditionalRequestsAttribute"/>): <see langword="true"/>
    /// sends conditional requests, <see langword="false"/> never does.
    /// </summary>
    public bool? ConditionalRequests { get; init; }

    /// <summary>Replaces the authentication of <see cref="AuthAttribute"/> (<see cref="ExtractorDefinition{TIn, TOut}.Auth"/>).</summary>
    public AuthOptions? Auth { get; init; }

    /// <summary>
    /// Where the secrets named by <see cref="AuthOptions"/> are looked up. Default <see cref="EnvironmentCredentialSource.Instance"/>
    /// (environment variables); <see cref="CredentialSource.Create"/> adapts any lookup, such as <c>IConfiguration</c>.
    /// </summary>
    public ICredentialSource? Credentials { get; init; }

    /// <summary>The clock of retry delays, timeouts, the circuit breaker, rate-limit pauses and token expiry. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the extractor logs retries, rate-limit waits, 429s and circuit-breaker changes (category <c>ApiPipeline</c>). Default: none.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    internal PaginationOptions Apply(PaginationOptions pagination) => pagination with
    {
        PageSize = PageSize ?? pagination.PageSize,
        MaxPages = MaxPages ?? pagination.MaxPages,
        MaxRecords = MaxRecords ?? pagination.MaxRecords,
        MaxConcurrent = MaxConcurrent ?? pagination.MaxConcurrent,
    };
}
