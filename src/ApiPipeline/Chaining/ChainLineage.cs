namespace ApiPipeline;

/// <summary>
/// The records of earlier steps that an input descends from, as far as later steps' mappings read them (<see cref="MapAttribute.FromStep"/>):
/// for an issue of step 2, the repository of step 1 it was extracted for. One lineage is shared by every record of a page (a page comes
/// from one input), travels with the page through the bounded channels, and is stored with the page in the state store, so a resumed
/// chain restores it. It holds only the steps some later step still reads; a chain without such mappings carries none.
/// </summary>
public sealed class ChainLineage
{
    private readonly object?[] _records;

    private ChainLineage(object?[] records) => _records = records;

    /// <summary>The record of step <paramref name="step"/> (1-based) this input descends from (generated mapping code reads it).</summary>
    /// <typeparam name="T">The step's record type.</typeparam>
    /// <param name="step">The step's 1-based position.</param>
    /// <exception cref="InvalidOperationException">The lineage does not hold that step (the chain definition does not declare it read).</exception>
    public T Get<T>(int step)
        => (uint)step < (uint)_records.Length && _records[step] is T record
            ? record
            : throw new InvalidOperationException($"The lineage holds no {typeof(T).Name} record of step {step}; declare the step among the earlier steps the mapping reads.");

    /// <summary>The steps held, with their records (for the state store).</summary>
    internal IEnumerable<(int Step, object Record)> Entries
    {
        get
        {
            for (int step = 1; step < _records.Length; step++)
            {
                if (_records[step] is { } record)
                {
                    yield return (step, record);
                }
            }
        }
    }

    /// <summary>
    /// The lineage of the records step <paramref name="step"/> extracts for one input: the input's own lineage plus
    /// <paramref name="parent"/> (a record of the step before), keeping only the steps read by a step after <paramref name="step"/>.
    /// </summary>
    /// <param name="lastReader">Per step (1-based), the last step whose mapping reads it through a lineage; 0 when none.</param>
    /// <param name="step">The 1-based step extracting the input.</param>
    /// <param name="inherited">The lineage of the input's page, or <see langword="null"/>.</param>
    /// <param name="parent">The record of step <paramref name="step"/> − 1 the input was built from.</param>
    internal static ChainLineage? Extend(int[] lastReader, int step, ChainLineage? inherited, object? parent)
    {
        object?[]? records = null;
        for (int s = 1; s < step - 1; s++)
        {
            if (lastReader[s] > step && inherited?._records[s] is { } kept)
            {
                records ??= new object?[lastReader.Length];
                records[s] = kept;
            }
        }

        if (step > 1 && lastReader[step - 1] > step && parent is not null)
        {
            records ??= new object?[lastReader.Length];
            records[step - 1] = parent;
        }

        return records is null ? null : new ChainLineage(records);
    }

    /// <summary>A lineage restored from the state store.</summary>
    internal static ChainLineage? Restore(int steps, IEnumerable<(int Step, object Record)> entries)
    {
        object?[]? records = null;
        foreach (var (step, record) in entries)
        {
            records ??= new object?[steps + 1];
            records[step] = record;
        }

        return records is null ? null : new ChainLineage(records);
    }
}
