using ApiPipeline.Generators.Helpers;

namespace ApiPipeline.Generators.Model;

/// <summary>
/// The resilience attributes of one extractor as initializers, the way <see cref="ExtractorSpec.Pagination"/> carries <c>[Paginated]</c>:
/// each list holds the named (and constructor) arguments of one attribute as <c>Property = expression</c>, and is <see langword="null"/>
/// when the attribute is absent. Durations are emitted as <c>Duration.Parse("…")</c> calls, parsed once at startup by the runtime.
/// Equality contract: as <see cref="ExtractorSpec"/>, by value.
/// </summary>
internal sealed record ResilienceSpec
{
    /// <summary><c>[Retry]</c> → <c>RetryOptions</c>.</summary>
    public ImmutableEquatableArray<PropertyInit>? Retry { get; init; }

    /// <summary><c>[Timeouts]</c> → <c>TimeoutOptions</c>.</summary>
    public ImmutableEquatableArray<PropertyInit>? Timeout { get; init; }

    /// <summary><c>[CircuitBreaker]</c> → <c>CircuitBreakerOptions</c>.</summary>
    public ImmutableEquatableArray<PropertyInit>? CircuitBreaker { get; init; }

    /// <summary><c>[RateLimited]</c> → <c>RateLimitOptions</c>.</summary>
    public ImmutableEquatableArray<PropertyInit>? RateLimit { get; init; }

    /// <summary><c>[OnError]</c> → initializers of <c>ResilienceOptions</c> itself (<c>OnError</c>, <c>MaxConsecutivePageFailures</c>).</summary>
    public ImmutableEquatableArray<PropertyInit>? OnError { get; init; }

    /// <summary><c>[Auth]</c> → <c>AuthOptions</c>.</summary>
    public ImmutableEquatableArray<PropertyInit>? Auth { get; init; }

    /// <summary>Whether any of the <c>ResilienceOptions</c> attributes is present (everything but <see cref="Auth"/>).</summary>
    public bool HasResilience => Retry is not null || Timeout is not null || CircuitBreaker is not null || RateLimit is not null || OnError is not null;
}
