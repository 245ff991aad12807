using ApiPipeline.Generated;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>Hand-written extractors ([RegisteredExtractor]) through the CLI: backfills from a pipeline file, replay, chains, and the disposal of the instances the host creates.</summary>
public sealed class HandWrittenExtractorTests : ServerTests
{
    [Fact]
    public async Task A_pipeline_file_of_a_hand_written_extractor_takes_from_as_a_backfill()
    {
        // Its watermark is the instance's: --from starts a backfill (items from 09:00 on are ids 10..12), not a full run.
        string file = Path.Combine(Dir.Path, "countdown.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: yaml_backfill\nextractor:\n  class: countdown\noutput:\n  type: jsonl\n  config:\n    directory: {Dir.Path}\n");

        var (code, output, error) = await CliTests.Cli(null, "run", file, "--state", Path.Combine(Dir.Path, "state.db"), "--from", "2026-01-01T09:00:00Z");

        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Equal([10, 11, 12], Ids(Path.Combine(Dir.Path, "yaml_backfill")));
    }

    [Fact]
    public async Task A_range_for_an_extractor_with_no_watermark_and_no_input_is_a_usage_error_not_ignored()
    {
        var (code, _, error) = await CliTests.Cli(null, "run", "Items", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--from", "2026-01-01");

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--from 2026-01-01T00:00:00.0000000+00:00 has nothing to set: the extractor has no watermark to start a backfill at, and NoInput takes no input with a range member.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_gives_a_hand_written_extractor_the_input_of_its_entry()
    {
        LetteredItems.Healed = false;
        var (code, output, error) = await CliTests.Cli(null, "run", "lettered", "--input", "id=3", "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db"));
        Assert.True(code == ExitCodes.PartialSuccess, output + error);

        LetteredItems.Healed = true;
        (code, output, error) = await CliTests.Cli(null, "replay", Path.Combine(Dir.Path, "lettered.dead-letter.jsonl"), "--output", Dir.Path);

        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Equal([31, 32], Ids(Path.Combine(Dir.Path, "lettered")));
    }

    /// <summary>Every instance of <see cref="OwnedItems"/> the host created was disposed exactly once, asynchronously (it is both).</summary>
    private static void AssertEachDisposedOnce(int created)
    {
        Assert.Equal(created, OwnedItems.Instances.Count);
        Assert.All(OwnedItems.Instances, instance => Assert.Equal((1, 0), instance.Disposals));
    }

    [Theory]
    [InlineData("owned", null)]
    [InlineData("yaml_owned", "pipeline_id: yaml_owned\nextractor:\n  class: owned\noutput:\n  type: jsonl\n")]
    [InlineData("owned_chain", "chain_id: owned_chain\nextractors:\n  - extractor_class: owned\n")]
    public async Task A_run_by_name_or_of_a_pipeline_or_chain_file_disposes_the_one_instance_it_created_once_it_is_over(string id, string? file)
    {
        // A pipeline file's run reads a hand-written extractor's watermark from the instance its pipeline runs, not from one more.
        OwnedItems.Reset(healed: true);
        string target = id;
        if (file is not null)
        {
            target = Path.Combine(Dir.Path, id + ".yaml");
            await File.WriteAllTextAsync(target, file);
        }

        var (code, output, error) = await CliTests.Cli(null, "run", target, "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db"));

        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Equal([1, 2], Ids(Path.Combine(Dir.Path, id)));
        AssertEachDisposedOnce(1);
    }

    [Fact]
    public async Task A_failed_run_and_a_replay_each_dispose_the_instance_they_created()
    {
        OwnedItems.Reset(healed: false);
        var (code, output, error) = await CliTests.Cli(null, "run", "owned", "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db"));
        Assert.True(code == ExitCodes.PartialSuccess, output + error);
        AssertEachDisposedOnce(1);

        OwnedItems.Reset(healed: true);
        (code, output, error) = await CliTests.Cli(null, "replay", Path.Combine(Dir.Path, "owned.dead-letter.jsonl"), "--output", Dir.Path);

        Assert.True(code == ExitCodes.Success, output + error);
        Assert.Equal([1, 2], Ids(Path.Combine(Dir.Path, "owned")));
        AssertEachDisposedOnce(1);
    }

    [Fact]
    public async Task A_hand_written_extractor_whose_constructor_takes_its_settings_as_in_is_given_the_hosts()
    {
        var (code, output, error) = await CliTests.Cli(null, "run", "settled", "--base-url", "https://api.example.test/v1", "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db"));

        Assert.True(code == ExitCodes.Success, output + error);
        string line = Assert.Single(Directory.GetFiles(Path.Combine(Dir.Path, "settled"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadAllLines));
        Assert.Equal("https://api.example.test/v1", System.Text.Json.JsonSerializer.Deserialize(line, TestJson.Default.Item)!.Name);
    }

    [Fact]
    public async Task A_chain_writes_its_records_with_its_own_steps_metadata_whatever_other_extractors_of_the_type_have()
    {
        // Another registration of Item records comes first, and its metadata cannot be read: the chain of countdown does not ask it.
        var countdown = (ExtractorRegistration<NoInput, Item>)ApiPipelineRegistry.Instance.GetExtractor("countdown");
        var broken = new ExtractorRegistration<NoInput, Item>("aaa_broken", "Tests.Broken", () => throw new InvalidOperationException("a broken context"), static (_, _) => new CountdownItems(), countdown.TypedInput, countdown.TypedOutput);
        var registry = ComponentRegistry.Combine(new ComponentRegistry([broken], []), ApiPipelineRegistry.Instance);
        string chain = Path.Combine(Dir.Path, "countdown-chain.yaml");
        await File.WriteAllTextAsync(chain, "chain_id: countdown_chain\nextractors:\n  - extractor_class: countdown\n");
        var text = new StringWriter();

        int code = await PipelineHost.RunAsync(["run", chain, "--output", Dir.Path, "--state", Path.Combine(Dir.Path, "state.db")], registry, host =>
        {
            host.Out = text;
            host.Error = text;
            host.Configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
            host.LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
            host.Progress = ProgressMode.None;
        });

        Assert.True(code == ExitCodes.Success, text.ToString());
        Assert.Equal(Enumerable.Range(1, CountdownItems.Total), Ids(Path.Combine(Dir.Path, "countdown_chain")));
    }
}
