namespace ApiPipeline;

/// <summary>
/// Timeouts of a page: each attempt (<see cref="PerAttempt"/>) and all attempts with the delays between them (<see cref="Total"/>).
/// Maps onto <see cref="TimeoutOptions"/>, where the defaults are documented; durations are strings such as <c>"30s"</c> (see <see cref="Duration"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class TimeoutsAttribute : Attribute
{
    /// <summary>The longest one attempt may take, e.g. <c>"30s"</c>; <c>"0"</c> for none. See <see cref="TimeoutOptions.PerAttempt"/>.</summary>
    public string? PerAttempt { get; set; }

    /// <summary>The longest one page may take over all attempts, e.g. <c>"5m"</c>; <c>"0"</c> for none. See <see cref="TimeoutOptions.Total"/>.</summary>
    public string? Total { get; set; }
}
