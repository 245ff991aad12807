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

/// <summary>
/// A pipeline file with a user output type that dead-letters, and its entries' replay; and the temporary files a version before owner
/// tags left, which a run of the same pipeline removes.
/// </summary>
public sealed class LeftoversAndUserOutputReplayTests : ServerTests
{
    /// <summary>
    /// A pipeline file whose <c>output</c> is a user output type (<c>lines-file</c>, in its own directory) dead-letters page 2 (a 503, no
    /// retries): the CLI host gives it a dead-letter file (<c>&lt;output&gt;/&lt;id&gt;.dead-letter.jsonl</c>), so the run succeeds in part
    /// (exit 2) with the entry there, and <c>replay</c> completes the file's output through the same user output type (25 items).
    /// </summary>
    [Fact]
    public async Task replay_of_a_pipeline_files_entry_whose_output_is_a_user_output_type_completes_its_output()
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

    /// <summary>
    /// A version before owner tags named a pipeline's dead-letter batch <c>&lt;file&gt;.&lt;SHA-256(pipeline id)[..16]&gt;.&lt;batch&gt;.tmp</c>;
    /// such a run was killed after writing one but before its state recorded it. After the upgrade, <c>replay</c> refuses and says to run
    /// the pipeline again with the state file it ran with. The user does: that run removes the unrecorded batch, and the replay succeeds.
    /// </summary>
    [Fact]
    public async Task a_pipelines_next_run_removes_an_unrecorded_dead_letter_batch_an_earlier_version_left_so_replay_can_go_on()
    {
        string data = Path.Combine(Dir.Path, "data");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = Path.Combine(Dir.Path, "out") }).Build();
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: file_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\nerror_handling:\n  mode: dead_letter\n  max_retries: 0\noutput:\n  type: jsonl\n  config:\n    directory: {data}\n    name: dataset\n");
        Server.Unavailable = target => target.Contains("page=2", StringComparison.Ordinal) && Server.Targets.Count(t => t.Contains("page=2", StringComparison.Ordinal)) == 1;
        var (code, text, error) = await CliTests.Cli(configuration, "run", file);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(data, "dataset.dead-letter.jsonl");
        Assert.Single(File.ReadAllLines(deadLetters));

        // What the earlier version's killed run left: an unrecorded batch of its entries, named by the pipeline id's hash alone.
        string oldHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("file_items")))[..16];
        string leftover = deadLetters + "." + oldHash + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllTextAsync(leftover, File.ReadAllLines(deadLetters)[0] + "\n");
        (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters);
        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Contains("run it again with the state file it ran with", text + error, StringComparison.Ordinal);

        // As the message says: run it again (same state file), then replay.
        (code, text, error) = await CliTests.Cli(configuration, "run", file);
        Assert.True(code == ExitCodes.Success, text + error);
        (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.False(File.Exists(leftover), "the unrecorded batch an earlier version of the pipeline left is never removed");
    }

    /// <summary>
    /// A version before owner tags named a JSONL batch's temporary part <c>.part-00003.&lt;random tag&gt;.jsonl.tmp</c>; its run was killed
    /// before its state recorded the batch. After the upgrade the pipeline runs again with the same state file and removes the part.
    /// </summary>
    [Fact]
    public async Task a_pipelines_next_run_removes_an_unrecorded_temporary_part_an_earlier_version_left()
    {
        string output = Path.Combine(Dir.Path, "out");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = output }).Build();
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: file_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\n");
        var (code, text, error) = await CliTests.Cli(configuration, "run", file);
        Assert.True(code == ExitCodes.Success, text + error);
        string folder = Path.Combine(output, "file_items");
        Assert.Equal(Enumerable.Range(1, 25), Ids(folder));

        // What the earlier version's killed run left: an unrecorded part named without an owner.
        string leftover = Path.Combine(folder, ".part-00003.0badf00d.jsonl.tmp");
        await File.WriteAllTextAsync(leftover, "{\"id\":26,");

        (code, text, error) = await CliTests.Cli(configuration, "run", file);
        Assert.True(code == ExitCodes.Success, text + error);

        Assert.False(File.Exists(leftover), "the unrecorded temporary part an earlier version of the pipeline left is never removed");
    }
}
