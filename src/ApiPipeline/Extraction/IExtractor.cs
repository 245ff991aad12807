using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;

namespace ApiPipeline;

/// <summary>
/// Extracts records of type <typeparamref name="TOut"/> for one input <typeparamref name="TIn"/> (route values, filters).
/// Classes marked <see cref="ExtractorAttribute"/> get a generated implementation; a hand-written extractor implements
/// <see cref="ExtractPagesAsync"/> and inherits the rest.
/// </summary>
/// <typeparam name="TIn">The input: its members fill the path placeholders and query parameters.</typeparam>
/// <typeparam name="TOut">The record type.</typeparam>
public interface IExtractor<TIn, TOut>
{
    /// <summary>The extractor's name, used in logs, errors and the registry.</summary>
    string Name { get; }

    /// <summary>
    /// What a pipeline does when extraction for an input still fails after retries (<see cref="OnErrorAttribute"/>,
    /// <see cref="ResilienceOptions.OnError"/>). Default <see cref="ErrorMode.FailFast"/>.
    /// </summary>
    ErrorMode OnError => ErrorMode.FailFast;

    /// <summary>The watermark declared with <see cref="WatermarkAttribute"/>, or <see langword="null"/> for a full extraction every run.</summary>
    WatermarkOptions<TOut>? Watermark => null;

    /// <summary>
    /// A stable key for what <paramref name="input"/> extracts (a partition): progress and watermarks are stored per key.
    /// Generated extractors use the first request's relative URL, with the value of each secret-looking query parameter replaced by
    /// <c>***</c> and the start of its SHA-256 (so inputs that differ only in a secret keep apart); the default is <c>input.ToString()</c>.
    /// </summary>
    /// <param name="input">The input.</param>
    string PartitionKey(TIn input) => input?.ToString() ?? string.Empty;

    /// <summary>
    /// The first request for records of <paramref name="input"/> whose watermark is at or after <paramref name="since"/> and before
    /// <paramref name="until"/>, with the range sent as the watermark's query parameters; <see langword="null"/> when the API cannot
    /// filter (the pipeline then starts at the first page and filters records itself).
    /// </summary>
    /// <param name="input">The input.</param>
    /// <param name="since">The inclusive start, or <see langword="null"/>.</param>
    /// <param name="until">The exclusive end, or <see langword="null"/>.</param>
    PageCheckpoint? StartAt(TIn input, WatermarkValue? since, WatermarkValue? until) => null;

    /// <summary>
    /// The record's JSON metadata, used to write single records outside the output (late records to the dead-letter file under
    /// <see cref="LateRecordPolicy.DeadLetter"/>); <see langword="null"/> when unknown. Generated extractors return their context's.
    /// </summary>
    JsonTypeInfo<TOut>? RecordTypeInfo => null;

    /// <summary>
    /// The <c>TimeWindows</c> strategy (<see cref="TimeWindowsAttribute"/>): a pipeline then extracts the incremental range as windows,
    /// several at once, each starting at <see cref="StartAt"/> with the window's bounds. <see langword="null"/> (the default) for one range.
    /// </summary>
    TimeWindowOptions? TimeWindows => null;

    /// <summary>
    /// Streams whole pages, each fully read and validated before it is yielded: a page that fails yields nothing.
    /// Each page carries the <see cref="Page{T}.Next"/> checkpoint from which a later run can resume.
    /// </summary>
    /// <param name="input">The input.</param>
    /// <param name="resumeFrom">A checkpoint of an earlier run to continue from, or <see langword="null"/> to start at the first page.</param>
    /// <param name="cancellationToken">Cancels the extraction.</param>
    IAsyncEnumerable<Page<TOut>> ExtractPagesAsync(TIn input, PageCheckpoint? resumeFrom = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams every page into <paramref name="sink"/>, record by record: each page is <see cref="IPageSink{T}.BeginPage"/>, its records,
    /// then <see cref="IPageSink{T}.EndPageAsync"/> once it has been read and validated whole (or <see cref="IPageSink{T}.AbortPage"/> when an
    /// attempt fails). Generated extractors hand each record over as the parser reads it, so no page of records is materialized; this
    /// default, for hand-written extractors, goes through <see cref="ExtractPagesAsync"/>.
    /// </summary>
    /// <param name="input">The input.</param>
    /// <param name="resumeFrom">A checkpoint of an earlier run to continue from, or <see langword="null"/> to start at the first page.</param>
    /// <param name="sink">Where the records go.</param>
    /// <param name="cancellationToken">Cancels the extraction.</param>
    async Task ExtractIntoAsync(TIn input, PageCheckpoint? resumeFrom, IPageSink<TOut> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        await foreach (var page in ExtractPagesAsync(input, resumeFrom, cancellationToken).ConfigureAwait(false))
        {
            sink.BeginPage();
            for (int i = 0; i < page.Count; i++)
            {
                sink.Add(page[i]);
            }

            var info = new PageInfo(page.Number, page.Url, page.Count, page.BytesRead, page.Next) { Attempts = page.Attempts, DroppedRequests = page.DroppedRequests, Throttled = page.Throttled, Error = page.Error };
            await sink.EndPageAsync(info, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Streams every record, page after page.</summary>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Cancels the extraction.</param>
    async IAsyncEnumerable<TOut> ExtractAsync(TIn input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in ExtractPagesAsync(input, null, cancellationToken).ConfigureAwait(false))
        {
            // A skipped failed page (Page.Error, only outside ErrorMode.FailFast) holds no records.
            for (int i = 0; i < page.Count; i++)
            {
                yield return page[i];
            }
        }
    }

    /// <summary>Writes every record into <paramref name="writer"/>, waiting when it is full (backpressure). Does not complete the writer.</summary>
    /// <param name="input">The input.</param>
    /// <param name="writer">The channel to write to.</param>
    /// <param name="cancellationToken">Cancels the extraction.</param>
    async Task ExtractToAsync(TIn input, ChannelWriter<TOut> writer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        await foreach (var page in ExtractPagesAsync(input, null, cancellationToken).ConfigureAwait(false))
        {
            for (int i = 0; i < page.Count; i++)
            {
                if (!writer.TryWrite(page[i]))
                {
                    await writer.WriteAsync(page[i], cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}
