using System.Text.Json;

namespace ApiPipeline;

/// <summary>
/// A pipeline's typed view of the <see cref="IStateStore"/>: its run state (scope <c>pipeline:&lt;id&gt;</c>), its watermarks per
/// partition (<c>watermark:&lt;id&gt;</c>, as <see cref="WatermarkValue.ToStorageText"/>), the keys written inside the lag window (<c>seen:&lt;id&gt;</c>)
/// and, for conditional requests, the validators of committed pages by request key (<c>pages:&lt;id&gt;</c>).
/// </summary>
public sealed class PipelineJournal
{
    private const string RunKey = "run";
    private readonly IStateStore _store;

    /// <summary>Creates the journal of one pipeline.</summary>
    /// <param name="store">The state store.</param>
    /// <param name="pipelineId">The pipeline's id.</param>
    public PipelineJournal(IStateStore store, string pipelineId)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(pipelineId);
        _store = store;
        PipelineId = pipelineId;
    }

    /// <summary>The pipeline's id.</summary>
    public string PipelineId { get; }

    private string RunScope => "pipeline:" + PipelineId;

    private string WatermarkScope => "watermark:" + PipelineId;

    private string SeenScope => "seen:" + PipelineId;

    private string PagesScope => "pages:" + PipelineId;

    /// <summary>The current or last run, or <see langword="null"/> if the pipeline never committed anything.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<PipelineRunState?> LoadRunAsync(CancellationToken cancellationToken = default)
    {
        var json = await _store.GetAsync(RunScope, RunKey, cancellationToken).ConfigureAwait(false);
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, StateJson.Default.PipelineRunState)
                ?? throw new JsonException("null run state");
        }
        catch (JsonException ex)
        {
            throw new StateStoreException($"The run state of pipeline '{PipelineId}' in '{_store.Location}' is unreadable ({ex.Message}); reset it with PipelineJournal.ResetAsync (or `state reset {PipelineId}`) to start over.", ex);
        }
    }

    /// <summary>The watermark of every partition.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyDictionary<string, WatermarkValue>> LoadWatermarksAsync(CancellationToken cancellationToken = default)
        => ParseMarks(await _store.GetScopeAsync(WatermarkScope, cancellationToken).ConfigureAwait(false), "watermark");

    /// <summary>The keys written inside the lag window: <c>partition + '\n' + key</c> → the watermark value written.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<Dictionary<string, WatermarkValue>> LoadSeenAsync(CancellationToken cancellationToken = default)
        => new(ParseMarks(await _store.GetScopeAsync(SeenScope, cancellationToken).ConfigureAwait(false), "seen key"), StringComparer.Ordinal);

    /// <summary>Records a batch: the run state (with the prepared commit) and the keys written, in one transaction.</summary>
    /// <param name="run">The run state after the batch.</param>
    /// <param name="seen">Keys written by the batch that may be read again in a later run.</param>
    /// <param name="cancellationToken">Cancels before the transaction.</param>
    public Task SaveAsync(PipelineRunState run, IEnumerable<KeyValuePair<string, WatermarkValue>> seen, CancellationToken cancellationToken = default)
        => SaveAsync(run, seen, [], [], cancellationToken);

    /// <summary>
    /// Records a batch with the validators of its pages (conditional requests) and the stale ones to forget, all in one transaction: a
    /// validator is never durable before the records of its page.
    /// </summary>
    internal async Task SaveAsync(PipelineRunState run, IEnumerable<KeyValuePair<string, WatermarkValue>> seen, IEnumerable<KeyValuePair<string, StoredPage>> pages, IEnumerable<string> forgetPages, CancellationToken cancellationToken = default)
    {
        var change = new StateChange().Put(RunScope, RunKey, JsonSerializer.Serialize(run, StateJson.Default.PipelineRunState));
        foreach (var (key, mark) in seen)
        {
            change.Put(SeenScope, key, Format(mark));
        }

        foreach (var key in forgetPages)
        {
            change.Delete(PagesScope, key);
        }

        foreach (var (key, page) in pages)
        {
            change.Put(PagesScope, key, JsonSerializer.Serialize(page, StateJson.Default.StoredPage));
        }

        await _store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The validators of committed pages (conditional requests), by request key; an unreadable one is left out (its page is fetched).</summary>
    internal async Task<Dictionary<string, StoredPage>> LoadPagesAsync(CancellationToken cancellationToken = default)
    {
        var pages = new Dictionary<string, StoredPage>(StringComparer.Ordinal);
        foreach (var (key, json) in await _store.GetScopeAsync(PagesScope, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (JsonSerializer.Deserialize(json, StateJson.Default.StoredPage) is { } page)
                {
                    pages[key] = page;
                }
            }
            catch (JsonException)
            {
                // Only a cache: without its validator the page is requested unconditionally, and its entry is replaced or pruned.
            }
        }

        return pages;
    }

    /// <summary>Marks the run complete, advances the watermarks and forgets keys older than the new lag window, in one transaction.</summary>
    /// <param name="run">The completed run state.</param>
    /// <param name="watermarks">The new watermark per partition.</param>
    /// <param name="forget">Seen keys to remove.</param>
    /// <param name="cancellationToken">Cancels before the transaction.</param>
    public async Task CompleteRunAsync(PipelineRunState run, IReadOnlyDictionary<string, WatermarkValue> watermarks, IEnumerable<string> forget, CancellationToken cancellationToken = default)
    {
        var change = new StateChange().Put(RunScope, RunKey, JsonSerializer.Serialize(run with { Completed = true }, StateJson.Default.PipelineRunState));
        foreach (var (partition, mark) in watermarks)
        {
            change.Put(WatermarkScope, partition, Format(mark));
        }

        foreach (var key in forget)
        {
            change.Delete(SeenScope, key);
        }

        await _store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets everything about the pipeline: the next run starts from scratch (and from the initial watermark).</summary>
    /// <param name="cancellationToken">Cancels before the transaction.</param>
    public async Task ResetAsync(CancellationToken cancellationToken = default)
        => await _store.CommitAsync(new StateChange().DeleteScope(RunScope).DeleteScope(WatermarkScope).DeleteScope(SeenScope).DeleteScope(PagesScope), cancellationToken).ConfigureAwait(false);

    /// <summary>The key under which a record is remembered inside the lag window.</summary>
    /// <param name="partition">The partition.</param>
    /// <param name="key">The record's primary key.</param>
    public static string SeenKey(string partition, string key) => partition + "\n" + key;

    /// <summary>The partition and record key of a <see cref="SeenKey"/>.</summary>
    /// <param name="seenKey">The stored key.</param>
    public static (string Partition, string Key) SplitSeenKey(string seenKey)
    {
        int newline = seenKey.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? (string.Empty, seenKey) : (seenKey[..newline], seenKey[(newline + 1)..]);
    }

    private static string Format(WatermarkValue mark) => mark.ToStorageText();

    private IReadOnlyDictionary<string, WatermarkValue> ParseMarks(IReadOnlyList<KeyValuePair<string, string>> values, string what)
    {
        var marks = new Dictionary<string, WatermarkValue>(values.Count, StringComparer.Ordinal);
        foreach (var (key, text) in values)
        {
            if (!WatermarkValue.TryParse(text, out var mark))
            {
                throw new StateStoreException($"The {what} '{key}' of pipeline '{PipelineId}' in '{_store.Location}' holds '{text}', which is not a watermark value (an ISO 8601 timestamp, or n: and a number); reset the pipeline's state to start over.");
            }

            marks[key] = mark;
        }

        return marks;
    }
}
