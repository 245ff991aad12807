using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// Replay of the entries of a pipeline file's pipeline: their records go where the pipeline's <c>run</c> writes (the file's
/// <c>output</c> directory, name and partitioning), not into <c>&lt;output&gt;/&lt;pipeline&gt;</c>.
/// </summary>
public sealed class PipelineFileReplayTests : ServerTests
{
    /// <summary>
    /// A pipeline file whose output names its own directory, dataset name and <c>partition_by</c> dead-letters page 2 (a 503, no
    /// retries). Replayed without <c>--output</c>, the page's records complete the dataset in that directory, partitioned as the run
    /// wrote it: the dataset then holds what a clean run of the file writes, and nothing is written under the host's output.
    /// </summary>
    [Fact]
    public async Task Replay_writes_a_pipeline_files_entries_into_its_own_output_directory_as_its_run_does()
    {
        string hostOutput = Path.Combine(Dir.Path, "out");
        string data = Path.Combine(Dir.Path, "data");
        string clean = Path.Combine(Dir.Path, "clean");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = hostOutput }).Build();
        string file = await PipelineFileAsync("items.yaml", data);
        await RunFailingPage2Async(configuration, file);
        string deadLetters = Path.Combine(data, "dataset.dead-letter.jsonl");
        Assert.Single(await File.ReadAllLinesAsync(deadLetters));
        Assert.Equal(15, Ids(Path.Combine(data, "dataset")).Count);

        var (replayed, text2, error2) = await CliTests.Cli(configuration, "replay", deadLetters);

        Assert.True(replayed == ExitCodes.Success, text2 + error2);
        Assert.Contains("1 of 1 entries replayed, 10 records", text2, StringComparison.Ordinal);
        Assert.False(File.Exists(deadLetters));
        Assert.False(Directory.Exists(Path.Combine(hostOutput, "file_items")), "replay wrote the records under the host's output");
        var (cleanCode, cleanText, cleanError) = await CliTests.Cli(configuration, "run", await PipelineFileAsync("clean.yaml", clean));
        Assert.True(cleanCode == ExitCodes.Success, cleanText + cleanError);
        Assert.Equal(Dataset(Path.Combine(clean, "dataset")), Dataset(Path.Combine(data, "dataset")));
    }

    /// <summary>
    /// A pipeline file whose <c>base_url</c> carries an API key in its query (<c>?api_key=…</c>) dead-letters page 2. The entry's checkpoint
    /// keeps the key out (a marker), and <c>replay</c>, which requests the page with the file's settings, puts it back from the file's
    /// base URL, as a resumed run does.
    /// </summary>
    [Fact]
    public async Task Replay_requests_a_pipeline_files_entry_whose_base_url_carries_a_secret_query_value()
    {
        string data = Path.Combine(Dir.Path, "data");
        string file = Path.Combine(Dir.Path, "keyed.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: keyed_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}/?api_key=k3y-value\nerror_handling:\n  mode: dead_letter\n  max_retries: 0\noutput:\n  type: jsonl\n  config:\n    directory: {data}\n    name: dataset\n");
        Server.Unavailable = target => target.Contains("&page=2", StringComparison.Ordinal) && Server.Targets.Count(t => t.Contains("&page=2", StringComparison.Ordinal)) == 1;
        var (code, text, error) = await CliTests.Cli(null, "run", file, "--output", Dir.Path);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(Dir.Path, "dataset.dead-letter.jsonl");
        Assert.Single(await File.ReadAllLinesAsync(deadLetters));
        Assert.DoesNotContain("k3y-value", await File.ReadAllTextAsync(deadLetters), StringComparison.Ordinal);

        (code, text, error) = await CliTests.Cli(null, "replay", deadLetters, "--output", Dir.Path);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Equal([.. Enumerable.Range(1, 25)], Ids(Path.Combine(Dir.Path, "dataset")));
        lock (Server.Targets)
        {
            Assert.All(Server.Targets, t => Assert.Contains("api_key=k3y-value", t, StringComparison.Ordinal)); // never "***" to the API
        }
    }

    /// <summary>
    /// The pipeline file's key was rotated after the run (base_url ?api_key=n3w-value): the entry's marker matches no secret of the
    /// file's base URL now. Replay keeps the entry, sends no '***', and says what to put back.
    /// </summary>
    [Fact]
    public async Task Replay_after_the_files_key_changed_keeps_the_entry_with_a_clear_reason()
    {
        string data = Path.Combine(Dir.Path, "data");
        string file = Path.Combine(Dir.Path, "keyed.yaml");
        string Yaml(string key) => $"pipeline_id: keyed_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}/?api_key={key}\nerror_handling:\n  mode: dead_letter\n  max_retries: 0\noutput:\n  type: jsonl\n  config:\n    directory: {data}\n    name: dataset\n";
        await File.WriteAllTextAsync(file, Yaml("k3y-value"));
        Server.Unavailable = target => target.Contains("&page=2", StringComparison.Ordinal) && Server.Targets.Count(t => t.Contains("&page=2", StringComparison.Ordinal)) == 1;
        var (code, text, error) = await CliTests.Cli(null, "run", file, "--output", Dir.Path);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(Dir.Path, "dataset.dead-letter.jsonl");
        await File.WriteAllTextAsync(file, Yaml("n3w-value"));

        (code, text, error) = await CliTests.Cli(null, "replay", deadLetters, "--output", Dir.Path);

        Assert.True(File.Exists(deadLetters), text + error);
        lock (Server.Targets)
        {
            Assert.DoesNotContain(Server.Targets, t => t.Contains("***", StringComparison.Ordinal) || t.Contains("%2A%2A%2A", StringComparison.Ordinal));
        }

        // The entry is left with why: today the extractor's ArgumentException for a resumed run, which tells the user to "resume with the
        // input the checkpoint was made for" (a pipeline file's entry has no input: the key was the file's base_url's) and ends with
        // "(Parameter 'checkpoint')".
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("api_key", text, StringComparison.Ordinal);
        Assert.DoesNotContain("resume with the input", text, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter 'checkpoint')", text, StringComparison.Ordinal);
    }

    /// <summary>As <c>run</c> does, <c>replay --output</c> puts the file's dataset (its name and partitioning) under that folder instead of the file's directory.</summary>
    [Fact]
    public async Task Replay_with_output_writes_a_pipeline_files_entries_under_it_with_the_files_name_and_partitioning()
    {
        string data = Path.Combine(Dir.Path, "data");
        string elsewhere = Path.Combine(Dir.Path, "elsewhere");
        string file = await PipelineFileAsync("items.yaml", data);
        await RunFailingPage2Async(null, file, "--output", elsewhere);

        var (replayed, text2, error2) = await CliTests.Cli(null, "replay", Path.Combine(elsewhere, "dataset.dead-letter.jsonl"), "--output", elsewhere);

        Assert.True(replayed == ExitCodes.Success, text2 + error2);
        Assert.False(Directory.Exists(data));
        Assert.Equal([.. Enumerable.Range(1, 25)], Ids(Path.Combine(elsewhere, "dataset")));
        Assert.All(Dataset(Path.Combine(elsewhere, "dataset")), partition => Assert.StartsWith("date=", partition.Key, StringComparison.Ordinal));
    }

    /// <summary>
    /// Without its pipeline file replay cannot tell where the file's run writes: the entry stays in the file with the reason, and nothing
    /// is written under the host's output, until the file is back.
    /// </summary>
    [Fact]
    public async Task Replay_leaves_a_pipeline_files_entry_while_the_file_is_gone()
    {
        string hostOutput = Path.Combine(Dir.Path, "out");
        string data = Path.Combine(Dir.Path, "data");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = hostOutput }).Build();
        string file = await PipelineFileAsync("items.yaml", data);
        await RunFailingPage2Async(configuration, file);
        string deadLetters = Path.Combine(data, "dataset.dead-letter.jsonl");
        File.Move(file, file + ".moved");

        var (replayed, text2, error2) = await CliTests.Cli(configuration, "replay", deadLetters);

        Assert.True(replayed == ExitCodes.Failure, text2 + error2);
        Assert.Contains($"its records go where its pipeline file's run writes them, but the file '{file}' does not exist; restore the file, then replay again", text2, StringComparison.Ordinal);
        Assert.Single(await File.ReadAllLinesAsync(deadLetters));
        Assert.False(Directory.Exists(Path.Combine(hostOutput, "file_items")));

        File.Move(file + ".moved", file);
        var (again, text3, error3) = await CliTests.Cli(configuration, "replay", deadLetters);
        Assert.True(again == ExitCodes.Success, text3 + error3);
        Assert.Equal([.. Enumerable.Range(1, 25)], Ids(Path.Combine(data, "dataset")));
    }

    /// <summary>
    /// The host configures another base URL for the file's extractor (nothing listens there); the file's <c>base_url</c> wins in its run,
    /// and in the replay of its entries too: the page is requested again where the run requested it.
    /// </summary>
    [Fact]
    public async Task Replay_requests_a_pipeline_files_entry_with_the_files_settings_over_the_hosts()
    {
        string data = Path.Combine(Dir.Path, "data");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Output"] = Path.Combine(Dir.Path, "out"),
            ["ApiPipeline:Extractors:Items:BaseUrl"] = "http://127.0.0.1:9/",
        }).Build();
        string file = await PipelineFileAsync("items.yaml", data);
        await RunFailingPage2Async(configuration, file);

        var (replayed, text2, error2) = await CliTests.Cli(configuration, "replay", Path.Combine(data, "dataset.dead-letter.jsonl"));

        Assert.True(replayed == ExitCodes.Success, text2 + error2);
        Assert.Equal([.. Enumerable.Range(1, 25)], Ids(Path.Combine(data, "dataset")));
    }

    /// <summary>
    /// A replay of a pipeline file's entry (made an input skip, so it reads pages 2 and 3) is killed while it asks for page 3 (simulated:
    /// the temporary part's name is taken then, and the part is put back after the failed replay, as a killed process would have left
    /// it). The replay wrote as the file's pipeline run with the host's state file, so the file's next run removes the part.
    /// </summary>
    [Fact]
    public async Task The_next_run_of_a_pipeline_file_removes_the_temporary_part_a_killed_replay_of_its_entry_left()
    {
        string data = Path.Combine(Dir.Path, "data");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = Path.Combine(Dir.Path, "out") }).Build();
        string file = await PipelineFileAsync("items.yaml", data);
        await RunFailingPage2Async(configuration, file);
        string deadLetters = Path.Combine(data, "dataset.dead-letter.jsonl");
        string line = Assert.Single(await File.ReadAllLinesAsync(deadLetters));
        Assert.Contains("\"skipped\":\"page\"", line, StringComparison.Ordinal);
        await File.WriteAllTextAsync(deadLetters, line.Replace("\"skipped\":\"page\"", "\"skipped\":\"input\"", StringComparison.Ordinal) + "\n");

        // The replay reads page 2, then is killed while it asks for page 3.
        Server.Unavailable = null;
        var snapshot = new List<string>();
        string dataset = Path.Combine(data, "dataset");
        Server.Unavailable = target =>
        {
            if (!target.Contains("page=3", StringComparison.Ordinal))
            {
                return false;
            }

            for (int i = 0; i < 100 && !Directory.EnumerateFiles(dataset, ".part-*.jsonl.tmp", SearchOption.AllDirectories).Any(); i++)
            {
                Thread.Sleep(50);
            }

            snapshot.AddRange(Directory.EnumerateFiles(dataset, ".part-*.jsonl.tmp", SearchOption.AllDirectories));
            return true;
        };
        var (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters);
        Assert.True(code != ExitCodes.Success, text + error);

        Assert.NotEmpty(snapshot); // one part per date of page 2's records
        foreach (var leftover in snapshot)
        {
            // What a killed process leaves (the replay here ended in-process, and discarded its parts and their folders).
            Directory.CreateDirectory(Path.GetDirectoryName(leftover)!);
            File.WriteAllText(leftover, "{\"id\":11,\"name\":\"x\",\"updated_at\":\"2026-01-01T00:00:00Z\"}\n{\"id\":12,");
        }

        // The file's next run (the API answers everything now).
        Server.Unavailable = null;
        (code, text, error) = await CliTests.Cli(configuration, "run", file);
        Assert.True(code == ExitCodes.Success, text + error);

        Assert.Empty(Directory.EnumerateFiles(dataset, ".part-*.jsonl.tmp", SearchOption.AllDirectories));
    }

    /// <summary>
    /// Runs <paramref name="file"/> while the server answers the first request of page 2 with a 503 (no retries in the file): the run
    /// succeeds in part, the page dead-lettered.
    /// </summary>
    private async Task RunFailingPage2Async(IConfiguration? configuration, string file, params string[] options)
    {
        Server.Unavailable = target => target.Contains("page=2", StringComparison.Ordinal) && Server.Targets.Count(t => t.Contains("page=2", StringComparison.Ordinal)) == 1;
        var (code, text, error) = await CliTests.Cli(configuration, ["run", file, .. options]);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
    }

    /// <summary>Writes a pipeline file of <c>Items</c> that dead-letters failed pages into the dataset <c>dataset</c> under <paramref name="directory"/>, by date.</summary>
    private async Task<string> PipelineFileAsync(string name, string directory)
    {
        string file = Path.Combine(Dir.Path, name);
        await File.WriteAllTextAsync(file, $"pipeline_id: file_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\nerror_handling:\n  mode: dead_letter\n  max_retries: 0\noutput:\n  type: jsonl\n  config:\n    directory: {directory}\n    name: dataset\n    partition_by: updated_at\n");
        return file;
    }

    /// <summary>The ids of the records in each folder of <paramref name="folder"/> that holds JSONL files (its path under the folder), sorted.</summary>
    private static SortedDictionary<string, List<int>> Dataset(string folder)
        => new(Directory.EnumerateFiles(folder, "*.jsonl", SearchOption.AllDirectories)
            .GroupBy(f => Path.GetRelativePath(folder, Path.GetDirectoryName(f)!))
            .ToDictionary(g => g.Key, g => g.SelectMany(File.ReadLines).Select(line => System.Text.Json.JsonSerializer.Deserialize(line, TestJson.Default.Item)!.Id).Order().ToList()), StringComparer.Ordinal);
}
