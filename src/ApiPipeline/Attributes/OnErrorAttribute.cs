namespace ApiPipeline;

/// <summary>What a pipeline does when a page or an input of this extractor still fails after retries. See <see cref="ErrorMode"/>.</summary>
/// <param name="mode">The error mode.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class OnErrorAttribute(ErrorMode mode) : Attribute
{
    /// <summary>The error mode.</summary>
    public ErrorMode Mode { get; } = mode;

    /// <inheritdoc cref="ResilienceOptions.MaxConsecutivePageFailures"/>
    public int MaxConsecutivePageFailures { get; set; } = 3;
}
