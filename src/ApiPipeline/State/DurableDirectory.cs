using System.Runtime.InteropServices;

namespace ApiPipeline;

/// <summary>
/// Makes a directory's entries durable. Flushing a file (<c>fsync</c>) writes its bytes, not its name: a file created or renamed just
/// before a power loss can be gone, or back under its old name, after it, unless its directory is flushed too. The commit protocol
/// flushes the directories of its temporary files before the state store records a batch, and those of renamed files before the next
/// batch is recorded (docs/state-and-incremental.md).
/// <para>
/// .NET opens no handle to a directory, so this calls the C library's <c>open</c>, <c>fsync</c> and <c>close</c> (source-generated
/// interop, fine under Native AOT). On Windows it does nothing: NTFS journals its directory entries, and a directory cannot be flushed
/// through a plain handle there; nor where the C library cannot be loaded as <c>libc</c>.
/// </para>
/// </summary>
internal static partial class DurableDirectory
{
    private const int ReadOnly = 0;

    /// <summary>The error of <c>fsync</c> on a file system that cannot flush a directory (its entries are then as durable as it makes them).</summary>
    private const int InvalidArgument = 22;

    private static volatile bool _noLibrary;

    /// <summary>Flushes <paramref name="directory"/>'s entries to disk.</summary>
    /// <exception cref="IOException">The directory cannot be opened or flushed; the message names it and the error number.</exception>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows() || _noLibrary)
        {
            return;
        }

        int handle;
        try
        {
            handle = Open(directory, ReadOnly);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A platform whose C library is not found as "libc": its directories are as durable as its file system makes them.
            _noLibrary = true;
            return;
        }

        if (handle < 0)
        {
            throw new IOException($"Cannot open the directory '{directory}' to flush it to disk (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(handle) != 0 && Marshal.GetLastPInvokeError() is var error && error != InvalidArgument)
            {
                throw new IOException($"Cannot flush the directory '{directory}' to disk (errno {error}).");
            }
        }
        finally
        {
            Close(handle);
        }
    }

    /// <summary>
    /// Creates <paramref name="directory"/> with any missing parents, like <see cref="Directory.CreateDirectory(string)"/>, and adds to
    /// <paramref name="toFlush"/> the parent of each directory it created: the directories whose new entries must be flushed.
    /// </summary>
    public static void Create(string directory, ISet<string> toFlush)
    {
        string? missing = Path.GetFullPath(directory);
        var created = new List<string>();
        while (missing is not null && !Directory.Exists(missing))
        {
            created.Add(missing);
            missing = Path.GetDirectoryName(missing);
        }

        Directory.CreateDirectory(directory);
        foreach (var path in created)
        {
            if (Path.GetDirectoryName(path) is { } parent)
            {
                toFlush.Add(parent);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int handle);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int handle);
}
