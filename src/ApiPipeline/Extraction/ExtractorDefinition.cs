using System.ComponentModel;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>
/// Everything the source generator knows about an extractor at compile time: its name, endpoint, how to build the first request
/// from an input, the record's <see cref="JsonTypeInfo{T}"/> and its pagination. Generated as a static property of each extractor.
/// </summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The record type.</typeparam>
public sealed class ExtractorDefinition<TIn, TOut>
{
    /// <summary>The extractor's name.</summary>
    public required string Name { get; init; }

    /// <summary>The base URL from <see cref="ExtractorAttribute"/>.</summary>
    public required string BaseUrl { get; init; }

    /// <summary>The path template from <see cref="ExtractorAttribute"/>, for display.</summary>
    public required string PathTemplate { get; init; }

    /// <summary>Builds the first request's URL relative to the base URL, path values escaped and query parameters added.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public required Func<TIn, string> BuildRelativeUrl { get; init; }

    /// <summary>Returns the record's type metadata from the user's <c>JsonSerializerContext</c>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public required Func<JsonTypeInfo<TOut>> RecordTypeInfo { get; init; }

    /// <summary>The pagination declared with <see cref="PaginatedAttribute"/>.</summary>
    public PaginationOptions Pagination { get; init; } = PaginationOptions.None;

    /// <summary>
    /// Retries, timeouts, circuit breaker, rate limit and error mode declared with <see cref="RetryAttribute"/>, <see cref="TimeoutsAttribute"/>,
    /// <see cref="CircuitBreakerAttribute"/>, <see cref="RateLimitedAttribute"/> and <see cref="OnErrorAttribute"/>. Default <see cref="ResilienceOptions.None"/>.
    /// </summary>
    public ResilienceOptions Resilience { get; init; } = ResilienceOptions.None;

    /// <summary>The authentication declared with <see cref="AuthAttribute"/>, or <see langword="null"/> for none.</summary>
    public AuthOptions? Auth { get; init; }

    /// <summary>The watermark declared with <see cref="WatermarkAttribute"/>, or <see langword="null"/> for none.</summary>
    public WatermarkOptions<TOut>? Watermark { get; init; }

    /// <summary>The <c>TimeWindows</c> strategy declared with <see cref="TimeWindowsAttribute"/>, or <see langword="null"/> for none.</summary>
    public TimeWindowOptions? TimeWindows { get; init; }

    /// <summary>
    /// Whether the extractor sends conditional requests (<see cref="ConditionalRequestsAttribute"/>): the validator a sink remembers for a
    /// page (<see cref="IPageSink{T}.KnownPageAsync"/>) goes out as <c>If-None-Match</c> or <c>If-Modified-Since</c>, and a <c>304 Not Modified</c>
    /// page is skipped. Default <see langword="false"/>.
    /// </summary>
    public bool ConditionalRequests { get; init; }
}
