using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// A group's items, an extractor declared with time windows (for the pipelines that run it): in a chain it is an ordinary step, which
/// chains do not split in windows. Fails fast by its own mode, so a failed input is the step's (dead-lettered as <c>"input"</c>).
/// </summary>
[Extractor("http://localhost", "/shops/{owner}/groups/{group}/items", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data", TotalPath = "total")]
[Watermark(nameof(Item.UpdatedAt), Param = "since", UntilParam = "until")]
[TimeWindows(Size = "4d", MaxResults = 25)]
[Retry(MaxRetries = 0)]
public sealed partial class WindowedGroupItems : IExtractor<GroupRef, Item>;

/// <summary>Replay of a chain step whose extractor declares time windows, which chains do not use.</summary>
public sealed class ChainWindowedStepReplayTests : ServerTests
{
    /// <summary>
    /// A chain file's step whose extractor declares <c>[TimeWindows(MaxResults)]</c> fails on the first page of group 2's items
    /// (dead-lettered under the step's <c>dead_letter</c>). The chain read no window: the entry is an ordinary input's rest, and replay
    /// (which falls back to the step's own records for a chain file's entry) reads it; the refusal of a window's first-page entry is a
    /// pipeline's only.
    /// </summary>
    [Fact]
    public async Task Replay_of_a_chain_steps_input_entry_whose_extractor_declares_time_windows_is_not_refused_as_a_window()
    {
        int failed = 0;
        Server.Respond = async context =>
        {
            string path = context.Request.Path.Value ?? "";
            if (context.Request.Query["page"].ToString() is { Length: > 0 } page && page != "1")
            {
                await TestServer.Reply(context, """{"total":2,"data":[]}""", 200);
                return;
            }

            if (path == "/shops/acme/groups")
            {
                await TestServer.Reply(context, """{"data":[{"id":1,"name":"g1"},{"id":2,"name":"g2"}]}""", 200);
                return;
            }

            if (path == "/shops/acme/groups/2/items" && Interlocked.Exchange(ref failed, 1) == 0)
            {
                await TestServer.Reply(context, """{"message":"unavailable"}""", 503);
                return;
            }

            int group = path.Contains("/groups/2/", StringComparison.Ordinal) ? 2 : 1;
            await TestServer.Reply(context, $$"""{"total":2,"data":[{"id":{{group}}01,"name":"a","updated_at":"2026-01-01T00:00:00Z"},{"id":{{group}}02,"name":"b","updated_at":"2026-01-02T00:00:00Z"}]}""", 200);
        };

        var (file, configuration) = await GroupItemsChainFileAsync();
        string output = Path.Combine(Dir.Path, "out");

        var (code, text, error) = await CliTests.Cli(configuration, "run", file, "--input", "owner=acme", "--output", output);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(output, "groupitems.dead-letter.jsonl");
        var entry = Assert.Single(await File.ReadAllLinesAsync(deadLetters));
        Assert.Contains("\"skipped\":\"input\"", entry, StringComparison.Ordinal);

        (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters, "--output", output);

        Assert.DoesNotContain("time window", text, StringComparison.Ordinal);
        Assert.True(code == ExitCodes.Success, text + error);
        Assert.False(File.Exists(deadLetters));
        Assert.Equal([201, 202], Ids(Path.Combine(output, "groupitems", "Items")));
    }
}
