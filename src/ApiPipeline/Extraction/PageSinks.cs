using System.Runtime.CompilerServices;
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
/// an iterator: no request is sent for a page nobody asked for). With <paramref name="acceptsRejects"/>, a record that does not fit the
/// record type is taken with its page (<see cref="Page{T}.Misfits"/>) instead of failing it.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class PageCollector<T>(ChannelWriter<Page<T>> pages, int capacity, bool acceptsRejects = false) : IPageSink<T>, IRecordRejects, IDisposable
{
    /// <summary>The records a page's list starts with room for when the page size is unknown.</summary>
    public const int DefaultCapacity = 64;

    private readonly List<T> _records = new(capacity);
    private readonly List<(byte[] Json, string Reason)> _rejected = [];
    private readonly SemaphoreSlim _demand = new(0);

    /// <summary>
    /// The pages <paramref name="extractor"/> streams into a collector (<see cref="IExtractor{TIn, TOut}.ExtractIntoAsync"/>), each
    /// requested only when the reader asks for it; with <paramref name="acceptsRejects"/>, pages keep the records that do not fit
    /// (<see cref="Page{T}.Misfits"/>; a chain step under <see cref="ErrorMode.DeadLetter"/>) instead of failing.
    /// </summary>
    public static async IAsyncEnumerable<Page<T>> PagesAsync<TIn>(IExtractor<TIn, T> extractor, TIn input, PageCheckpoint? resumeFrom, int capacity, bool acceptsRejects, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The engine pushes records into a sink; here a collector turns them back into pages, fetched only when the reader asks.
        var pages = Channel.CreateBounded<Page<T>>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var collector = new PageCollector<T>(pages.Writer, capacity, acceptsRejects);
        var producer = Task.Run(
            async () =>
            {
                try
                {
                    await extractor.ExtractIntoAsync(input, resumeFrom, collector, stop.Token).ConfigureAwait(false);
                    pages.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    pages.Writer.TryComplete(ex);
                }
            },
            CancellationToken.None);
        try
        {
            while (await pages.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (pages.Reader.TryRead(out var page))
                {
                    yield return page;
                    collector.RequestNext();
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }
    }

    /// <summary>The reader has taken the last page and wants the next one.</summary>
    public void RequestNext() => _demand.Release();

    public void Dispose() => _demand.Dispose();

    public bool AcceptsRejects => acceptsRejects;

    public void BeginPage() => AbortPage();

    public void Add(T record) => _records.Add(record);

    public void Reject(ReadOnlySpan<byte> json, string reason) => _rejected.Add((json.ToArray(), reason));

    public async ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default)
    {
        var full = new Page<T>(page.Number, page.Url, _records.ToArray(), page.Next, page.BytesRead) { Attempts = page.Attempts, DroppedRequests = page.DroppedRequests, Throttled = page.Throttled, Error = page.Error, Misfits = _rejected.Count == 0 ? [] : [.. _rejected] };
        AbortPage();
        await pages.WriteAsync(full, cancellationToken).ConfigureAwait(false);
        await _demand.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void AbortPage()
    {
        _records.Clear();
        _rejected.Clear();
    }
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
/// The sink of a pipeline run, as conditional requests need it when the API refuses the page a 304 led to: it knows where the current
/// input's run started, and counts the refused request, which no page stands for (the unchanged page read again takes its place).
/// </summary>
internal interface IRunSink
{
    /// <summary>Where the run of the current input started (its watermark's query parameters), or <see langword="null"/>: at the input's first request.</summary>
    PageCheckpoint? InputStart { get; }

    /// <summary>Counts a request that took <paramref name="attempts"/> attempts (the first, then its retries) and waited <paramref name="throttled"/> for rate limits.</summary>
    /// <param name="attempts">The attempts sent.</param>
    /// <param name="throttled">The time they waited for rate limits.</param>
    void CountRequests(int attempts, TimeSpan throttled);
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
