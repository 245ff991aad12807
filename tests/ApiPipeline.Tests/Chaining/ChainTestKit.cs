using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// The chain tests' API for one scenario: <c>/{name}/parents?page=n</c> (100 per page), <c>/{name}/parents/{id}/children?page=n</c>
/// (<see cref="ChildPages"/> pages of 2 children each), <c>/{name}/children?ids=…</c> (one child per id) and
/// <c>/{name}/details?child_id=…&amp;parent_id=…&amp;parent_name=…</c> (one <see cref="Detail"/> echoing the query). Counts requests and the
/// child requests in flight at once; <see cref="Fail"/> answers chosen requests with an error.
/// </summary>
public sealed class ChainApi
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private int _inFlight;
    private int _maxInFlight;
    private int _parentRequests;
    private int _childRequests;
    private int _detailRequests;
    private int _lastParentPageOrder = -1;
    private int _firstChildOrder = -1;
    private int _order;

    public ChainApi(int parents, int childPages = 3)
    {
        Parents = parents;
        ChildPages = childPages;
    }

    public int Parents { get; }

    public int ChildPages { get; }

    /// <summary>Answers a request with (status, body) instead of the data: (path and query, how many times it was asked before) → answer or null.</summary>
    public Func<string, int, (int Status, string Body)?>? Fail { get; set; }

    /// <summary>How long a child request takes, so concurrent ones overlap.</summary>
    public TimeSpan ChildDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    public int MaxChildrenInFlight => Volatile.Read(ref _maxInFlight);

    public int ParentRequests => Volatile.Read(ref _parentRequests);

    public int ChildRequests => Volatile.Read(ref _childRequests);

    public int DetailRequests => Volatile.Read(ref _detailRequests);

    /// <summary>Whether a child request arrived before the last parent page was requested (the child step started on the first parents).</summary>
    public bool ChildrenStartedBeforeParentsEnded => _firstChildOrder >= 0 && _firstChildOrder < _lastParentPageOrder;

    /// <summary>The <c>ids</c> of every batch request (failed ones too), in arrival order.</summary>
    public ConcurrentQueue<string> BatchIds { get; } = new();

    public int Calls(string target) => _calls.TryGetValue(target, out int n) ? n : 0;

    /// <summary>Every child the API serves: parent by parent, page by page.</summary>
    public IEnumerable<Child> AllChildren()
        => Enumerable.Range(1, Parents).SelectMany(p => Enumerable.Range(1, ChildPages).SelectMany(page => PageOf(p, page)));

    public static IEnumerable<Child> PageOf(long parent, int page) => [new(parent * 1000 + page * 10 + 1, parent, page), new(parent * 1000 + page * 10 + 2, parent, page)];

    public async Task Handle(HttpContext context)
    {
        var segments = (context.Request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        string target = context.Request.Path + context.Request.QueryString.Value;
        int before = _calls.AddOrUpdate(target, 1, (_, n) => n + 1) - 1;
        int order = Interlocked.Increment(ref _order);
        // Every request counts, answered with data or with an injected failure.
        switch (segments)
        {
            case [_, "children"]:
                BatchIds.Enqueue(context.Request.Query["ids"].ToString());
                break;
            case [_, "parents"]:
                Interlocked.Increment(ref _parentRequests);
                Volatile.Write(ref _lastParentPageOrder, order);
                break;
            case [_, "parents", _, "children"]:
                Interlocked.Increment(ref _childRequests);
                Interlocked.CompareExchange(ref _firstChildOrder, order, -1);
                break;
        }

        if (Fail?.Invoke(target, before) is { } failure)
        {
            await Reply.Json(context, failure.Body, failure.Status);
            return;
        }

        int page = int.TryParse(context.Request.Query["page"], out int p) ? p : 1;
        if (segments is [_, "parents"])
        {
            int pages = (Parents + 99) / 100;
            var ids = Enumerable.Range((page - 1) * 100 + 1, Math.Max(0, Math.Min(100, Parents - (page - 1) * 100)));
            string items = string.Join(",", ids.Select(id => $$"""{"id":{{id}},"name":"parent-{{id}}"}"""));
            await Reply.Json(context, $$"""{"items":[{{items}}],"total_pages":{{pages}}}""");
            return;
        }

        if (segments is [_, "parents", var parentText, "children"] && long.TryParse(parentText, out long parent))
        {
            int now = Interlocked.Increment(ref _inFlight);
            int max;
            while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
            {
            }

            try
            {
                await Task.Delay(ChildDelay);
                await Reply.Json(context, $$"""{"items":{{Json(PageOf(parent, page))}},"total_pages":{{ChildPages}}}""");
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }

            return;
        }

        if (segments is [_, "details"])
        {
            Interlocked.Increment(ref _detailRequests);
            var detail = new Detail(long.Parse(context.Request.Query["child_id"]!), long.Parse(context.Request.Query["parent_id"]!), context.Request.Query["parent_name"].ToString());
            await Reply.Json(context, "{\"items\":[" + JsonSerializer.Serialize(detail, ChainJson.Default.Detail) + "]}");
            return;
        }

        if (segments is [_, "children"])
        {
            string ids = context.Request.Query["ids"].ToString();
            var children = ids.Split(',').Select(long.Parse).Select(id => new Child(id * 1000 + 11, id, 1));
            await Reply.Json(context, $$"""{"items":{{Json(children)}}}""");
            return;
        }

        await Reply.Json(context, """{"message":"unknown"}""", 404);
    }

    private static string Json(IEnumerable<Child> children)
        => "[" + string.Join(",", children.Select(c => JsonSerializer.Serialize(c, ChainJson.Default.Child))) + "]";
}

/// <summary>An output that keeps committed records in memory, in order; optionally waits on a gate before each write.</summary>
public sealed class MemoryOutput<T> : IOutput<T>
{
    private readonly List<T> _pending = [];
    private readonly List<T> _committed = [];
    private readonly Lock _gate = new();

    public OutputBatchOptions Batching { get; init; } = new() { BatchSize = 100 };

    /// <summary>When set, each write waits for it (backpressure tests).</summary>
    public TaskCompletionSource? WriteGate { get; set; }

    public int Commits { get; private set; }

    public long PendingRecords => _pending.Count;

    public long PendingBytes => 0;

    public IReadOnlyList<T> Committed
    {
        get
        {
            lock (_gate)
            {
                return [.. _committed];
            }
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default)
    {
        if (WriteGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        _pending.AddRange(records.ToArray());
    }

    public ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            int count = _pending.Count;
            _committed.AddRange(_pending);
            _pending.Clear();
            Commits++;
            return ValueTask.FromResult(new OutputCommit([], count, 0));
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public static class ChainAssert
{
    /// <summary>Each child once: no duplicates, none missing.</summary>
    public static void ExactlyOnce(IEnumerable<Child> expected, IEnumerable<Child> actual)
    {
        var list = actual.ToList();
        var duplicates = list.GroupBy(c => c.Id).Where(g => g.Count() > 1).Select(g => g.Key).Take(5).ToList();
        Assert.True(duplicates.Count == 0, "children written twice: " + string.Join(", ", duplicates));
        var missing = expected.Select(c => c.Id).Except(list.Select(c => c.Id)).Take(5).ToList();
        Assert.True(missing.Count == 0, $"children missing ({expected.Count() - list.Count} in all), e.g. " + string.Join(", ", missing));
        Assert.Equal(expected.Count(), list.Count);
    }

    /// <summary>Every committed child under <paramref name="directory"/>.</summary>
    public static List<Child> Jsonl(string directory)
        => Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory, "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .SelectMany(File.ReadAllLines)
                .Select(line => JsonSerializer.Deserialize(line, ChainJson.Default.Child)!)]
            : [];

    public static string Describe(ChainResult result)
    {
        var text = new StringBuilder($"{result.Status} (failed step {result.FailedStep}): {result.Error?.Message}\n");
        foreach (var failure in result.Failures.Take(5))
        {
            text.Append($"  step {failure.StepIndex} '{failure.Step}' input #{failure.InputKey}: {failure.Error.Message}\n");
        }

        return text.ToString();
    }
}
