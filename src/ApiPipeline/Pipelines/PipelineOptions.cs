namespace ApiPipeline;

/// <summary>Settings of a <see cref="Pipeline{TIn, TOut}"/>.</summary>
public sealed record PipelineOptions
{
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

    /// <summary>
    /// Where the pipeline keeps its checkpoints and watermarks (e.g. <see cref="SqliteStateStore"/>). With a store, an interrupted
    /// run resumes where it stopped and every record lands exactly once; without one (the default), each run starts from scratch.
    /// </summary>
    public IStateStore? StateStore { get; init; }

    /// <summary>
    /// Starts the run at this watermark value instead of the stored one (a backfill or re-load): a <see cref="DateTimeOffset"/> or a
    /// number, of the watermark's <see cref="WatermarkOptions{T}.Kind"/>. Default <see langword="null"/>.
    /// </summary>
    public WatermarkValue? From { get; init; }

    /// <summary>Ends the run before this watermark value (the exclusive end of a backfill). Default <see langword="null"/>: no end.</summary>
    public WatermarkValue? Until { get; init; }

    /// <summary>Where the pipeline logs its start, skipped failures and summary (category <c>ApiPipeline</c>). Default: none.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// The full path of the pipeline file (YAML) the CLI host runs this pipeline from, written in its dead-letter entries
    /// (<see cref="DeadLetterEntry.PipelineFile"/>) so that <c>replay</c> writes their records into the file's output, as the run does.
    /// </summary>
    internal string? PipelineFile { get; init; }
}
