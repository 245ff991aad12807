namespace ApiPipeline;

/// <summary>Settings of a <see cref="Pipeline{TIn, TOut}"/>.</summary>
public sealed record PipelineOptions
{
    /// <summary>Pages buffered between the extractor and the output (backpressure beyond that). Default 4.</summary>
    public int ChannelCapacity { get; init; } = 4;

    /// <summary>The clock for timestamps and the flush interval. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Overrides the extractor's <see cref="IExtractor{TIn, TOut}.OnError"/> for this pipeline. Default <see langword="null"/>: the extractor's.</summary>
    public ErrorMode? OnError { get; init; }

    /// <summary>
    /// The dead-letter JSONL file of <see cref="ErrorMode.DeadLetter"/>; appended to, one line per failure. Default, for a
    /// <see cref="JsonlOutput{T}"/>: next to the dataset folder, <c>&lt;Directory&gt;/&lt;Name&gt;.dead-letter.jsonl</c> (outside it, so readers of
    /// the dataset never mistake failures for records); required for other outputs.
    /// </summary>
    public string? DeadLetterPath { get; init; }

    /// <summary>Where the pipeline logs its start, skipped failures and summary (category <c>ApiPipeline</c>). Default: none.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }
}
