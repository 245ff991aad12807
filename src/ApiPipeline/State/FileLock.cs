namespace ApiPipeline;

/// <summary>
/// Holds a path for one holder at a time: the threads of this process (a semaphore per path) and other processes (an exclusive lock
/// on <c>&lt;path&gt;.lock</c>, an empty file left next to it; the operating system releases the lock when a process dies). Appends
/// to a dead-letter file take it, and <c>replay</c> holds it while it reads, replays and rewrites the file, so a pipeline in another
/// process cannot append lines that the rewrite would drop; the CLI host holds one per pipeline and output folder for a whole run,
/// so two runs of one pipeline (two schedules, two processes) take turns instead of writing over each other's files and state.
/// </summary>
internal sealed class FileLock : IDisposable
{
    /// <summary>The suffix of the lock file next to the path.</summary>
    public const string Suffix = ".lock";

    /// <summary>How the file system compares paths: without case on Windows and macOS, where two spellings are one lock file.</summary>
    public static readonly StringComparer PathComparer = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    // One per path in the process (by full path); never removed: one small semaphore per distinct path. After PathComparer: static
    // fields are set in the order they are declared.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> Gates = new(PathComparer);
    private readonly SemaphoreSlim _gate;
    private readonly FileStream _file;

    private FileLock(SemaphoreSlim gate, FileStream file) => (_gate, _file) = (gate, file);

    /// <summary>Waits until this caller holds <paramref name="path"/>.</summary>
    public static ValueTask<FileLock> AcquireAsync(string path, CancellationToken cancellationToken) => AcquireAsync(path, null, cancellationToken);

    /// <summary>
    /// Waits until this caller holds <paramref name="path"/>, calling <paramref name="waiting"/> with the lock file's full path once if
    /// another holder (in this process or another) makes it wait.
    /// </summary>
    public static async ValueTask<FileLock> AcquireAsync(string path, Action<string>? waiting, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(path);
        var gate = Gates.GetOrAdd(full, static _ => new SemaphoreSlim(1, 1));
        var turn = gate.WaitAsync(cancellationToken);
        bool told = !turn.IsCompleted;
        if (told)
        {
            waiting?.Invoke(full + Suffix);
        }

        await turn.ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            for (int wait = 5; ; wait = Math.Min(wait * 2, 200))
            {
                try
                {
                    return new FileLock(gate, new FileStream(full + Suffix, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
                }
                catch (IOException ex) when (HeldElsewhere(ex))
                {
                    if (!told)
                    {
                        told = true;
                        waiting?.Invoke(full + Suffix);
                    }

                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>
    /// Whether opening the lock file failed because another process holds it: ERROR_SHARING_VIOLATION on Windows, the
    /// <c>EWOULDBLOCK</c> of <c>flock</c> on Linux (11) and macOS (35).
    /// </summary>
    private static bool HeldElsewhere(IOException ex)
        => OperatingSystem.IsWindows() ? (ex.HResult & 0xFFFF) == 32 : ex.HResult == (OperatingSystem.IsMacOS() ? 35 : 11);

    /// <summary>Lets the next writer in.</summary>
    public void Dispose()
    {
        _file.Dispose();
        _gate.Release();
    }
}
