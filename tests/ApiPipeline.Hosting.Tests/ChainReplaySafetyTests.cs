using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// What a chain step's dead-letter entry carries for a replay through the later steps, and when replay may take them: no secret of the
/// chain input, no second write after a replay stopped right after its commit, no registered chain's steps for a chain file's entry.
/// </summary>
public sealed class ChainReplaySafetyTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    private static bool MembersPage2OfGroup2(string target)
        => target.StartsWith("/shops/acme/groups/2/members?", StringComparison.Ordinal) && ("&" + target[(target.IndexOf('?') + 1)..] + "&").Contains("&page=2&", StringComparison.Ordinal);

    private IConfiguration Config(string chain) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        [$"ApiPipeline:Extractors:{chain}:BaseUrl"] = Server.BaseUrl,
    }).Build();

    /// <summary>
    /// The chain input an entry carries masks a secret-looking member by the member's name, however the user typed it: <c>SessionId</c>
    /// given as <c>--input session-id=…</c>.
    /// </summary>
    [Fact]
    public async Task The_chain_input_in_an_entry_masks_a_secret_member_however_its_name_was_typed()
    {
        const string secret = "s3cr3t-session-77";
        Server.Unavailable = MembersPage2OfGroup2;
        var (code, text, error) = await CliTests.Cli(Config("shop"), "run", "shop", "--input", "owner=acme", "--input", "session-id=" + secret, "--output", Output);
        Server.Unavailable = null;

        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        var entry = Assert.Single(await File.ReadAllLinesAsync(Path.Combine(Output, "shop.dead-letter.jsonl")));
        Assert.Contains("\"chain\":{\"input\":{", entry, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, entry, StringComparison.Ordinal);
    }

    /// <summary>
    /// A token sent as <c>?access_token=…</c>, a query parameter whose name looks secret, from a member whose own name does not (<c>Pat</c>):
    /// the run redacts it from every URL it writes, and the chain input an entry carries masks it too.
    /// </summary>
    [Fact]
    public async Task The_chain_input_in_an_entry_masks_a_member_sent_as_a_secret_query_parameter()
    {
        Server.Unavailable = MembersPage2OfGroup2;
        var (code, text, error) = await CliTests.Cli(Config("shop"), "run", "shop", "--input", "owner=acme", "--input", "pat=ghp_S3cr3tT0kenValue", "--output", Output);
        Server.Unavailable = null;

        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Assert.Contains(Server.Targets, t => t.Contains("access_token=ghp_S3cr3tT0kenValue", StringComparison.Ordinal)); // the request's secret
        string entry = Assert.Single(await File.ReadAllLinesAsync(Path.Combine(Output, "shop.dead-letter.jsonl")));
        Assert.Contains("\"chain\":", entry, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cr3tT0kenValue", entry, StringComparison.Ordinal);
    }

    /// <summary>
    /// A replay cancelled (Ctrl+C) right after the chain's output was committed went through: its entry leaves the file, so the next
    /// replay does not write the same records a second time.
    /// </summary>
    [Fact]
    public async Task A_replay_cancelled_after_the_chains_commit_does_not_write_the_records_twice()
    {
        string clean = Path.Combine(Dir.Path, "clean");
        var (code, text, error) = await CliTests.Cli(Config("shop"), "run", "shop", "--input", "owner=acme", "--output", clean);
        Assert.True(code == ExitCodes.Success, text + error);
        var expected = Records(clean);
        Assert.Equal(15, expected.Count);

        Server.Unavailable = MembersPage2OfGroup2;
        (code, text, error) = await CliTests.Cli(Config("shop"), "run", "shop", "--input", "owner=acme", "--output", Output);
        Server.Unavailable = null;
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(Output, "shop.dead-letter.jsonl");
        Assert.Single(await File.ReadAllLinesAsync(deadLetters));

        // Ctrl+C arrives just as the replay's commit of the chain's output completes.
        using var stop = new CancellationTokenSource();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name == ApiPipelineMetrics.OutputBatches)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == ApiPipelineTags.Pipeline && tag.Value as string == "shop")
                    {
                        stop.Cancel();
                    }
                }
            });
            listener.Start();
            (code, text, error) = await CliTests.Cli(Config("shop"), stop.Token, "replay", deadLetters, "--output", Output);
        }

        Assert.Equal(expected.Count, Records(Output).Count); // the cancelled replay did commit the records

        // Replayed again: what the first replay committed must not be written a second time.
        (code, text, error) = await CliTests.Cli(Config("shop"), "replay", deadLetters, "--output", Output);
        Assert.Equal(expected, Records(Output));
    }

    /// <summary>
    /// A chain file whose <c>chain_id</c> is a registered chain's name (<c>shop</c>), with the same step names and extractors but its own
    /// mapping for the last step (the detail's owner is the group's name): its entries carry nothing for the later steps, so replay falls
    /// back to the step's own records instead of running the registered chain's steps, which would write records the file never makes.
    /// </summary>
    [Theory]
    [InlineData("Members")]
    [InlineData("Details")]
    public async Task Replay_of_a_chain_files_entry_does_not_run_a_registered_chains_steps_that_shares_its_id(string failing)
    {
        string file = Path.Combine(Dir.Path, "shop.yaml");
        await File.WriteAllTextAsync(file, """
            chain_id: shop
            extractors:
              - extractor_class: ShopGroups
                step: Groups
              - extractor_class: GroupMembers
                step: Members
                input_mapping: { owner: chain_input.owner, group: Groups.id }
              - extractor_class: MemberDetails
                step: Details
                on_error: dead_letter
                input_mapping: { owner: Groups.name, member: Members.id, group_name: Groups.name }
            """);

        string clean = Path.Combine(Dir.Path, "clean");
        var (code, text, error) = await CliTests.Cli(Config("shop"), "run", file, "--input", "owner=acme", "--output", clean);
        Assert.True(code == ExitCodes.Success, text + error);
        var expected = Records(clean);
        Assert.Equal(15, expected.Count);

        Server.Unavailable = failing == "Members" ? MembersPage2OfGroup2 : target => target.StartsWith("/shops/g2/details?", StringComparison.Ordinal) && target.Contains("member=203", StringComparison.Ordinal);
        (code, text, error) = await CliTests.Cli(Config("shop"), "run", file, "--input", "owner=acme", "--output", Output);
        Server.Unavailable = null;
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(Output, "shop.dead-letter.jsonl");
        Assert.Single(await File.ReadAllLinesAsync(deadLetters));

        (code, text, error) = await CliTests.Cli(Config("shop"), "replay", deadLetters, "--output", Output);

        // A chain file's entry carries nothing for the later steps: replay falls back to the step's own records, in the step's folder,
        // and writes nothing into the chain's output that the file's chain would not have written.
        Assert.True(code == ExitCodes.Success, text + error);
        Assert.Contains("note:", text, StringComparison.Ordinal);
        Assert.All(Records(Output, exceptStep: failing), record => Assert.Contains(record, expected));
        Assert.Equal(failing == "Members" ? 2 : 1, Directory.EnumerateFiles(Path.Combine(Output, "shop", failing), "*.jsonl").SelectMany(File.ReadLines).Count());
    }

    private static List<string> Records(string output, string? exceptStep = null)
        => [.. Directory.EnumerateFiles(Path.Combine(output, "shop"), "*.jsonl", SearchOption.AllDirectories)
            .Where(file => exceptStep is null || Path.GetFileName(Path.GetDirectoryName(file)) != exceptStep)
            .SelectMany(File.ReadLines)
            .Order(StringComparer.Ordinal)];
}
