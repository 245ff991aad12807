using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline.Tests.Chaining;

// User output types as a user declares them: the generated registry lists them by name, so YAML files can name them in output.type.

/// <summary>
/// Any record type: each committed record as one line, <c>prefix</c> (a <c>config:</c> value only this output knows), the record's
/// <c>partition_by</c> date and a space when the file gives one, then the record's JSON through the metadata the registry hands over,
/// appended to <c>&lt;directory&gt;/&lt;name&gt;.txt</c> at each commit.
/// </summary>
[Output("text-lines", "prefix")]
public sealed class TextLinesOutput<T> : IOutput<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;
    private readonly string _path;
    private readonly string _prefix;
    private readonly Func<T, DateTimeOffset?>? _date;
    private readonly StringBuilder _pending = new();
    private long _records;

    public TextLinesOutput(JsonTypeInfo<T> recordTypeInfo, OutputConfig config)
    {
        _typeInfo = recordTypeInfo;
        _path = Path.Combine(config.Directory, config.Name + ".txt");
        _prefix = config.Settings.TryGetValue("prefix", out var prefix) ? prefix : "";
        _date = config.PartitionDate<T>();
        Batching = config.Batching;
    }

    public OutputBatchOptions Batching { get; }

    public long PendingRecords => _records;

    public long PendingBytes => _pending.Length;

    public ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default)
    {
        foreach (var record in records.Span)
        {
            _pending.Append(_prefix);
            if (_date?.Invoke(record) is { } date)
            {
                _pending.Append(date.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).Append(' ');
            }

            _pending.Append(JsonSerializer.Serialize(record, _typeInfo)).Append('\n');
            _records++;
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default)
    {
        var commit = new OutputCommit([_path], _records, _pending.Length);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        await File.AppendAllTextAsync(_path, _pending.ToString(), cancellationToken);
        _pending.Clear();
        _records = 0;
        return commit;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Children only: counts what it is given, into <see cref="Counts"/> under the output's name.</summary>
[Output("child-counter")]
public sealed class ChildCounter(OutputConfig config) : IOutput<Child>
{
    public static System.Collections.Concurrent.ConcurrentDictionary<string, long> Counts { get; } = new();

    public OutputBatchOptions Batching => OutputBatchOptions.Default;

    public long PendingRecords { get; private set; }

    public long PendingBytes => 0;

    public ValueTask WriteAsync(ReadOnlyMemory<Child> records, CancellationToken cancellationToken = default)
    {
        PendingRecords += records.Length;
        return ValueTask.CompletedTask;
    }

    public ValueTask<OutputCommit> CommitAsync(CancellationToken cancellationToken = default)
    {
        Counts.AddOrUpdate(config.Name, PendingRecords, (_, count) => count + PendingRecords);
        var commit = new OutputCommit([], PendingRecords, 0);
        PendingRecords = 0;
        return ValueTask.FromResult(commit);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
