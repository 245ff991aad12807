using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>A record with a primary key and a timestamp, as incremental APIs return them.</summary>
public sealed record Change([property: Key] long Id, string Name, DateTimeOffset UpdatedAt);

[JsonSerializable(typeof(Change))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class ChangeJson : JsonSerializerContext;

/// <summary>Pages of 10 changes, oldest first, filtered server-side by <c>?since=</c>; looks back 5 minutes.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(ChangeJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(Change.UpdatedAt), Param = "since", Lag = "5m", AllowedLateness = "2m")]
public sealed partial class Changes : IExtractor<Scenario, Change>;

/// <summary>The same endpoint, but the extractor sends no time filter: the pipeline filters records itself.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(ChangeJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(Change.UpdatedAt), Lag = "5m", AllowedLateness = "2m", Late = LateRecordPolicy.Drop)]
public sealed partial class ClientFilteredChanges : IExtractor<Scenario, Change>;

/// <summary>An in-memory table of changes served like an incremental API; requests can be made to fail.</summary>
public sealed class ChangeTable
{
    public static readonly DateTimeOffset T0 = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly object _gate = new();
    private readonly List<Change> _rows = [];

    /// <summary>Fail (HTTP 500) the request for this page number once, then serve it normally.</summary>
    public int? FailPageOnce { get; set; }

    /// <summary>Serve the newest changes first (as many APIs sort by default), not the oldest.</summary>
    public bool NewestFirst { get; init; }

    public void Add(int count, TimeSpan spacing, DateTimeOffset? start = null)
    {
        lock (_gate)
        {
            var at = start ?? (_rows.Count == 0 ? T0 : _rows.Max(r => r.UpdatedAt) + spacing);
            long id = _rows.Count == 0 ? 1 : _rows.Max(r => r.Id) + 1;
            for (int i = 0; i < count; i++)
            {
                _rows.Add(new Change(id + i, $"change-{id + i}", at + (spacing * i)));
            }
        }
    }

    /// <summary>Updates a row: it gets a new timestamp (a new version of the same key).</summary>
    public void Touch(long id, DateTimeOffset at)
    {
        lock (_gate)
        {
            int i = _rows.FindIndex(r => r.Id == id);
            _rows[i] = _rows[i] with { UpdatedAt = at, Name = _rows[i].Name + "'" };
        }
    }

    public Task Serve(HttpContext context)
    {
        int page = int.Parse(context.Request.Query["page"].ToString(), CultureInfo.InvariantCulture);
        int size = int.Parse(context.Request.Query["per_page"].ToString(), CultureInfo.InvariantCulture);
        if (FailPageOnce == page)
        {
            FailPageOnce = null;
            return Reply.Json(context, """{"message":"boom"}""", 500);
        }

        Change[] rows;
        lock (_gate)
        {
            var since = context.Request.Query.TryGetValue("since", out var s) ? DateTimeOffset.Parse(s.ToString(), CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
            var matching = _rows.Where(r => r.UpdatedAt >= since);
            var ordered = NewestFirst ? matching.OrderByDescending(r => r.UpdatedAt).ThenByDescending(r => r.Id) : matching.OrderBy(r => r.UpdatedAt).ThenBy(r => r.Id);
            rows = [.. ordered.Skip((page - 1) * size).Take(size)];
        }

        return Reply.Json(context, "{\"data\":[" + string.Join(",", rows.Select(r => System.Text.Json.JsonSerializer.Serialize(r, ChangeJson.Default.Change))) + "]}");
    }
}

/// <summary>A record ordered by a growing number (a ledger's sequence), not by time.</summary>
public sealed record LedgerEntry([property: Key] string Id, long Sequence, string Memo);

[JsonSerializable(typeof(LedgerEntry))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class LedgerJson : JsonSerializerContext;

/// <summary>Pages of 10 entries by sequence, filtered server-side by <c>?after_id=</c> (inclusive); looks back 3 sequence numbers.</summary>
[Extractor("http://localhost", "/{name}/ledger", Json = typeof(LedgerJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(LedgerEntry.Sequence), Param = "after_id", UntilParam = "before_id", Lag = "3")]
public sealed partial class Ledger : IExtractor<Scenario, LedgerEntry>;

/// <summary>As <see cref="Changes"/>, but late records go to the dead-letter file.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(ChangeJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(Change.UpdatedAt), Param = "since", Lag = "5m", AllowedLateness = "2m", Late = LateRecordPolicy.DeadLetter)]
public sealed partial class DeadLetteredLateChanges : IExtractor<Scenario, Change>;

/// <summary>An in-memory ledger served like an incremental API keyed by sequence numbers.</summary>
public sealed class LedgerTable
{
    private readonly object _gate = new();
    private readonly List<LedgerEntry> _rows = [];

    /// <summary>Appends entries with the sequence numbers <paramref name="from"/> to <paramref name="to"/>.</summary>
    public void Add(long from, long to)
    {
        lock (_gate)
        {
            for (long sequence = from; sequence <= to; sequence++)
            {
                _rows.Add(new LedgerEntry($"e-{sequence}", sequence, $"entry {sequence}"));
            }
        }
    }

    /// <summary>An entry that shows up late: a new key with a sequence number below the newest one.</summary>
    public void AddLate(string id, long sequence)
    {
        lock (_gate)
        {
            _rows.Add(new LedgerEntry(id, sequence, "late"));
        }
    }

    public Task Serve(HttpContext context)
    {
        int page = int.Parse(context.Request.Query["page"].ToString(), CultureInfo.InvariantCulture);
        int size = int.Parse(context.Request.Query["per_page"].ToString(), CultureInfo.InvariantCulture);
        long after = context.Request.Query.TryGetValue("after_id", out var a) ? long.Parse(a.ToString(), CultureInfo.InvariantCulture) : long.MinValue;
        long before = context.Request.Query.TryGetValue("before_id", out var b) ? long.Parse(b.ToString(), CultureInfo.InvariantCulture) : long.MaxValue;
        LedgerEntry[] rows;
        lock (_gate)
        {
            rows = [.. _rows.Where(r => r.Sequence >= after && r.Sequence < before).OrderBy(r => r.Sequence).ThenBy(r => r.Id, StringComparer.Ordinal).Skip((page - 1) * size).Take(size)];
        }

        return Reply.Json(context, "{\"data\":[" + string.Join(",", rows.Select(r => System.Text.Json.JsonSerializer.Serialize(r, LedgerJson.Default.LedgerEntry))) + "]}");
    }
}
