using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// A user output type as a user declares it (no two-phase commit of its own: the default PrepareCommitAsync commits at once and
/// describes the file it appended to, TempPath = FinalPath): each committed record's JSON as one line of <c>&lt;directory&gt;/&lt;name&gt;.txt</c>.
/// </summary>
[Output("lines-file")]
public sealed class LinesFileOutput<T>(JsonTypeInfo<T> recordTypeInfo, OutputConfig config) : IOutput<T>
{
    private readonly string _path = Path.Combine(config.Directory, config.Name + ".txt");
    private readonly StringBuilder _pending = new();
    private long _records;

    public OutputBatchOptions Batching { get; } = config.Batching;

    public long PendingRecords => _records;

    public long PendingBytes => _pending.Length;

    public ValueTask WriteAsync(ReadOnlyMemory<T> records, CancellationToken cancellationToken = default)
    {
        foreach (var record in records.Span)
        {
            _pending.Append(JsonSerializer.Serialize(record, recordTypeInfo)).Append('\n');
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

/// <summary>A pipeline file with a user output type that dead-letters, and its entries' replay.</summary>
public sealed class UserOutputReplayTests : ServerTests
{
    /// <summary>
    /// A pipeline file whose <c>output</c> is a user output type (<c>lines-file</c>, in its own directory) dead-letters page 2 (a 503, no
    /// retries): the CLI host gives it a dead-letter file (<c>&lt;output&gt;/&lt;id&gt;.dead-letter.jsonl</c>), so the run succeeds in part
    /// (exit 2) with the entry there, and <c>replay</c> completes the file's output through the same user output type (25 items).
    /// </summary>
    [Fact]
    public async Task Replay_of_a_pipeline_files_entry_whose_output_is_a_user_output_type_completes_its_output()
    {
        string data = Path.Combine(Dir.Path, "data");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = Path.Combine(Dir.Path, "out") }).Build();
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: file_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\nerror_handling:\n  mode: dead_letter\n  max_retries: 0\noutput:\n  type: lines-file\n  config:\n    directory: {data}\n    name: dataset\n");
        Server.Unavailable = target => target.Contains("page=2", StringComparison.Ordinal) && Server.Targets.Count(t => t.Contains("page=2", StringComparison.Ordinal)) == 1;
        var (code, text, error) = await CliTests.Cli(configuration, "run", file);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string lines = Path.Combine(data, "dataset.txt");
        Assert.Equal(15, File.ReadAllLines(lines).Length);
        string deadLetters = Directory.EnumerateFiles(Dir.Path, "*.dead-letter.jsonl", SearchOption.AllDirectories).Single();

        (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters);

        Assert.True(code == ExitCodes.Success, text + error);
        var ids = File.ReadAllLines(lines).Select(l => JsonSerializer.Deserialize(l, TestJson.Default.Item)!.Id).Order();
        Assert.Equal(Enumerable.Range(1, 25), ids);
    }
}
