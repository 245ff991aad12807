using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ApiPipeline;

/// <summary>
/// One line of a dead-letter file: a request that failed after its retries, with what is needed to look at it or replay it; or a late
/// record (<see cref="LateRecordPolicy.DeadLetter"/>, <see cref="Kind"/> <c>LateRecord</c>, <see cref="Skipped"/> <c>record</c>) with
/// the record itself, its partition, its watermark value and the stored watermark.
/// </summary>
/// <param name="At">When the failure was recorded (UTC).</param>
/// <param name="Pipeline">The pipeline's id.</param>
/// <param name="Extractor">The extractor's name.</param>
/// <param name="Kind">The <see cref="ExtractionErrorKind"/>.</param>
/// <param name="Status">The HTTP status, when the API answered.</param>
/// <param name="Page">The page's number in its input's extraction.</param>
/// <param name="Url">The request URL, secrets redacted.</param>
/// <param name="Attempts">The attempts made.</param>
/// <param name="Skipped">
/// What was skipped: <c>page</c> (the run went on with the next page), <c>input</c> (the rest of the input), <c>continued</c> (nothing:
/// the input failed, and the pipeline's state keeps its checkpoint for the next run), or <c>record</c> (one record: a late one, or one
/// that did not fit the record type, whose page was written without it).
/// </param>
/// <param name="Error">The error message (secrets redacted).</param>
/// <param name="Body">The start of the response body (at most about 1,000 characters, secrets removed).</param>
/// <param name="Input">The input (see <see cref="ExtractionException.Input"/>).</param>
/// <param name="RetryAfter">The wait the API asked for, as a duration (<c>30s</c>).</param>
/// <param name="Resume">The failed page's checkpoint (URL redacted): where a replay starts.</param>
internal sealed record DeadLetterEntry(
    DateTimeOffset At,
    string Pipeline,
    string Extractor,
    string Kind,
    int? Status,
    int Page,
    string Url,
    int Attempts,
    string Skipped,
    string Error,
    string? Body,
    string? Input,
    string? RetryAfter,
    DeadLetterResume? Resume)
{
    /// <summary>The <see cref="Kind"/> of a late record's entry.</summary>
    public const string LateRecordKind = "LateRecord";

    /// <summary>
    /// The <see cref="Kind"/> of a chain step's input that its mapping could not build from a record of the step before (a null where the
    /// input needs a value): nothing was requested, so there is no page to replay; <see cref="Input"/> holds that record, secrets masked.
    /// </summary>
    public const string MappingKind = "Mapping";

    /// <summary>The <see cref="Skipped"/> of a failed page the run went on after: a replay requests that page again.</summary>
    public const string PageSkipped = "page";

    /// <summary>The <see cref="Skipped"/> of a failed input whose rest was skipped (no state store keeps its checkpoint): a replay requests the rest.</summary>
    public const string InputSkipped = "input";

    /// <summary>
    /// The <see cref="Skipped"/> of a failed input whose rest was not skipped: the pipeline's state keeps its checkpoint and its next run
    /// with the input continues from there, so a replay has nothing to request (it would write those records a second time).
    /// </summary>
    public const string InputContinued = "continued";

    /// <summary>The <see cref="Skipped"/> of an entry that holds one record that did not fit the record type (its page was written).</summary>
    public const string RecordSkipped = "record";

    /// <summary>
    /// The first watermark value a replay of the entry writes, as the state store writes a watermark value
    /// (<c>2026-01-01T00:00:00.0000000Z</c>, <c>n:1000</c>): a backfill's start (<see cref="PipelineOptions.From"/>), or a time window's.
    /// An API without the watermark's <c>Param</c> sends records before it, which the run had dropped as out of range.
    /// </summary>
    public string? Since { get; init; }

    /// <summary>
    /// The watermark value at which a replay of the entry stops writing (exclusive), written as <see cref="Since"/> is: the end of the
    /// run's range (<see cref="PipelineOptions.Until"/>), or, for a backfill, where the pipeline's ordinary runs start, which read the
    /// rest themselves. An API without the watermark's <c>UntilParam</c> sends records after it.
    /// </summary>
    public string? Until { get; init; }

    /// <summary>A late record's partition (the key its watermark is stored under).</summary>
    public string? Partition { get; init; }

    /// <summary>A late record's watermark value.</summary>
    public string? Watermark { get; init; }

    /// <summary>The partition's stored watermark when the late record was read.</summary>
    public string? StoredWatermark { get; init; }

    /// <summary>A late record, as the record type's JSON; or a record that did not fit the record type, as the API sent it.</summary>
    [JsonConverter(typeof(RawJsonConverter))]
    public JsonElement? Record { get; init; }

    /// <summary>
    /// For an entry of a step of a chain the CLI host registers and ran: what a replay needs to take the step's records through the later
    /// steps (for the last step, only the chain input, which says the entry comes from that chain's run); <see langword="null"/> for a
    /// pipeline's entry, a chain file's or one of a chain run outside the host, and an entry made before chain entries carried it.
    /// </summary>
    public DeadLetterChain? Chain { get; init; }

    /// <summary>
    /// For an entry of a pipeline the CLI host ran from a pipeline file (YAML): the file's full path, so that a replay writes the records
    /// where the file's run does (its <c>output</c> section: directory, name, partitioning, type) rather than into
    /// <c>&lt;output&gt;/&lt;pipeline&gt;</c>; <see langword="null"/> for any other entry, and an entry made before entries said so.
    /// </summary>
    public string? PipelineFile { get; init; }
}

/// <summary>
/// What the later steps of a chain read besides the records of the step whose entry it is: the chain input and the records of earlier
/// steps those records descend from (<see cref="ChainLineage"/>), so a replay runs the later steps as the chain's run would have.
/// </summary>
internal sealed record DeadLetterChain
{
    /// <summary>
    /// The chain input as a JSON object of its members' values in text, as the host bound it (<see cref="ChainOptions.DeadLetterInput"/>),
    /// with <c>***</c> for the values of members whose names look secret, URL values holding a password or a secret query value, and values
    /// the first step's key of the input does not show when it masks one (a member sent under a secret-looking query name);
    /// <see langword="null"/> when the run had none to give.
    /// </summary>
    [JsonConverter(typeof(RawJsonConverter))]
    public JsonElement? Input { get; init; }

    /// <summary>
    /// The earlier steps' records the failed input descends from, as far as later steps read them, as the chain's state keeps them
    /// (<c>[{"step":1,"record":{…}}]</c>); <see langword="null"/> when the later steps read none.
    /// </summary>
    [JsonConverter(typeof(RawJsonConverter))]
    public JsonElement? Lineage { get; init; }
}

/// <summary>
/// Writes a JSON value as its own text, only compacted onto one line: escapes, number text and property order stay as they were
/// (the default converter writes strings and numbers again in its own form).
/// </summary>
internal sealed class RawJsonConverter : JsonConverter<JsonElement>
{
    /// <inheritdoc/>
    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => JsonElement.ParseValue(ref reader);

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options)
    {
        byte[] raw = Encoding.UTF8.GetBytes(value.GetRawText());
        int length = JsonCompactor.Compact(raw, raw); // in place: compaction only ever writes behind where it reads
        writer.WriteRawValue(raw.AsSpan(0, length), skipInputValidation: true);
    }
}

/// <summary>A checkpoint in a dead-letter entry.</summary>
/// <param name="Url">The URL of the failed page, secrets redacted.</param>
/// <param name="PageNumber">The page's number.</param>
/// <param name="RecordsBefore">The records extracted before it.</param>
internal sealed record DeadLetterResume(string Url, int PageNumber, long RecordsBefore)
{
    /// <summary>The extractor's base URL the checkpoint lies under (<see cref="PageCheckpoint.BaseUrl"/>), so a replay with another one follows it.</summary>
    public string? BaseUrl { get; init; }
}

/// <summary>The runtime's own source-generated JSON metadata (no reflection).</summary>
[JsonSerializable(typeof(DeadLetterEntry))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, MaxDepth = PageParser.MaxDepth)]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;

/// <summary>
/// A pipeline's (or a chain step's) dead-letter file, written exactly once across a crash and resume. An entry is held in memory
/// (<see cref="Hold"/>) until the batch that covers its page is committed (in a chain, the step's commit that records its input past
/// the failed page or input), and goes through that commit: <see cref="PrepareAsync"/> writes the held
/// entries to a temporary file next to the dead-letter file (flushed to disk) before the state store records the batch, the recorded
/// <see cref="PreparedDeadLetters"/> travels with the batch, and <see cref="CompleteAsync"/> appends the temporary file to the
/// dead-letter file and deletes it; on the next start of the same owner the last recorded one is completed again and every other one
/// of that owner is deleted.
/// An entry is tied to the batch rather than given an identity to look up: a page that is not committed is read again on resume,
/// and its entries are made again with it (if the page now succeeds, it has none), so holding them is what keeps the file in step
/// with the output.
/// </summary>
internal sealed class DeadLetterWriter
{
    private const string TempSuffix = ".tmp";

    private readonly Lock _lock = new();
    private readonly List<byte[]> _held = [];
    private readonly string _owner;
    private readonly string _tempPrefix;
    private int _prepared;

    /// <summary>
    /// Creates the dead-letter file of <paramref name="owner"/> (a pipeline's or a chain's id, as its entries are counted) at
    /// <paramref name="path"/>, whose temporary files are <paramref name="files"/>'s (<see cref="OwnerTag.Pipeline"/> or
    /// <see cref="OwnerTag.Chain"/>: the owner with the state store that records its batches).
    /// </summary>
    public DeadLetterWriter(string path, string owner, string files)
    {
        Path = path;
        _owner = owner;
        _tempPrefix = System.IO.Path.GetFileName(path) + "." + OwnerTag.Of(files) + ".";
    }

    public string Path { get; }

    /// <summary>The pipeline file that every entry this writer holds is stamped with (<see cref="DeadLetterEntry.PipelineFile"/>), if any.</summary>
    public string? PipelineFile { get; init; }

    /// <summary>Whether this writer appended to the file (its run's entries, or at start-up those an interrupted run had recorded).</summary>
    public bool Written { get; private set; }

    /// <summary>Whether entries wait for the next commit.</summary>
    public bool HasHeld
    {
        get
        {
            lock (_lock)
            {
                return _held.Count > 0;
            }
        }
    }

    /// <summary>Keeps <paramref name="entry"/> (as its JSON line) for the next commit.</summary>
    public void Hold(DeadLetterEntry entry)
    {
        var line = Line(PipelineFile is null ? entry : entry with { PipelineFile = PipelineFile });
        lock (_lock)
        {
            _held.Add(line);
        }
    }

    /// <summary>
    /// Writes the held entries to a new temporary file next to the dead-letter file, flushed to disk; <see langword="null"/> when none
    /// is held. The entries stay held until <see cref="Recorded"/>.
    /// </summary>
    public async ValueTask<PreparedDeadLetters?> PrepareAsync(CancellationToken cancellationToken)
    {
        byte[][] lines;
        lock (_lock)
        {
            lines = [.. _held];
        }

        _prepared = lines.Length;
        if (lines.Length == 0)
        {
            return null;
        }

        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        var toFlush = new SortedSet<string>(StringComparer.Ordinal) { directory };
        DurableDirectory.Create(directory, toFlush);
        string temp = System.IO.Path.Combine(directory, _tempPrefix + Guid.NewGuid().ToString("N") + TempSuffix);
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
        {
            foreach (var line in lines)
            {
                await file.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            }

            file.Flush(flushToDisk: true);
        }

        foreach (var folder in toFlush)
        {
            DurableDirectory.Flush(folder); // the temporary file's name (and new folders'), before the state store records it
        }

        return new PreparedDeadLetters(temp, Path);
    }

    /// <summary>The state store recorded what <see cref="PrepareAsync"/> returned: those entries are no longer held.</summary>
    public void Recorded()
    {
        lock (_lock)
        {
            _held.RemoveRange(0, _prepared);
        }

        _prepared = 0;
    }

    /// <summary>Makes recorded entries visible and counts them (<see cref="RollForwardAsync"/>).</summary>
    public async ValueTask CompleteAsync(PreparedDeadLetters prepared, CancellationToken cancellationToken)
    {
        await RollForwardAsync(prepared, _owner, cancellationToken).ConfigureAwait(false);
        Written = true;
    }

    /// <summary>
    /// Appends the entries an interrupted run recorded but did not append (<see cref="RollForwardAsync"/>); if there were any and they
    /// went to this writer's file, the writer counts as having written to it (the run's result names the file).
    /// </summary>
    public async ValueTask RecoverAsync(PreparedDeadLetters prepared, CancellationToken cancellationToken)
    {
        if (await RollForwardAsync(prepared, _owner, cancellationToken).ConfigureAwait(false)
            && string.Equals(System.IO.Path.GetFullPath(prepared.FinalPath), System.IO.Path.GetFullPath(Path), StringComparison.Ordinal))
        {
            Written = true;
        }
    }

    /// <summary>Commits the held entries at once, for a run without a state store (nothing to record them in).</summary>
    public async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        if (await PrepareAsync(cancellationToken).ConfigureAwait(false) is { } prepared)
        {
            Recorded();
            await CompleteAsync(prepared, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The temporary files of batches of entries for the dead-letter file at <paramref name="path"/>, of any pipeline or chain, not yet
    /// appended to it or deleted: left by a run that stopped between preparing a batch and completing it. The next run of that pipeline
    /// or chain with the same state store completes or deletes them; a file an earlier version named is removed by no run, and is
    /// deleted by hand.
    /// </summary>
    public static IReadOnlyList<string> Pending(string path)
    {
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string prefix = System.IO.Path.GetFileName(path) + ".";
        return Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory, prefix + "*" + TempSuffix).Where(file => IsBatchName(System.IO.Path.GetFileName(file).AsSpan(prefix.Length)))]
            : [];

        // <owner hash, 16 hex>.<batch id, 32 hex>.tmp, as PrepareAsync names them.
        static bool IsBatchName(ReadOnlySpan<char> name)
            => name.Length == OwnerTag.Length + 1 + 32 + TempSuffix.Length && name[OwnerTag.Length] == '.' && name[..OwnerTag.Length].IndexOfAnyExcept("0123456789abcdef") < 0
               && name.Slice(OwnerTag.Length + 1, 32).IndexOfAnyExcept("0123456789abcdef") < 0 && name.EndsWith(TempSuffix, StringComparison.Ordinal);
    }

    /// <summary>
    /// Deletes this owner's temporary files that no recorded batch points to (a crash before the batch was recorded). Files named by
    /// development versions before owners included the state store are not recognised: one may be a batch another state file recorded.
    /// </summary>
    public void DeleteUnrecorded()
    {
        string directory = System.IO.Path.GetDirectoryName(Path)!;
        if (Directory.Exists(directory))
        {
            foreach (var stale in Directory.EnumerateFiles(directory, _tempPrefix + "*" + TempSuffix))
            {
                File.Delete(stale);
            }
        }
    }

    /// <summary>
    /// Appends a prepared batch of entries to the dead-letter file, flushed to disk, then deletes its temporary file. Idempotent: with
    /// the temporary file gone the batch is in the file already; if a crash cut an earlier append short, the batch's first lines found
    /// whole where that append started are not written again, only the rest (<see cref="AppendAsync"/>).
    /// <para>
    /// Each entry appended counts once in <see cref="ApiPipelineMetrics.DeadLettered"/> for <paramref name="owner"/> (a pipeline's or a
    /// chain's id), under the extractor its line names: an entry counts when it is in the file, so one made again (its page read again
    /// after a failed commit) counts once, and one that start-up recovery appends for an interrupted run counts then.
    /// </para>
    /// </summary>
    /// <returns>Whether the batch was still to be appended (its temporary file was there).</returns>
    public static async ValueTask<bool> RollForwardAsync(PreparedDeadLetters prepared, string owner, CancellationToken cancellationToken)
    {
        byte[]? lines;
        // Pipelines and chains of this and other processes may share a dead-letter file, and `replay` rewrites it: one at a time.
        using (await FileLock.AcquireAsync(prepared.FinalPath, cancellationToken).ConfigureAwait(false))
        {
            lines = await AppendAsync(prepared, cancellationToken).ConfigureAwait(false);
        }

        if (lines is null)
        {
            return false;
        }

        var batch = lines.AsSpan();
        foreach (var range in batch.Split((byte)'\n'))
        {
            if (!batch[range].IsEmpty && ExtractorOf(batch[range]) is { } extractor)
            {
                Instruments.DeadLettered(owner, extractor);
            }
        }

        return true;
    }

    /// <summary>The extractor an entry names; <see langword="null"/> for a line that is not an entry, which is then in the file but not counted.</summary>
    private static string? ExtractorOf(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, RuntimeJsonContext.Default.DeadLetterEntry)?.Extractor;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Appends the batch in <paramref name="prepared"/>'s temporary file, under the dead-letter file's lock; returns its lines, or
    /// <see langword="null"/> when the temporary file is gone (appended already). First the file is made to end with a whole line: a
    /// tail after its last line feed was left by an append that a crash cut short, and is removed (that batch's own recovery writes
    /// it again), or ended with a line feed when it is a whole JSON value (a line that lost only its line feed, or was edited by hand).
    /// Then, before its first byte, an append notes where it starts at the end of its temporary file (<see cref="StartMark"/>, flushed
    /// to disk): the file's length now, which another writer may have changed since the batch was prepared. A batch whose temporary file
    /// has that line was being appended when a crash came: the batch's first lines found whole from there are not written again.
    /// </summary>
    private static async ValueTask<byte[]?> AppendAsync(PreparedDeadLetters prepared, CancellationToken cancellationToken)
    {
        if (!File.Exists(prepared.TempPath))
        {
            return null;
        }

        var temp = await File.ReadAllBytesAsync(prepared.TempPath, cancellationToken).ConfigureAwait(false);
        var (length, start) = Batch(temp);
        var lines = temp[..length];
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(prepared.FinalPath))!;
        Directory.CreateDirectory(directory);
        bool created = !File.Exists(prepared.FinalPath);
        await using (var file = new FileStream(prepared.FinalPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 4096, useAsync: true))
        {
            await EndWithWholeLineAsync(file, cancellationToken).ConfigureAwait(false);
            int done = 0;
            if ((start ?? prepared.Offset) is long at)
            {
                done = await AppendedAsync(file, at, lines, cancellationToken).ConfigureAwait(false);
            }

            if (start is null)
            {
                // A batch an earlier version was appending (from the length it recorded) goes on right after its lines found whole,
                // when nothing follows them, so it starts there still; otherwise an append starts at the end of the file.
                long from = done > 0 && prepared.Offset is long recorded && recorded + done == file.Length ? recorded : file.Length;
                await NoteStartAsync(prepared.TempPath, length, from, cancellationToken).ConfigureAwait(false);
            }

            file.Position = file.Length;
            await file.WriteAsync(lines.AsMemory(done), cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        if (created)
        {
            DurableDirectory.Flush(directory); // the new file's name, before the temporary file that can write it again is gone
        }

        File.Delete(prepared.TempPath);
        return lines;
    }

    /// <summary>
    /// The line an append adds to the end of its batch's temporary file before it writes to the dead-letter file: this, the file's length
    /// in digits, and a line feed. An entry's line is a JSON object, so it never starts so.
    /// </summary>
    private static ReadOnlySpan<byte> StartMark => "#at="u8;

    /// <summary>
    /// The length of the batch's lines in a temporary file, and where its append started if it did (<see cref="StartMark"/>). A mark cut
    /// short, without its line feed or its digits, was not flushed to disk yet: that append did not start.
    /// </summary>
    private static (int Length, long? Start) Batch(byte[] temp)
    {
        int end = temp.AsSpan().LastIndexOf((byte)'\n') + 1;
        int last = end == 0 ? 0 : temp.AsSpan(0, end - 1).LastIndexOf((byte)'\n') + 1;
        var line = temp.AsSpan(last, end - last);
        if (!line.StartsWith("#"u8))
        {
            return (end, null);
        }

        return line.StartsWith(StartMark) && System.Buffers.Text.Utf8Parser.TryParse(line[StartMark.Length..^1], out long start, out int read)
               && read == line.Length - StartMark.Length - 1 && start >= 0
            ? (last, start)
            : (last, null);
    }

    /// <summary>Adds <see cref="StartMark"/> with <paramref name="start"/> after the batch's <paramref name="length"/> bytes in its temporary file, flushed to disk.</summary>
    private static async ValueTask NoteStartAsync(string tempPath, int length, long start, CancellationToken cancellationToken)
    {
        byte[] mark = [.. StartMark, .. Encoding.ASCII.GetBytes(start.ToString(System.Globalization.CultureInfo.InvariantCulture)), (byte)'\n'];
        await using var temp = new FileStream(tempPath, FileMode.Open, FileAccess.Write, FileShare.None, 4096, useAsync: true);
        temp.SetLength(length);
        temp.Position = length;
        await temp.WriteAsync(mark, cancellationToken).ConfigureAwait(false);
        temp.Flush(flushToDisk: true);
    }

    /// <summary>Makes <paramref name="file"/> end with a line feed (or be empty): see <see cref="AppendAsync"/>.</summary>
    private static async ValueTask EndWithWholeLineAsync(FileStream file, CancellationToken cancellationToken)
    {
        long tail = file.Length;
        var chunk = new byte[4096];
        while (tail > 0)
        {
            int size = (int)Math.Min(chunk.Length, tail);
            file.Position = tail - size;
            await file.ReadExactlyAsync(chunk.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
            int feed = chunk.AsSpan(0, size).LastIndexOf((byte)'\n');
            if (feed >= 0)
            {
                tail += feed + 1 - size;
                break;
            }

            tail -= size;
        }

        if (tail == file.Length)
        {
            return;
        }

        var rest = new byte[file.Length - tail];
        file.Position = tail;
        await file.ReadExactlyAsync(rest, cancellationToken).ConfigureAwait(false);
        if (IsJson(rest))
        {
            file.Position = file.Length;
            file.WriteByte((byte)'\n');
        }
        else
        {
            file.SetLength(tail);
        }

        static bool IsJson(byte[] text)
        {
            try
            {
                JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = PageParser.MaxDepth }).Dispose();
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// How many bytes of <paramref name="lines"/> an append that started at <paramref name="start"/> wrote before a crash: its first lines
    /// found there byte for byte, whole. A line written only in part was removed (<see cref="EndWithWholeLineAsync"/>), and what follows
    /// the lines found is another writer's.
    /// </summary>
    private static async ValueTask<int> AppendedAsync(FileStream file, long start, byte[] lines, CancellationToken cancellationToken)
    {
        if (start >= file.Length)
        {
            return 0;
        }

        var found = new byte[Math.Min(lines.Length, file.Length - start)];
        file.Position = start;
        await file.ReadExactlyAsync(found, cancellationToken).ConfigureAwait(false);
        int done = 0;
        while (done < found.Length)
        {
            int next = done + lines.AsSpan(done).IndexOf((byte)'\n') + 1;
            if (next > found.Length || !found.AsSpan(done, next - done).SequenceEqual(lines.AsSpan(done, next - done)))
            {
                break;
            }

            done = next;
        }

        return done;
    }

    public static DeadLetterEntry Entry(string pipeline, ExtractionException error, bool pageSkipped, TimeProvider clock, bool continued = false) => new(
        clock.GetUtcNow(),
        pipeline,
        error.Extractor,
        error.Kind.ToString(),
        error.StatusCode is { } status ? (int)status : null,
        error.PageNumber,
        error.Url,
        error.Attempts,
        pageSkipped ? DeadLetterEntry.PageSkipped : continued ? DeadLetterEntry.InputContinued : DeadLetterEntry.InputSkipped,
        error.Message,
        error.BodySnippet,
        error.Input,
        error.RetryAfter is TimeSpan wait ? Duration.Format(wait) : null,
        error.Resume is { } resume ? new DeadLetterResume(SecretQuery.Redact(resume.Url), resume.PageNumber, resume.RecordsBefore) { BaseUrl = resume.BaseUrl is null ? null : UrlRedactor.Redact(resume.BaseUrl).TrimEnd('/') } : null);

    /// <summary>
    /// The entry of one record of a written page that did not fit the record type (<see cref="DeadLetterEntry.RecordSkipped"/>): the
    /// record as the API sent it (<paramref name="record"/>), and no checkpoint, as its page is not requested again.
    /// </summary>
    public static DeadLetterEntry RecordEntry(string pipeline, ExtractionException error, byte[] record, TimeProvider clock)
    {
        using var json = JsonDocument.Parse(record, new JsonDocumentOptions { MaxDepth = PageParser.MaxDepth });
        return Entry(pipeline, error, pageSkipped: false, clock) with { Skipped = DeadLetterEntry.RecordSkipped, Resume = null, Record = json.RootElement.Clone() };
    }

    /// <summary>The entry of a chain step's input whose mapping failed (<see cref="DeadLetterEntry.MappingKind"/>).</summary>
    public static DeadLetterEntry MappingEntry(string pipeline, string extractor, string? parent, Exception error, TimeProvider clock)
        => new(clock.GetUtcNow(), pipeline, extractor, DeadLetterEntry.MappingKind, null, 0, "", 0, DeadLetterEntry.InputSkipped, error.Message, null, parent, null, null);

    private static byte[] Line(DeadLetterEntry entry)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(entry, RuntimeJsonContext.Default.DeadLetterEntry);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }
}
