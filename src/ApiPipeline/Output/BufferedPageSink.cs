namespace ApiPipeline;

/// <summary>
/// Lets an output that is not an <see cref="IPageSink{T}"/> take streamed pages: it collects a page's records and hands them to
/// <see cref="IOutput{T}.WriteAsync"/> when the page ends (an aborted page is simply forgotten).
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class BufferedPageSink<T>(IOutput<T> output) : IPageSink<T>
{
    private readonly List<T> _records = [];

    public void BeginPage() => _records.Clear();

    public void Add(T record) => _records.Add(record);

    public ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default)
    {
        // The output may keep what it is given until it commits: each page gets its own array.
        var records = _records.ToArray();
        _records.Clear();
        return output.WriteAsync(records, cancellationToken);
    }

    public void AbortPage() => _records.Clear();
}
