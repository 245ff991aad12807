namespace ApiPipeline;

/// <summary>
/// A circuit breaker that makes pages fail fast while the API keeps failing. Each property maps onto <see cref="CircuitBreakerOptions"/>,
/// where the defaults are documented; durations are strings such as <c>"30s"</c> (see <see cref="Duration"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class CircuitBreakerAttribute : Attribute
{
    /// <inheritdoc cref="CircuitBreakerOptions.FailureRatio"/>
    public double FailureRatio { get; set; } = 0.5;

    /// <inheritdoc cref="CircuitBreakerOptions.MinimumThroughput"/>
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>The window the failure ratio is measured over, e.g. <c>"30s"</c>. See <see cref="CircuitBreakerOptions.SamplingDuration"/>.</summary>
    public string? SamplingDuration { get; set; }

    /// <summary>How long the circuit stays open, e.g. <c>"30s"</c>. See <see cref="CircuitBreakerOptions.BreakDuration"/>.</summary>
    public string? BreakDuration { get; set; }
}
