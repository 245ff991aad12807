using System.Threading.Channels;

namespace ApiPipeline;

/// <summary>
/// Collects a page's records into a list; <see cref="PageParser"/>'s target when a caller wants a list (and, with
/// <paramref name="acceptsRejects"/>, the records that do not fit, for a page fetched ahead of its turn).
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class ListSink<T>(List<T> records, bool acceptsRejects = false) : IPageSink<T>, IRecordRejects
{
    public List<T> Records { get; } = records;

    /// <summary>The records that did not fit, each with the number of records that fit before it (to hand both on in page order).</summary>
    public List<(byte[] Json, string Reason, int Before)> Rejected { get; } = [];

    public bool AcceptsRejects => acceptsRejects;

    public void BeginPage() => AbortPage();

    public void Add(T record) => Records.Add(record);

    public void Reject(ReadOnlySpan<byte> json, string reason) => Rejected.Add((json.ToArray(), reason, Records.Count));

    public ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public void AbortPage()
    {
        Records.Clear();
        Rejected.Clear();
    }
}

/// <summary>
/// Turns pages streamed into a sink back into <see cref="Page{T}"/>s on a channel, for <see cref="IExtractor{TIn, TOut}.ExtractPagesAsync"/>:
/// each page's records are materialized once it has ended, and the extraction waits until the reader asks for the next page (as lazy as
/// an iterator: no request is sent for a page nobody asked for).
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class PageCollector<T>(ChannelWriter<Page<T>> pages, int capacity) : IPageSink<T>, IDisposable
{
    private readonly List<T> _records = new(capacity);
    private readonly SemaphoreSlim _demand = new(0);

    /// <summary>The reader has taken the last page and wants the next one.</summary>
    public void RequestNext() => _demand.Release();

    public void Dispose() => _demand.Dispose();

    public void BeginPage() => _records.Clear();

    public void Add(T record) => _records.Add(record);

    public async ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default)
    {
        var full = new Page<T>(page.Number, page.Url, _records.ToArray(), page.Next, page.BytesRead) { Attempts = page.Attempts, DroppedRequests = page.DroppedRequests, Throttled = page.Throttled, Error = page.Error };
        _records.Clear();
        await pages.WriteAsync(full, cancellationToken).ConfigureAwait(false);
        await _demand.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void AbortPage() => _records.Clear();
}

/// <summary>
/// A sink that can take a record that does not fit the record type instead of failing its page (a pipeline under
/// <see cref="ErrorMode.DeadLetter"/> writes it to the dead-letter file): the parser then moves past the record and goes on.
/// </summary>
internal interface IRecordRejects
{
    /// <summary>Whether records that do not fit are handed over instead of failing the page.</summary>
    bool AcceptsRejects { get; }

    /// <summary>A record of the current page that does not fit the record type: its JSON as sent, and why.</summary>
    /// <param name="json">The record's JSON.</param>
    /// <param name="reason">What did not fit (names the record and the field).</param>
    void Reject(ReadOnlySpan<byte> json, string reason);
}

/// <summary>
/// Marks a sink whose <see cref="IPageSink{T}.Add"/> is done with the record when it returns (it copies or writes what it needs), so the
/// extractor may reuse the buffers a record points into (passthrough records' bytes) from one page to the next.
/// </summary>
internal interface IConsumingPageSink
{
    /// <summary>Whether <see cref="IPageSink{T}.Add"/> keeps no reference to the records it is given.</summary>
    bool ConsumesRecords { get; }
}
