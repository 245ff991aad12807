using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>
/// Late records under <see cref="LateRecordPolicy.DeadLetter"/>: each is turned into a dead-letter entry when it is left out of a
/// page (its JSON, partition, watermark value, the stored watermark and the reason); they count once the page is written whole
/// (an aborted page's are dropped with it, the page is read again), and are written to the pipeline's dead-letter file (flushed to
/// disk) before the batch that would have held them is committed. A crash between the two writes them again on the resumed run: an
/// entry may appear twice, a late record is never lost.
/// </summary>
internal sealed class LateRecordLetters<TOut>
{
    private readonly string _pipeline;
    private readonly string _extractor;
    private readonly JsonTypeInfo<TOut> _typeInfo;
    private readonly WatermarkOptions<TOut> _watermark;
    private readonly TimeProvider _clock;
    private readonly List<DeadLetterEntry> _page = [];
    private readonly List<DeadLetterEntry> _pending = [];

    private LateRecordLetters(string pipeline, string extractor, JsonTypeInfo<TOut> typeInfo, WatermarkOptions<TOut> watermark, TimeProvider clock)
    {
        _pipeline = pipeline;
        _extractor = extractor;
        _typeInfo = typeInfo;
        _watermark = watermark;
        _clock = clock;
    }

    /// <summary>Late records written to the dead-letter file so far.</summary>
    public long Written { get; private set; }

    /// <summary>Where the entries go; set by the pipeline before the first page.</summary>
    public DeadLetterWriter? Writer { get; set; }

    /// <summary>The letters of a run whose watermark dead-letters late records, else <see langword="null"/>.</summary>
    public static LateRecordLetters<TOut>? For<TIn>(string pipeline, IExtractor<TIn, TOut> extractor, PipelineOptions options)
    {
        if (extractor.Watermark is not { Late: LateRecordPolicy.DeadLetter } watermark)
        {
            return null;
        }

        var typeInfo = extractor.RecordTypeInfo
            ?? throw new ArgumentException($"Pipeline '{pipeline}': LateRecordPolicy.DeadLetter writes late records as JSON, but the extractor '{extractor.Name}' has no RecordTypeInfo; implement IExtractor.RecordTypeInfo or choose Include or Drop.");
        return new LateRecordLetters<TOut>(pipeline, extractor.Name, typeInfo, watermark, options.TimeProvider);
    }

    /// <summary>The current page was written whole: its late records go to the next flush.</summary>
    public void EndPage()
    {
        _pending.AddRange(_page);
        _page.Clear();
    }

    /// <summary>The current page (or attempt) failed: its late records are forgotten with it.</summary>
    public void AbortPage() => _page.Clear();

    /// <summary>Keeps a late record of the current page for the dead-letter file.</summary>
    public void Add(string partition, TOut record, WatermarkValue mark, WatermarkValue stored)
    {
        var lateness = _watermark.EffectiveAllowedLateness;
        _page.Add(new DeadLetterEntry(
            _clock.GetUtcNow(),
            _pipeline,
            _extractor,
            DeadLetterEntry.LateRecordKind,
            null,
            0,
            partition,
            0,
            DeadLetterEntry.RecordSkipped,
            $"late record: its {_watermark.Field} {mark} is older than the stored watermark {stored} minus the allowed lateness {lateness}",
            null,
            null,
            null,
            null)
        {
            Partition = partition,
            Watermark = mark.ToString(),
            StoredWatermark = stored.ToString(),
            Record = JsonSerializer.SerializeToElement(record, _typeInfo),
        });
    }

    /// <summary>Writes the kept entries (each flushed to disk); called before a batch is committed.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var writer = Writer ?? throw new InvalidOperationException($"Pipeline '{_pipeline}': late records are to be dead-lettered but the pipeline has no dead-letter file.");
        int written = 0;
        try
        {
            foreach (var entry in _pending)
            {
                await writer.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
                written++;
                Instruments.DeadLettered(_pipeline, _extractor);
            }
        }
        finally
        {
            Written += written;
            _pending.RemoveRange(0, written);
        }
    }
}
