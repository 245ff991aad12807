namespace ApiPipeline;

/// <summary>A path with every symbolic link along it resolved, so that two spellings of one file (through a linked folder) compare equal.</summary>
internal static class RealPath
{
    // Link chains deeper than this are loops (Linux gives up at 40 as well).
    private const int MaxLinks = 40;

    /// <summary>
    /// The full path of <paramref name="path"/> with each existing part that is a symbolic link replaced by what it finally points to;
    /// the parts that do not exist yet are kept as written.
    /// </summary>
    /// <exception cref="IOException">The links form a loop.</exception>
    public static string Of(string path)
    {
        int links = 0;
        return Resolve(Path.GetFullPath(path), ref links);
    }

    private static string Resolve(string full, ref int links)
    {
        string root = Path.GetPathRoot(full)!;
        string current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = new FileInfo(current);
            if (!info.Exists)
            {
                info = new DirectoryInfo(current);
            }

            if (info.Exists && info.LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                {
                    throw new IOException($"Too many symbolic links in '{full}'.");
                }

                // A relative target is relative to the link's folder; the target's own folders may be links too.
                current = Resolve(Path.GetFullPath(target, Path.GetDirectoryName(current)!), ref links);
            }
        }

        return current;
    }
}
