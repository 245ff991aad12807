namespace ApiPipeline;

/// <summary>
/// A replay of a dead-letter entry of one step of a chain (<see cref="ChainExecutor{TIn, TOut}.ReplayAsync"/>): the step extracts the
/// entry's failed page (or the rest of its input) again from its checkpoint, and the later steps take its records as the chain's run
/// would have, into the chain's output.
/// </summary>
/// <param name="step">The 1-based position of the step whose entry it is.</param>
/// <param name="input">The step's input as the extractor needs it to continue from <paramref name="from"/>; <see langword="null"/> for a generated extractor, which needs none.</param>
/// <param name="from">The entry's checkpoint: where the failed page was requested.</param>
/// <param name="pageOnly">Whether only that page is requested (the run had skipped just it), not the rest of the input.</param>
/// <param name="lineage">The earlier steps' records the entry's input descends from, as far as later steps read them.</param>
internal sealed class ChainReplay(int step, object? input, PageCheckpoint from, bool pageOnly, ChainLineage? lineage)
{
    private readonly List<DeadLetterEntry> _deadLetters = [];

    public int Step { get; } = step;

    public object? Input { get; } = input;

    public PageCheckpoint From { get; } = from;

    public bool PageOnly { get; } = pageOnly;

    public ChainLineage? Lineage { get; } = lineage;

    /// <summary>
    /// The input the entry was recorded for, as the entry names it (<see cref="DeadLetterEntry.Input"/>, secrets masked): how the replay
    /// names its step's input, which has no key (it is no record of a step before).
    /// </summary>
    public string? EntryInput { get; init; }

    /// <summary>
    /// Whether the replay went through to its commit of the chain's output: it then succeeded, even when it was cancelled right after
    /// (the entry must leave the file, or the next replay would write its records again).
    /// </summary>
    public bool Committed { get; set; }

    /// <summary>
    /// The entries of the later steps' failures under <see cref="ErrorMode.DeadLetter"/>: kept here, not appended to the dead-letter file
    /// (which the replay holds and rewrites), so the replay writes them in the rewrite that removes the entry it replayed.
    /// </summary>
    public IReadOnlyList<DeadLetterEntry> DeadLetters
    {
        get
        {
            lock (_deadLetters)
            {
                return [.. _deadLetters];
            }
        }
    }

    public void Add(DeadLetterEntry entry)
    {
        lock (_deadLetters)
        {
            _deadLetters.Add(entry);
        }
    }
}
