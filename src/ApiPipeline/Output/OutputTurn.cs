using Microsoft.Extensions.Logging;

namespace ApiPipeline;

/// <summary>
/// One run at a time writes a JSON Lines output's folder: a writer deletes the temporary files it finds there when it starts, and numbers
/// its parts after the ones it sees, so two runs into one folder (two processes, or two pipelines of one process) would break each
/// other's commits. A pipeline or chain run holds the folder's turn from before it recovers the output until its last commit: the lock
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

        string folder = jsonl.RootDirectory;
        return await FileLock.AcquireAsync(
            Path.Combine(Path.GetDirectoryName(folder)!, "." + Path.GetFileName(folder) + ".writer"),
            lockFile =>
            {
                if (logger is not null)
                {
                    Log.WaitingForOutput(logger, runKind, name, folder, lockFile);
                }
            },
            cancellationToken).ConfigureAwait(false);
    }
}
