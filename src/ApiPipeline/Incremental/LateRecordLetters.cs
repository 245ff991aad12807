using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>
/// Late records under <see cref="LateRecordPolicy.DeadLetter"/>: each is turned into a dead-letter entry when it is left out of a
/// page (its JSON, partition, watermark value, the stored watermark and the reason); they count once the page is written whole
/// (an aborted page's are dropped with it, the page is read again), and are then held by the pipeline's <see cref="DeadLetterWriter"/>,
/// which makes them durable with the batch that covers their page: exactly once, also across a crash and resume.
/// </summary>
internal sealed class LateRecordLetters<TOut>
{
    private readonly string _pipeline;
    private readonly string _extractor;
    private readonly JsonTypeInfo<TOut> _typeInfo;
    private readonly WatermarkOptions<TOut> _watermark;
    private readonly TimeProvider _clock;
    private readonly DeadLetterWriter _writer;
    private readonly List<DeadLetterEntry> _page = [];
    private string[] _secretValues = [];
    private string[] _secretForms = [];

    private LateRecordLetters(string pipeline, string extractor, JsonTypeInfo<TOut> typeInfo, WatermarkOptions<TOut> watermark, TimeProvider clock, DeadLetterWriter writer)
    {
        _writer = writer;
        _pipeline = pipeline;
        _extractor = extractor;
        _typeInfo = typeInfo;
        _watermark = watermark;
        _clock = clock;
    }

    /// <summary>Late records handed to the dead-letter file so far (of pages written whole).</summary>
    public long Written { get; private set; }

    /// <summary>The letters of a run whose watermark dead-letters late records (into <paramref name="writer"/>), else <see langword="null"/>.</summary>
    public static LateRecordLetters<TOut>? For<TIn>(string pipeline, IExtractor<TIn, TOut> extractor, PipelineOptions options, DeadLetterWriter? writer)
    {
        if (extractor.Watermark is not { Late: LateRecordPolicy.DeadLetter } watermark)
        {
            return null;
        }

        var typeInfo = extractor.RecordTypeInfo
            ?? throw new ArgumentException($"Pipeline '{pipeline}': LateRecordPolicy.DeadLetter writes late records as JSON, but the extractor '{extractor.Name}' has no RecordTypeInfo; implement IExtractor.RecordTypeInfo or choose Include or Drop.");
        return new LateRecordLetters<TOut>(pipeline, extractor.Name, typeInfo, watermark, options.TimeProvider, writer
            ?? throw new ArgumentException($"Pipeline '{pipeline}': late records are to be dead-lettered but the pipeline has no dead-letter file."));
    }

    /// <summary>The current page was written whole: its late records go to the dead-letter file with the batch that holds the page.</summary>
    public void EndPage()
    {
        foreach (var entry in _page)
        {
            _writer.Hold(entry); // counted in the metric when the writer appends it to the file
        }

        Written += _page.Count;
        _page.Clear();
    }

    /// <summary>The current page (or attempt) failed: its late records are forgotten with it.</summary>
    public void AbortPage() => _page.Clear();

    /// <summary>
    /// Learns the values of <paramref name="input"/>'s secret-looking members, which its stored partition key keeps (in the path, or under
    /// another query name): an entry shows its partition without them.
    /// </summary>
    public void Learn<TIn>(TIn input, JsonSerializerOptions? options)
    {
        var values = SecretText.MemberValues(input, options).Except(_secretValues, StringComparer.Ordinal).ToList();
        if (values.Count > 0)
        {
            _secretValues = [.. _secretValues, .. values];
            Volatile.Write(ref _secretForms, SecretText.Forms(SecretText.Longest(_secretValues)));
        }
    }

    /// <summary>Keeps a late record of the current page for the dead-letter file.</summary>
    public void Add(string partition, TOut record, WatermarkValue mark, WatermarkValue stored)
    {
        partition = SecretText.Mask(partition, 0, Volatile.Read(ref _secretForms));
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
            Record = Element(record),
        });
    }

    /// <summary>The record as JSON, nested as deep as a page may be (<see cref="PageParser.MaxDepth"/>, past a document's default of 64).</summary>
    private JsonElement Element(TOut record)
    {
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(record, _typeInfo), new JsonDocumentOptions { MaxDepth = PageParser.MaxDepth });
        return document.RootElement.Clone();
    }
}
