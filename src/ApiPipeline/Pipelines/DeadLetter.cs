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
/// What was skipped: <c>page</c> (the run went on with the next page), <c>input</c> (the rest of the input), or <c>record</c> (one
/// record: a late one, or one that did not fit the record type, whose page was written without it).
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

    /// <summary>The <see cref="Skipped"/> of an entry that holds one record that did not fit the record type (its page was written).</summary>
    public const string RecordSkipped = "record";

    /// <summary>A late record's partition (the key its watermark is stored under).</summary>
    public string? Partition { get; init; }

    /// <summary>A late record's watermark value.</summary>
    public string? Watermark { get; init; }

    /// <summary>The partition's stored watermark when the late record was read.</summary>
    public string? StoredWatermark { get; init; }

    /// <summary>A late record, as the record type's JSON; or a record that did not fit the record type, as the API sent it.</summary>
    public JsonElement? Record { get; init; }
}

/// <summary>A checkpoint in a dead-letter entry.</summary>
/// <param name="Url">The URL of the failed page, secrets redacted.</param>
/// <param name="PageNumber">The page's number.</param>
/// <param name="RecordsBefore">The records extracted before it.</param>
internal sealed record DeadLetterResume(string Url, int PageNumber, long RecordsBefore);

/// <summary>The runtime's own source-generated JSON metadata (no reflection).</summary>
[JsonSerializable(typeof(DeadLetterEntry))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;

/// <summary>
/// Appends dead-letter entries to a JSONL file, one complete line per write, flushed to disk each time; the file is created on the first entry.
/// </summary>
internal sealed class DeadLetterWriter(string path) : IDisposable
{
    private FileStream? _file;

    public string Path { get; } = path;

    public bool Written => _file is not null;

    public async ValueTask WriteAsync(DeadLetterEntry entry, CancellationToken cancellationToken)
    {
        if (_file is null)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            _file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, useAsync: true);
        }

        var line = JsonSerializer.SerializeToUtf8Bytes(entry, RuntimeJsonContext.Default.DeadLetterEntry);
        var bytes = new byte[line.Length + 1];
        line.CopyTo(bytes, 0);
        bytes[^1] = (byte)'\n';
        await _file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        _file.Flush(flushToDisk: true);
    }

    public static DeadLetterEntry Entry(string pipeline, ExtractionException error, bool pageSkipped, TimeProvider clock) => new(
        clock.GetUtcNow(),
        pipeline,
        error.Extractor,
        error.Kind.ToString(),
        error.StatusCode is { } status ? (int)status : null,
        error.PageNumber,
        error.Url,
        error.Attempts,
        pageSkipped ? "page" : "input",
        error.Message,
        error.BodySnippet,
        error.Input,
        error.RetryAfter is TimeSpan wait ? Duration.Format(wait) : null,
        error.Resume is { } resume ? new DeadLetterResume(UrlRedactor.Redact(resume.Url), resume.PageNumber, resume.RecordsBefore) : null);

    public void Dispose() => _file?.Dispose();
}
