namespace ApiPipeline;

/// <summary>
/// Lets an output that is not an <see cref="IPageSink{T}"/> take streamed pages: it collects a page's records and hands them to
/// <see cref="IOutput{T}.WriteAsync"/> when the page ends (an aborted page is simply forgotten). If that write fails, the output
/// may hold part of the page, which cannot be taken back out of it: aborting the page then fails, so that the run commits nothing
/// more (the next run recovers from the last commit).
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class BufferedPageSink<T>(IOutput<T> output) : IPageSink<T>
{
    private readonly List<T> _records = [];
    private Exception? _failedWrite;

    public void BeginPage() => _records.Clear();

    public void Add(T record) => _records.Add(record);

    public async ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default)
    {
        // The output may keep what it is given until it commits: each page gets its own array.
        var records = _records.ToArray();
        _records.Clear();
        try
        {
            await output.WriteAsync(records, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _failedWrite = ex;
            throw;
        }
    }

    public void AbortPage()
    {
        _records.Clear();
        if (_failedWrite is { } failed)
        {
            _failedWrite = null;
            throw new IOException($"The output's WriteAsync failed part-way through a page ({failed.Message}), so it may hold some of that page's records.", failed);
        }
    }
}
