using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace ApiPipeline.LoadHarness;

/// <summary>
/// What a client wrote, reduced to an order-independent digest: the number of JSON lines, their bytes, and the sum and XOR of a 64-bit
/// hash of each line. Two outputs hold exactly the same records (as multisets of lines) when their digests are equal.
/// </summary>
internal readonly record struct OutputDigest(long Lines, long Bytes, ulong HashSum, ulong HashXor, int Files)
{
    public override string ToString() => $"{Lines:N0} lines, {Bytes:N0} bytes, {Files} file(s), digest {HashSum:x16}/{HashXor:x16}";

    /// <summary>Reads every <c>*.jsonl</c> file under <paramref name="directory"/> (temporary files are not counted).</summary>
    public static OutputDigest Of(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return default;
        }

        // Pooled: a new 4 MiB array per digest goes on the large object heap of the harness, which is also the server, and can set
        // off a collection there while the next client runs (docs/performance.md, Finding 16).
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4 << 20);
        try
        {
            return Digest(directory, buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static OutputDigest Digest(string directory, byte[] buffer)
    {
        long lines = 0, bytes = 0;
        ulong sum = 0, xor = 0;
        int files = 0;
        foreach (var path in Directory.EnumerateFiles(directory, "*.jsonl", SearchOption.AllDirectories))
        {
            files++;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            int filled = 0;
            while (true)
            {
                int read = stream.Read(buffer, filled, buffer.Length - filled);
                filled += read;
                var span = buffer.AsSpan(0, filled);
                int consumed = 0;
                while (true)
                {
                    int nl = span[consumed..].IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        break;
                    }

                    ulong h = Hash(span.Slice(consumed, nl));
                    sum += h;
                    xor ^= h;
                    lines++;
                    bytes += nl + 1;
                    consumed += nl + 1;
                }

                if (read == 0)
                {
                    if (filled > consumed)
                    {
                        // A last line without '\n' still counts (and makes the digest differ from one that has it).
                        ulong h = Hash(span[consumed..]) ^ 0x5bd1e995UL;
                        sum += h;
                        xor ^= h;
                        lines++;
                        bytes += filled - consumed;
                    }

                    break;
                }

                span[consumed..].CopyTo(buffer);
                filled -= consumed;
                if (filled == buffer.Length)
                {
                    throw new InvalidDataException($"{path}: a line longer than {buffer.Length} bytes");
                }
            }
        }

        return new OutputDigest(lines, bytes, sum, xor, files);
    }

    private static ulong Hash(ReadOnlySpan<byte> data)
    {
        ulong h = 0x9E3779B97F4A7C15UL ^ (ulong)data.Length;
        while (data.Length >= 8)
        {
            h ^= BinaryPrimitives.ReadUInt64LittleEndian(data) * 0xBF58476D1CE4E5B9UL;
            h = BitOperations.RotateLeft(h, 27) * 0x94D049BB133111EBUL;
            data = data[8..];
        }

        foreach (byte b in data)
        {
            h = (h ^ b) * 0x100000001B3UL;
        }

        h ^= h >> 31;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        return h;
    }
}
