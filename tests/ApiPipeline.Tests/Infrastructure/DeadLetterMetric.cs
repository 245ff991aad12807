namespace ApiPipeline.Tests;

/// <summary>The <see cref="ApiPipelineMetrics.DeadLettered"/> measurements of one pipeline or chain, by its id (tests run in parallel, so each test uses an id of its own).</summary>
internal sealed class DeadLetterMetric : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<(long Value, string Extractor)> _measurements = new();

    public DeadLetterMetric(string pipeline)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name == ApiPipelineMetrics.DeadLettered)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? owner = null, extractor = null;
            foreach (var tag in tags)
            {
                owner = tag.Key == ApiPipelineTags.Pipeline ? tag.Value as string : owner;
                extractor = tag.Key == ApiPipelineTags.Extractor ? tag.Value as string : extractor;
            }

            if (owner == pipeline)
            {
                _measurements.Enqueue((value, extractor ?? ""));
            }
        });
        _listener.Start();
    }

    public long Count => _measurements.Sum(m => m.Value);

    public string[] Extractors => [.. _measurements.Select(m => m.Extractor).Distinct()];

    public void Dispose() => _listener.Dispose();
}
