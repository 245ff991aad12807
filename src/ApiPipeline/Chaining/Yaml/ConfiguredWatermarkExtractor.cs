namespace ApiPipeline;

/// <summary>
/// An extractor whose watermark is the one a pipeline file configures (<see cref="WatermarkConfig"/>): off (<c>enabled: false</c>, a full
/// extraction), or the extractor's own <c>[Watermark]</c> re-reading <c>window_size</c> before the stored watermark. Everything else is
/// the extractor's, so the pipeline runs it exactly like the attributed extractor.
/// </summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The record type.</typeparam>
internal sealed class ConfiguredWatermarkExtractor<TIn, TOut>(IExtractor<TIn, TOut> inner, WatermarkOptions<TOut>? watermark) : IExtractor<TIn, TOut>
{
    public string Name => inner.Name;

    public ErrorMode OnError => inner.OnError;

    public WatermarkOptions<TOut>? Watermark => watermark;

    public string PartitionKey(TIn input) => inner.PartitionKey(input);

    public PageCheckpoint? StartAt(TIn input, WatermarkValue? since, WatermarkValue? until) => inner.StartAt(input, since, until);

    public System.Text.Json.Serialization.Metadata.JsonTypeInfo<TOut>? RecordTypeInfo => inner.RecordTypeInfo;

    public TimeWindowOptions? TimeWindows => inner.TimeWindows;

    public IAsyncEnumerable<Page<TOut>> ExtractPagesAsync(TIn input, PageCheckpoint? resumeFrom = null, CancellationToken cancellationToken = default)
        => inner.ExtractPagesAsync(input, resumeFrom, cancellationToken);

    public Task ExtractIntoAsync(TIn input, PageCheckpoint? resumeFrom, IPageSink<TOut> sink, CancellationToken cancellationToken = default)
        => inner.ExtractIntoAsync(input, resumeFrom, sink, cancellationToken);

    /// <summary>The extractor <paramref name="config"/> describes: <paramref name="extractor"/> itself when the file changes nothing.</summary>
    public static IExtractor<TIn, TOut> Apply(IExtractor<TIn, TOut> extractor, WatermarkConfig? config)
        => config switch
        {
            null => extractor,
            { Enabled: false } => new ConfiguredWatermarkExtractor<TIn, TOut>(extractor, null),
            { WindowSize: { } window } when extractor.Watermark is { } own => new ConfiguredWatermarkExtractor<TIn, TOut>(extractor, own with { Lag = window }),
            _ => extractor,
        };
}
