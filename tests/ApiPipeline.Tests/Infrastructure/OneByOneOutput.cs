namespace ApiPipeline.Tests;

/// <summary>
/// A user output (not a page sink) that writes records one at a time into a <see cref="JsonlOutput{T}"/> and stops once at record
/// <see cref="StopAtRecord"/>: with an I/O error, or by cancelling <see cref="CancelAtStop"/> as a cancelled write does. Whatever it
/// wrote of that page stays in the inner output, as with a real output whose write stops part-way.
/// </summary>
internal sealed class OneByOneOutput<T>(JsonlOutput<T> inner) : ForwardingOutput<T>(inner)
{
    private int _written;

    public int StopAtRecord { get; init; }

    public CancellationTokenSource? CancelAtStop { get; init; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < records.Length; i++)
        {
            if (++_written == StopAtRecord)
            {
                if (CancelAtStop is not null)
                {
                    await CancelAtStop.CancelAsync();
                    cancellationToken.ThrowIfCancellationRequested();
                }

                throw new IOException("the connection to the warehouse dropped");
            }

            await base.WriteAsync(records.Slice(i, 1), cancellationToken);
        }
    }
}
