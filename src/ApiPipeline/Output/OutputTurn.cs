using Microsoft.Extensions.Logging;

namespace ApiPipeline;

/// <summary>
/// One run at a time writes a JSON Lines output's folder: a run's recovery deletes the temporary files no batch of its own names, and a
/// writer numbers its parts after the ones it sees, so two runs into one folder at once (two processes, or two pipelines of one process)
/// would break each other's commits. A pipeline or chain run holds the folder's turn from before it recovers the output until its last commit: the lock
/// file <c>.&lt;name&gt;.writer.lock</c> beside the folder, next to the CLI's <c>.&lt;name&gt;.run.lock</c> (inside, it would be one more
/// file of the dataset). Another run into the folder waits for it, and says so in the log once.
/// </summary>
internal static class OutputTurn
{
    /// <summary>
    /// Waits for the turn of <paramref name="output"/>'s folder, or returns <see langword="null"/> for an output without one (a user
    /// output keeps its own rules).
    /// </summary>
    public static async ValueTask<FileLock?> TakeAsync<T>(IOutput<T> output, string runKind, string name, ILogger? logger, CancellationToken cancellationToken)
    {
        if (output is not JsonlOutput<T> jsonl)
        {
            return null;
        }

        return await TakeAsync(jsonl.RootDirectory, runKind, name, logger, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for the turn of the JSON Lines folder <paramref name="folder"/> (<c>replay</c> takes those it will write before other locks).</summary>
    public static ValueTask<FileLock> TakeAsync(string folder, string runKind, string name, ILogger? logger, CancellationToken cancellationToken)
    {
        // One folder however it is spelled ("issues" or "issues/"): one lock, beside it.
        folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        return FileLock.AcquireAsync(
            Path.Combine(Path.GetDirectoryName(folder)!, "." + Path.GetFileName(folder) + ".writer"),
            lockFile =>
            {
                if (logger is not null)
                {
                    Log.WaitingForOutput(logger, runKind, name, folder, lockFile);
                }
            },
            cancellationToken);
    }
}
