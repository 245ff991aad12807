using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>Settings of a <see cref="JsonlOutput{T}"/>.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed record JsonlOutputOptions<T>
{
    /// <summary>The root folder. Default <c>out</c>.</summary>
    public string Directory { get; init; } = "out";

    /// <summary>The dataset's folder under <see cref="Directory"/>, usually the pipeline's id. Required.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// Partitions files by the UTC date this returns: <c>&lt;Directory&gt;/&lt;Name&gt;/date=YYYY-MM-DD/part-00001.jsonl</c>;
    /// a record without a date goes to <c>date=unknown</c>. <see langword="null"/> (the default) writes all files into one folder.
    /// For a <see cref="DateTime"/> member use <see cref="PartitionByDateTime"/>: returned here, C# itself converts it to a
    /// <see cref="DateTimeOffset"/>, taking one without a kind as the machine's local time.
    /// </summary>
    public Func<T, DateTimeOffset?>? PartitionBy { get; init; }

    /// <summary>
    /// Partitions files by a <see cref="DateTime"/> as <see cref="PartitionBy"/> does by a <see cref="DateTimeOffset"/>, by the rule of a
    /// file's <c>partition_by</c>, the same on every machine: a value without a kind (System.Text.Json reads a timestamp without an
    /// offset, <c>"2026-04-01T23:30:00"</c>, so) is UTC, a local one is converted to UTC, a UTC one is taken as it is. Set at most one of
    /// the two.
    /// </summary>
    public Func<T, DateTime?>? PartitionByDateTime { get; init; }

    /// <summary>When a batch is committed. Default <see cref="OutputBatchOptions.Default"/>.</summary>
    public OutputBatchOptions Batching { get; init; } = OutputBatchOptions.Default;
}

/// <summary>
/// Writes records as JSON Lines: one compact object per line, serialized with the record's <see cref="JsonTypeInfo{T}"/>.
/// Each batch goes to hidden temporary files (<c>.part-00001.&lt;owner&gt;.&lt;tag&gt;.jsonl.tmp</c>) that a commit flushes to disk and renames
/// to <c>part-00001.jsonl</c>, so a reader never sees half a file. Numbering continues after the files already there, temporary ones too.
/// One writer per folder at a time: temporary files left by an interrupted run are put in place or deleted by that owner's
/// <see cref="RecoverAsync"/>; a writer leaves other owners' alone (one may be a batch another pipeline or chain id of the folder recorded).
/// As an <see cref="IPageSink{T}"/>, each record goes straight into its temporary file while the page is parsed; a page that is aborted
/// is cut off again (the file is truncated to where the page began), so a batch only ever holds whole pages.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class JsonlOutput<T> : IOutput<T>, IPageSink<T>, IConsumingPageSink
{
    private const int NoPartition = int.MinValue;
    private const int UnknownDate = int.MinValue + 1;

    /// <summary>
    /// A page's records are written to the file in pieces of about this size: larger than the file stream's 64 KiB buffer, so that they
    /// go to the file without another copy, and large enough that a typical page is one write, as in hand-written code (a page of 1,000
    /// records of ~650 bytes took three writes of 256 KiB: docs/performance.md, Finding 16). A partition change writes what is
    /// buffered, however little; the buffer never holds more than this plus one record.
    /// </summary>
    private const int PageWriteBytes = 1024 * 1024;
    private readonly JsonTypeInfo<T> _typeInfo;
    private readonly JsonlOutputOptions<T> _options;
    private readonly string _root;
    private readonly Dictionary<int, OpenFile> _open = [];
    private readonly List<PreparedFile> _closed = [];
    private readonly Dictionary<int, int> _nextPart = [];
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;
    private readonly RawJsonOf<T>? _rawJson;
    private readonly Func<T, DateTimeOffset?>? _partitionBy;
    private readonly List<OpenFile> _pageFiles = [];

    /// <summary>
    /// Directories whose entries must reach the disk before the state store records the next batch: those this output created files or
    /// folders in since, and those its last batch was renamed into (<see cref="DurableDirectory"/>).
    /// </summary>
    private readonly SortedSet<string> _toFlush = new(StringComparer.Ordinal);
    private OpenFile? _pageFile;
    private int _pageKey;
    private int _pageRecords;
    private long _pageBytes;

    /// <summary>The <see cref="OwnerTag"/> in this writer's temporary names: of the owner that last recovered it or that it writes as (<see cref="WriteAs"/>).</summary>
    private string _ownerTag = OwnerTag.Of(string.Empty);

    /// <summary>Creates the output.</summary>
    /// <param name="typeInfo">The record's type metadata, from the same context the extractor uses.</param>
    /// <param name="options">Where and how to write.</param>
    public JsonlOutput(JsonTypeInfo<T> typeInfo, JsonlOutputOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name);
        _typeInfo = typeInfo;
        _options = options;
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(options.Directory, options.Name))); // "issues/" is "issues"
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = typeInfo.Options.Encoder, SkipValidation = true, Indented = false });
        _rawJson = (typeInfo.Converter as IRawRecordConverter)?.JsonOf<T>();
        if (options.PartitionBy is not null && options.PartitionByDateTime is not null)
        {
            throw new ArgumentException("Set PartitionBy or PartitionByDateTime, not both.", nameof(options));
        }

        _partitionBy = options.PartitionBy
            ?? (options.PartitionByDateTime is { } byDateTime ? record => byDateTime(record) is { } date ? RecordTime.FromDateTime(date, LocalTimeZone) : null : null);
    }

    /// <summary>The dataset's folder.</summary>
    public string RootDirectory => _root;

    /// <summary>
    /// Makes this writer's temporary files <paramref name="owner"/>'s without recovering the folder (a <c>replay</c> writing into a run's
    /// folder): that owner's next recovery removes those a killed process left.
    /// </summary>
    /// <param name="owner">Who writes here (the pipeline's or chain run's id and its state store).</param>
    public void WriteAs(string owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        _ownerTag = OwnerTag.Of(owner);
    }

    /// <summary>Flushes a directory's entries to disk; tests observe it.</summary>
    internal Action<string> FlushDirectory { get; init; } = DurableDirectory.Flush;

    /// <summary>The zone of a local <see cref="JsonlOutputOptions{T}.PartitionByDateTime"/>: the machine's; tests give another.</summary>
    internal TimeZoneInfo LocalTimeZone { get; init; } = TimeZoneInfo.Local;

    /// <inheritdoc/>
    public OutputBatchOptions Batching => _options.Batching;

    /// <inheritdoc/>
    public long PendingRecords { get; private set; }

    /// <inheritdoc/>
    public long PendingBytes { get; private set; }

    /// <summary>
    /// Writes <paramref name="records"/> as one page, through the same path as a page sink's records: all of them, or, when one cannot be
    /// written, none.
    /// </summary>
    /// <param name="records">The records.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            foreach (var record in records.Span)
            {
                Add(record);
            }

            return EndPageAsync(default, cancellationToken); // completes synchronously: a failed write of the page's end throws here
        }
        catch
        {
            AbortPage();
            throw;
        }
    }

    /// <inheritdoc/>
    bool IConsumingPageSink.ConsumesRecords => true;

    /// <inheritdoc/>
    public void BeginPage()
    {
        _pageRecords = 0;
        _pageBytes = 0;
        _pageFile = null;
    }

    /// <summary>
    /// Writes <paramref name="record"/> as part of the current page: serialized (or, passthrough, copied) into a buffer that goes to its
    /// partition's temporary file when the partition changes, when it holds <see cref="PageWriteBytes"/>, and at the end of the page.
    /// </summary>
    /// <param name="record">The record.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(T record)
    {
        int key = _partitionBy is { } partitionBy ? DayKey(partitionBy(record)) : NoPartition;
        if (_pageFile is null || _pageKey != key)
        {
            WritePageBuffer();
            PageFile(key);
        }

        int before = _buffer.WrittenCount;
        if (_rawJson is not null)
        {
            var json = _rawJson.Of(in record);
            var line = _buffer.GetSpan(json.Length + 1);
            json.CopyTo(line);
            line[json.Length] = (byte)'\n';
            _buffer.Advance(json.Length + 1);
        }
        else
        {
            JsonSerializer.Serialize(_json, record, _typeInfo);
            _json.Flush();
            _json.Reset();
            _buffer.GetSpan(1)[0] = (byte)'\n';
            _buffer.Advance(1);
        }

        _pageBytes += _buffer.WrittenCount - before;
        _pageRecords++;
        if (_buffer.WrittenCount >= PageWriteBytes)
        {
            WritePageBuffer();
        }
    }

    /// <summary>Moves the page's buffered records into the current page file.</summary>
    private void WritePageBuffer()
    {
        if (_buffer.WrittenCount > 0)
        {
            _pageFile!.Stream.Write(_buffer.WrittenSpan);
            _buffer.ResetWrittenCount();
        }
    }

    /// <inheritdoc/>
    public ValueTask EndPageAsync(PageInfo page, CancellationToken cancellationToken = default)
    {
        WritePageBuffer();
        PendingRecords += _pageRecords;
        PendingBytes += _pageBytes;
        foreach (var file in _pageFiles)
        {
            file.PageStart = -1;
        }

        _pageFiles.Clear();
        BeginPage();
        return ValueTask.CompletedTask;
    }

    /// <summary>Cuts the current page's records off every file it wrote to; files it opened are deleted.</summary>
    public void AbortPage()
    {
        foreach (var file in _pageFiles)
        {
            if (file.OpenedInPage)
            {
                // As if the page had never opened it: no temporary file, and no empty partition folder for readers to find.
                file.Stream.Dispose();
                File.Delete(file.TempPath);
                _open.Remove(file.Key);
                _nextPart.Remove(file.Key);
                RemoveIfEmpty(Path.GetDirectoryName(file.TempPath)!);
                continue;
            }

            file.Stream.SetLength(file.PageStart);
            file.Stream.Position = file.PageStart;
            file.PageStart = -1;
        }

        _pageFiles.Clear();
        _json.Reset();
        _buffer.ResetWrittenCount();
        BeginPage();
    }

    /// <summary>Makes the open file of <paramref name="key"/> the page's current file, noting where the current page starts in it.</summary>
    private void PageFile(int key)
    {
        bool opened = !_open.TryGetValue(key, out var file);
        file ??= Open(key);
        if (file.PageStart < 0)
        {
            file.PageStart = file.Stream.Position;
            file.OpenedInPage = opened;
            _pageFiles.Add(file);
        }

        _pageFile = file;
        _pageKey = key;
    }

    /// <inheritdoc/>
    public async ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default)
        => await CompleteCommitAsync(await PrepareCommitAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Flushes every open temporary file to disk and closes it, then the directories that hold them (and the last batch's renamed
    /// files); nothing is renamed yet.
    /// </summary>
    /// <param name="cancellationToken">Cancels the preparation.</param>
    public ValueTask<PreparedCommit> PrepareCommitAsync(CancellationToken cancellationToken = default)
    {
        // A file leaves _open for _closed once it is on disk, so a preparation that failed (a flush, the folders' flush) and is
        // tried again still names every file of the batch.
        foreach (var key in _open.Keys.Order().ToArray())
        {
            var file = _open[key];
            file.Stream.Flush(flushToDisk: true);
            file.Stream.Dispose();
            _open.Remove(key);
            _closed.Add(new PreparedFile(file.TempPath, file.FinalPath));
        }

        FlushDirectories();
        var prepared = new PreparedCommit([.. _closed], PendingRecords, PendingBytes);
        _closed.Clear();
        PendingRecords = 0;
        PendingBytes = 0;
        return ValueTask.FromResult(prepared);
    }

    /// <summary>
    /// Renames each prepared temporary file to its final name; a file already renamed (roll-forward after a crash) is left as it is.
    /// The renames reach the disk with the next preparation, before the state store records another batch: until then a lost rename
    /// is rolled forward again.
    /// </summary>
    /// <param name="prepared">What <see cref="PrepareCommitAsync"/> returned.</param>
    /// <param name="cancellationToken">Cancels the completion.</param>
    public ValueTask<OutputCommit> CompleteCommitAsync(PreparedCommit prepared, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        Rename(prepared, recovering: false);
        foreach (var file in prepared.Files)
        {
            _toFlush.Add(Path.GetDirectoryName(file.FinalPath)!);
        }

        return ValueTask.FromResult(new OutputCommit([.. prepared.Files.Select(f => f.FinalPath)], prepared.Records, prepared.Bytes));
    }

    /// <summary>
    /// Renames each temporary file of <paramref name="prepared"/> that is still there. When <paramref name="recovering"/>, a file gone
    /// under both names was renamed by the run that recorded the batch and has been consumed since (a loader moved or deleted it);
    /// right after <see cref="PrepareCommitAsync"/> that cannot happen, so it is an error.
    /// </summary>
    private static void Rename(PreparedCommit prepared, bool recovering)
    {
        foreach (var file in prepared.Files)
        {
            if (File.Exists(file.TempPath))
            {
                File.Move(file.TempPath, file.FinalPath, overwrite: false);
            }
            else if (!recovering && !File.Exists(file.FinalPath))
            {
                throw new IOException($"Cannot complete the commit of '{file.FinalPath}': neither it nor its temporary file '{file.TempPath}' exists. Is another run of the same pipeline or chain writing to '{Path.GetDirectoryName(file.FinalPath)}'? A run's recovery deletes the temporary files of its pipeline or chain id that it finds there, so run one at a time (the CLI host's runs take turns by themselves).");
            }
        }
    }

    /// <summary>
    /// Forgets what this instance wrote and did not commit (a run on it that failed before its commit), rolls
    /// <paramref name="lastPrepared"/> forward, then deletes every other temporary file of <paramref name="owner"/> under
    /// <see cref="RootDirectory"/>, and the partition folders that held nothing else; from now on this writer's temporary files are that
    /// owner's. Other owners' are left alone.
    /// </summary>
    /// <param name="owner">Who writes here (<see cref="OwnerTag"/>: the pipeline's or chain run's id and its state store).</param>
    /// <param name="lastPrepared">The last batch the state store recorded for <paramref name="owner"/>, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the recovery.</param>
    public ValueTask RecoverAsync(string owner, PreparedCommit? lastPrepared, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        Discard();
        _ownerTag = OwnerTag.Of(owner);
        RollForward(lastPrepared, FlushDirectory);
        if (Directory.Exists(_root))
        {
            var emptied = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var stale in Directory.EnumerateFiles(_root, ".part-*." + _ownerTag + ".*.jsonl.tmp", SearchOption.AllDirectories))
            {
                File.Delete(stale);
                emptied.Add(Path.GetDirectoryName(stale)!);
            }

            RemoveEmptied(emptied);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Puts <paramref name="lastPrepared"/> (the last batch a state store recorded for a writer) in place: renames those of its temporary
    /// files that are still there. What a run's recovery does first (a pipeline's at every start, a chain's at every run but a replay), and what
    /// <c>replay</c> does before it writes into a pipeline's or chain's folder.
    /// </summary>
    /// <param name="lastPrepared">The last batch recorded, or <see langword="null"/>.</param>
    /// <param name="flushDirectory">Makes a folder's entries durable; default <see cref="DurableDirectory.Flush"/>.</param>
    internal static void RollForward(PreparedCommit? lastPrepared, Action<string>? flushDirectory = null)
    {
        if (lastPrepared is null)
        {
            return;
        }

        // Renamed now or by the run that recorded it: either way the names reach the disk before anything is recorded after it.
        Rename(lastPrepared, recovering: true);
        foreach (var directory in lastPrepared.Files.Select(file => Path.GetDirectoryName(file.FinalPath)!).Distinct(StringComparer.Ordinal).Where(Directory.Exists))
        {
            (flushDirectory ?? DurableDirectory.Flush)(directory);
        }
    }

    /// <summary>Discards what was not committed.</summary>
    public ValueTask DisposeAsync()
    {
        Discard();
        _json.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes and deletes the temporary files not committed, and forgets their records, the current page and part numbers.</summary>
    private void Discard()
    {
        var emptied = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in _open.Values)
        {
            try
            {
                file.Stream.Dispose();
            }
            catch (IOException)
            {
                // Flushing bytes that are about to be deleted failed (a full disk, say): the file is closed all the same.
            }

            File.Delete(file.TempPath);
            emptied.Add(Path.GetDirectoryName(file.TempPath)!);
        }

        foreach (var file in _closed)
        {
            File.Delete(file.TempPath);
            emptied.Add(Path.GetDirectoryName(file.TempPath)!);
        }

        RemoveEmptied(emptied);
        _open.Clear();
        _closed.Clear();
        _nextPart.Clear();
        _pageFiles.Clear();
        _json.Reset();
        _buffer.ResetWrittenCount();
        PendingRecords = 0;
        PendingBytes = 0;
        BeginPage();
    }

    /// <summary>
    /// As an aborted page leaves no empty partition folder, neither do discarded or recovered temporary files: a folder of
    /// <paramref name="folders"/> that held only them goes too (never the dataset's root, nor a folder that still holds anything).
    /// </summary>
    private void RemoveEmptied(IEnumerable<string> folders)
    {
        foreach (var folder in folders)
        {
            RemoveIfEmpty(folder);
        }
    }

    /// <summary>
    /// Removes <paramref name="folder"/> (never the dataset's root) if it is empty. A writer of another process may put a file in it, or
    /// remove it, at the same moment: the folder then stays, or is already gone, and that writer's <see cref="Open"/> makes it again.
    /// </summary>
    private void RemoveIfEmpty(string folder)
    {
        try
        {
            lock (PartitionFolders.Gate)
            {
                if (folder != _root && Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    Directory.Delete(folder);
                    _toFlush.Remove(folder);
                }
            }
        }
        catch (IOException)
        {
            // Not empty any more (a new part of another process's writer), or removed by it meanwhile.
        }
    }

    /// <summary>Flushes the directories of <see cref="_toFlush"/> that still exist (a loader may have taken a folder away).</summary>
    private void FlushDirectories()
    {
        foreach (var directory in _toFlush)
        {
            if (Directory.Exists(directory))
            {
                FlushDirectory(directory);
            }
        }

        _toFlush.Clear();
    }

    private static int DayKey(DateTimeOffset? date) => date is { } d ? DateOnly.FromDateTime(d.UtcDateTime).DayNumber : UnknownDate;

    private OpenFile Open(int key)
    {
        string directory = key switch
        {
            NoPartition => _root,
            UnknownDate => Path.Combine(_root, "date=unknown"),
            _ => Path.Combine(_root, "date=" + DateOnly.FromDayNumber(key).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        };

        // Temporary parts found here are left alone, and their numbers are not taken: one may be a batch another owner of the folder
        // recorded (another pipeline, another chain id of the same chain file), which only that owner's recovery puts in place. They are
        // counted at every new part, since that owner may have prepared one since this one last looked.
        bool known = _nextPart.TryGetValue(key, out int part);
        string name, temp;
        FileStream stream;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                // Under PartitionFolders.Gate: no writer of this process removes the folder between its creation and the new file's.
                lock (PartitionFolders.Gate)
                {
                    DurableDirectory.Create(directory, _toFlush); // again, if a loader took the folder away with the files committed in it
                    part = Math.Max(known ? part : 1, NextFreePart(directory));

                    // The temporary name carries its owner, whose recovery alone deletes it, and is unique to this batch (a random tag):
                    // recovery rolls a recorded batch forward by its temporary files' names, so a later batch reusing the part number (its
                    // files were taken away) must not be taken for it.
                    string number = "part-" + part.ToString("D5", CultureInfo.InvariantCulture);
                    name = number + ".jsonl";
                    temp = Path.Combine(directory, "." + number + "." + _ownerTag + "." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) + ".jsonl.tmp");
                    stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024);
                }

                break;
            }
            catch (IOException) when (attempt < 3)
            {
                // A writer of another process removed the folder just now, having emptied it (a missing folder, or one that "already
                // exists" but is gone): made again. Any other error of the file system comes back the same way and fails the third attempt.
            }
        }

        _nextPart[key] = part + 1;
        _toFlush.Add(directory);
        var file = new OpenFile(key, stream, temp, Path.Combine(directory, name));
        _open[key] = file;
        return file;
    }

    private static int NextFreePart(string directory)
    {
        int max = 0;
        foreach (var path in Directory.EnumerateFiles(directory, "part-*.jsonl").Concat(Directory.EnumerateFiles(directory, ".part-*.jsonl.tmp")))
        {
            // part-00007.jsonl, or .part-00007.<owner>.<tag>.jsonl.tmp
            var name = Path.GetFileName(path.AsSpan());
            var digits = name[(name.IndexOf("part-", StringComparison.Ordinal) + "part-".Length)..];
            int end = digits.IndexOf('.');
            if (int.TryParse(end < 0 ? digits : digits[..end], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > max)
            {
                max = n;
            }
        }

        return max + 1;
    }

    /// <summary>An open part file; fields, not properties, as every page reads them (docs/performance.md, Finding 17).</summary>
    private sealed class OpenFile(int key, FileStream stream, string tempPath, string finalPath)
    {
        public readonly int Key = key;

        public readonly FileStream Stream = stream;

        /// <summary>Where the current page's records start in the file, or -1 when the page has not written to it.</summary>
        public long PageStart = -1;

        /// <summary>Whether the current page opened the file (an aborted page then deletes it).</summary>
        public bool OpenedInPage;

        public readonly string TempPath = tempPath;

        public readonly string FinalPath = finalPath;
    }
}

/// <summary>
/// The gate held while a partition folder is made and a part created in it, and while an emptied one is removed: writers of one process
/// that share a dataset folder (parallel chains, a replay, outputs of different record types) never remove a folder another is about to
/// write in. Not in the generic <see cref="JsonlOutput{T}"/>, whose statics are one per record type.
/// </summary>
internal static class PartitionFolders
{
    public static readonly Lock Gate = new();
}
