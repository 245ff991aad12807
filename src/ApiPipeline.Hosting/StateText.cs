using System.Globalization;
using System.Text;

namespace ApiPipeline.Hosting;

/// <summary>What <c>state show</c> prints and what <c>state reset</c> removes, for a pipeline (journal, watermarks) or a chain.</summary>
internal static class StateText
{
    public static async Task<string> DescribeAsync(IStateStore store, string name, CancellationToken cancellationToken)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"State of '{name}' in {store.Location}").AppendLine();
        bool any = false;

        var journal = new PipelineJournal(store, name);
        if (await journal.LoadRunAsync(cancellationToken).ConfigureAwait(false) is { } run)
        {
            any = true;
            // A backfill is a run with a start (--from), as the pipeline counts it; a run with only an end is an ordinary one.
            bool backfill = run.From is not null;
            string resumes = backfill || run.Until is not null ? "a run with the same --from and --to resumes it" : "the next run resumes it";
            text.Append(c, $"  pipeline run #{run.RunId}: {(run.Completed ? "completed" : $"unfinished ({resumes})")}, started {run.StartedAt:O}, {run.Records:N0} records, {run.Pages:N0} pages committed").AppendLine();
            if (backfill)
            {
                text.Append(c, $"  backfill from {run.From}{(run.Until is { } until ? $" until {until}" : "")}").AppendLine();
            }
            else if (run.Until is { } end)
            {
                text.Append(c, $"  until {end}").AppendLine();
            }

            foreach (var (partition, state) in run.Partitions.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                text.Append(c, $"  partition {Show(partition)}: {Progress(partition, state, run.Partitions)}").AppendLine();
            }

            IReadOnlyDictionary<string, PartitionState> parked = run.Parked?.Partitions ?? new Dictionary<string, PartitionState>();
            foreach (var (partition, state) in parked.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                text.Append(c, $"  set aside for the next ordinary run: partition {Show(partition)}: {Progress(partition, state, parked)}").AppendLine();
            }
        }

        var marks = await journal.LoadWatermarksAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (partition, mark) in marks.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            any = true;
            text.Append(c, $"  watermark {Show(partition)}: {mark}").AppendLine();
        }

        // The validators of pages committed with conditional requests ([ConditionalRequests]), one key per page.
        int remembered = (await store.GetScopeAsync("pages:" + name, cancellationToken).ConfigureAwait(false)).Count;
        if (remembered > 0)
        {
            any = true;
            text.Append(c, $"  conditional requests: {remembered:N0} page{(remembered == 1 ? "" : "s")} remembered").AppendLine();
        }

        var chain = new ChainStateStore(store, name);
        var scopes = await store.GetScopesAsync(ChainStateStore.ScopeOf(name), cancellationToken).ConfigureAwait(false);
        foreach (var scope in scopes.Where(s => s == ChainStateStore.ScopeOf(name) || s.StartsWith(ChainStateStore.ScopeOf(name) + "/", StringComparison.Ordinal)))
        {
            any = true;
            var keys = await store.GetScopeAsync(scope, cancellationToken).ConfigureAwait(false);
            var runRecord = scope == chain.Scope ? await chain.LoadRunAsync(cancellationToken).ConfigureAwait(false) : null;
            text.Append(c, $"  chain state {scope}: {keys.Count} key(s)");
            if (runRecord is not null)
            {
                text.Append(c, $"; run #{runRecord.RunId} {runRecord.Status}{(runRecord.FailedStep is null ? "" : $" at step '{runRecord.FailedStep}'")}, started {runRecord.StartedAt:O}{(runRecord.FinishedAt is { } done ? $", finished {done:O}" : "")}");
                if (runRecord.Error is not null)
                {
                    text.Append(c, $"; error: {runRecord.Error}");
                }
            }

            text.AppendLine();
            int pages = keys.Count(k => k.Key.Contains(".page.", StringComparison.Ordinal));
            int items = keys.Count(k => k.Key.Contains(".item.", StringComparison.Ordinal));
            if (pages + items > 0)
            {
                text.Append(c, $"    {pages:N0} stored page(s) between steps, {items:N0} input progress record(s)").AppendLine();
            }
        }

        if (!any)
        {
            text.AppendLine("  no state: it has never run with this state file, or it was reset.");
        }

        return text.ToString().TrimEnd();
    }

    public static async Task<int> ResetAsync(IStateStore store, string name, CancellationToken cancellationToken)
    {
        var scopes = await ScopesAsync(store, name, cancellationToken).ConfigureAwait(false);
        if (scopes.Count == 0)
        {
            return 0;
        }

        var change = new StateChange();
        foreach (var scope in scopes)
        {
            change.DeleteScope(scope);
        }

        await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
        return scopes.Count;
    }

    /// <summary>Whether the store holds any state (run, watermarks, seen keys, chain state) of the pipeline or chain <paramref name="name"/>.</summary>
    public static async Task<bool> HasStateAsync(IStateStore store, string name, CancellationToken cancellationToken)
        => (await ScopesAsync(store, name, cancellationToken).ConfigureAwait(false)).Count > 0;

    /// <summary>The pipelines and chains the store holds state of (a chain's steps under the chain's id), ordered.</summary>
    public static async Task<IReadOnlyList<string>> IdsAsync(IStateStore store, CancellationToken cancellationToken)
    {
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var kind in Prefixes(""))
        {
            foreach (var scope in await store.GetScopesAsync(kind, cancellationToken).ConfigureAwait(false))
            {
                string id = scope[kind.Length..];
                int slash = id.IndexOf('/', StringComparison.Ordinal);
                ids.Add(slash < 0 ? id : id[..slash]);
            }
        }

        return [.. ids];
    }

    /// <summary>The scopes that hold the state of <paramref name="name"/>: its own, and those of its steps (<c>name/…</c>).</summary>
    private static async Task<List<string>> ScopesAsync(IStateStore store, string name, CancellationToken cancellationToken)
    {
        var scopes = new List<string>();
        foreach (var prefix in Prefixes(name))
        {
            foreach (var scope in await store.GetScopesAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                if (scope == prefix || scope.StartsWith(prefix + "/", StringComparison.Ordinal))
                {
                    scopes.Add(scope);
                }
            }
        }

        return scopes;
    }

    /// <summary>The scope names of a pipeline's run, watermarks, seen keys and page validators and of a chain's state; with an empty name, the kinds' prefixes.</summary>
    private static string[] Prefixes(string name) => ["pipeline:" + name, "watermark:" + name, "seen:" + name, "pages:" + name, ChainStateStore.ScopeOf(name)];

    /// <summary>
    /// Where a partition's run stands, as <c>state show</c> prints it. An input split into time windows is done when its windows are
    /// (its own entry only holds its range).
    /// </summary>
    private static string Progress(string partition, PartitionState state, IReadOnlyDictionary<string, PartitionState> all)
    {
        var windows = all.Values.Where(w => w.WindowOf == partition).ToList();
        int finished = windows.Count(w => w.Completed || w.DeadLettered);
        string where = windows.Count > 0 ? (finished == windows.Count ? $"done ({windows.Count} time windows)" : $"{finished} of {windows.Count} time windows done")
            : state.Completed ? "done" : state.DeadLettered ? "given up on (the rest is in the dead-letter file for replay)" : state.Next is { } next ? $"next page {next.PageNumber} ({UrlRedactor.Redact(next.Url)})" : "not started";
        return string.Create(CultureInfo.InvariantCulture, $"{where}{(state.Since is { } since ? $", since {since}" : "")}{(state.MaxMark is { } mark ? $", newest {mark}" : "")}");
    }

    private static string Show(string partition) => partition.Length == 0 ? "(default)" : partition;
}
