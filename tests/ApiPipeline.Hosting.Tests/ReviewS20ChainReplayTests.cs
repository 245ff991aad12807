using System.Diagnostics.Metrics;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>A shop with a session id: the input of <see cref="SessionShopChain"/> (review s20).</summary>
public sealed record ShopSession(string Owner, [property: Query] string? SessionId = null);

[JsonSerializable(typeof(ShopSession))]
[JsonSerializable(typeof(Group))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class SessionJson : JsonSerializerContext;

/// <summary>A shop's groups, asked with the session id in the query.</summary>
[Extractor("http://localhost", "/shops/{owner}/groups", Json = typeof(SessionJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Retry(MaxRetries = 0)]
public sealed partial class SessionGroups : IExtractor<ShopSession, Group>;

/// <summary>As <see cref="ShopChain"/>, with a chain input that has a secret-looking member (<c>SessionId</c>).</summary>
[Chain(Name = "sessionshop")]
public sealed partial class SessionShopChain
{
    [Step(1)]
    public partial SessionGroups Groups { get; }

    [Step(2)]
    [Map(nameof(ShopSession.Owner), To = nameof(GroupRef.Owner), From = MapFrom.ChainInput)]
    [Map(nameof(Group.Id), To = nameof(GroupRef.Group))]
    public partial GroupMembers Members { get; }

    [Step(3, Mode = ProcessingMode.Parallel, MaxConcurrency = 3)]
    [Map(nameof(ShopSession.Owner), To = nameof(MemberRef.Owner), From = MapFrom.ChainInput)]
    [Map(nameof(Member.Id), To = nameof(MemberRef.Member))]
    [Map(nameof(Group.Name), To = nameof(MemberRef.GroupName), FromStep = nameof(Groups))]
    public partial MemberDetails Details { get; }
}

/// <summary>Review s20: bugs in the replay of a chain step's dead-letter entry through the later steps.</summary>
public sealed class ReviewS20ChainReplayTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    private static bool MembersPage2OfGroup2(string target)
        => target.StartsWith("/shops/acme/groups/2/members?", StringComparison.Ordinal) && ("&" + target[(target.IndexOf('?') + 1)..] + "&").Contains("&page=2&", StringComparison.Ordinal);

    private IConfiguration Config(string chain) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        [$"ApiPipeline:Extractors:{chain}:BaseUrl"] = Server.BaseUrl,
    }).Build();

    /// <summary>
    /// The chain input an entry carries masks a secret-looking member by the name the user typed, not by the member's name: the member
    /// <c>SessionId</c> looks secret (as <c>SessionId</c> and <c>session_id</c> are masked), but given as <c>--input session-id=…</c>, which
    /// binds the same member, its value is written to the dead-letter file in clear.
    /// </summary>
    [Fact]
    public async Task The_chain_input_in_an_entry_masks_a_secret_member_however_its_name_was_typed()
    {
        const string secret = "s3cr3t-session-77";
        Server.Unavailable = MembersPage2OfGroup2;
        var (code, text, error) = await CliTests.Cli(Config("sessionshop"), "run", "sessionshop", "--input", "owner=acme", "--input", "session-id=" + secret, "--output", Output);
        Server.Unavailable = null;

        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        var entry = Assert.Single(await File.ReadAllLinesAsync(Path.Combine(Output, "sessionshop.dead-letter.jsonl")));
        Assert.Contains("\"chain\":{\"input\":{", entry, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, entry, StringComparison.Ordinal);
    }

    /// <summary>
    /// A replay cancelled (Ctrl+C) right after the chain's output was committed: the records are in the output, yet the replay reports
    /// the chain's replay as cancelled and keeps the entry, so the next replay writes the same records a second time. The docs say a
    /// replay stopped half-way (an error, Ctrl+C) and run again does not write them twice (the pipeline path removes the entry after
    /// its commit, whatever the token says).
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
    /// mapping for the last step (the detail's owner is the group's name). The docs say a chain file's entries are not taken through
    /// later steps (they fall back, with a note); but the host's chain-file run now writes the chain input into the entries, and replay
    /// recognises the entry by its <c>pipeline</c> (<c>shop/Members</c>) alone, so it runs the <em>registered</em> chain's later steps,
    /// with that chain's mapping, into the folder the file's chain writes: records the file's chain never makes.
    /// </summary>
    [Fact]
    public async Task Replay_of_a_chain_files_entry_does_not_run_a_registered_chains_steps_that_shares_its_id()
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
                input_mapping: { owner: Groups.name, member: Members.id, group_name: Groups.name }
            """);

        string clean = Path.Combine(Dir.Path, "clean");
        var (code, text, error) = await CliTests.Cli(Config("shop"), "run", file, "--input", "owner=acme", "--output", clean);
        Assert.True(code == ExitCodes.Success, text + error);
        var expected = Records(clean);
        Assert.Equal(15, expected.Count);

        Server.Unavailable = MembersPage2OfGroup2;
        (code, text, error) = await CliTests.Cli(Config("shop"), "run", file, "--input", "owner=acme", "--output", Output);
        Server.Unavailable = null;
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(Output, "shop.dead-letter.jsonl");
        Assert.Single(await File.ReadAllLinesAsync(deadLetters));

        (code, text, error) = await CliTests.Cli(Config("shop"), "replay", deadLetters, "--output", Output);

        // Whatever replay does with a chain file's entry, it must not write records the file's chain would not have written.
        Assert.All(Records(Output), record => Assert.Contains(record, expected));
    }

    private static List<string> Records(string output)
        => [.. Directory.EnumerateFiles(Path.Combine(output, "shop"), "*.jsonl", SearchOption.AllDirectories).SelectMany(File.ReadLines).Order(StringComparer.Ordinal)];
}
