using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// A pipeline file that turns its extractor's watermark off (<c>watermark: { enabled: false }</c>: "a full extraction without a time
/// filter", docs/chains.md) run with <c>--from</c>/<c>--to</c>. The host still treats the run as a backfill because the extractor's
/// registration has a watermark (PipelineRunner: <c>registration.Watermark ?? extractor.Watermark</c>), while the pipeline it builds has
/// none: the range start is sent as <c>?since=</c>, the end is never applied, every record outside the range is written, and the
/// state says "backfill from … until …". The range should either be applied (only records in [from, to)) or be refused as a usage
/// error, as it is for an extractor without a watermark ("not a range silently ignored", docs/chains.md).
/// </summary>
public sealed class DisabledWatermarkRangeTests : ServerTests
{
    [Fact]
    public async Task A_range_given_to_a_pipeline_file_whose_watermark_is_off_is_applied_or_refused_not_half_ignored()
    {
        string file = Path.Combine(Dir.Path, "off.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: off\nextractor:\n  class: IncrementalItems\n  base_url: {Server.BaseUrl}\nwatermark: {{ enabled: false, field: updated_at }}\n");

        var (code, output, error) = await CliTests.Cli(null, "run", file, "--output", Dir.Path, "--from", "2026-01-05", "--to", "2026-01-10");

        var from = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        var to = new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero);
        var written = !Directory.Exists(Path.Combine(Dir.Path, "off")) ? [] : Directory.EnumerateFiles(Path.Combine(Dir.Path, "off"), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, TestJson.Default.Item)!)
            .ToList();
        if (code != ExitCodes.UsageError)
        {
            Assert.True(code == ExitCodes.Success, output + error);
            Assert.All(written, item => Assert.InRange(item.UpdatedAt, from, to.AddTicks(-1)));
        }
        else
        {
            Assert.Empty(written);
        }
    }
}
