using System.Buffers;
using System.Runtime.CompilerServices;

namespace ApiPipeline;

/// <summary>A pooled, growable buffer that holds one response body at a time; reused for every page of a run.</summary>
internal sealed class ResponseBuffer : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>The body; valid until the next read into this buffer.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>Reads the whole body, failing with <see cref="BodyTooLargeException"/> past <paramref name="maxBytes"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadAsync(HttpContent content, long maxBytes, CancellationToken cancellationToken)
    {
        Length = 0;
        long? declared = content.Headers.ContentLength;
        if (declared > maxBytes)
        {
            throw new BodyTooLargeException(declared.Value, maxBytes);
        }

        if (declared is long size && size + 1 > _buffer.Length)
        {
            Grow((int)size + 1);
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            while (true)
            {
                if (Length == _buffer.Length)
                {
                    // Room for one byte past the limit: a body of exactly maxBytes is read to its end, one byte more fails below.
                    Grow((int)Math.Min(maxBytes + 1, (long)_buffer.Length * 2));
                }

                int read = await stream.ReadAsync(_buffer.AsMemory(Length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                Length += read;
                if (Length > maxBytes)
                {
                    throw new BodyTooLargeException(Length, maxBytes);
                }
            }
        }
    }

    /// <summary>Reads at most <paramref name="maxBytes"/> of the body (an error page, kept for its message) and ignores the rest.</summary>
    public async ValueTask ReadPrefixAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        Length = 0;
        if (_buffer.Length < maxBytes)
        {
            Grow(maxBytes);
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            int read;
            while (Length < maxBytes && (read = await stream.ReadAsync(_buffer.AsMemory(Length, maxBytes - Length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                Length += read;
            }
        }
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        Length = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Grow(int minimum)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(minimum);
        _buffer.AsSpan(0, Length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    internal sealed class BodyTooLargeException(long size, long max)
        : Exception($"the response body is larger than MaxResponseBytes ({max:N0} bytes; read {size:N0}); raise ExtractorOptions.MaxResponseBytes or lower the page size");
}
