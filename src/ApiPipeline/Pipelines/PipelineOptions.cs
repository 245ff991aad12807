namespace ApiPipeline;

/// <summary>Settings of a <see cref="Pipeline{TIn, TOut}"/>.</summary>
public sealed record PipelineOptions
{
    /// <summary>Pages buffered between the extractor and the output (backpressure beyond that). Default 4.</summary>
    public int ChannelCapacity { get; init; } = 4;

    /// <summary>The clock for timestamps and the flush interval. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
