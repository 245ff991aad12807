using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary><see cref="ShopChain"/> registered under a name with a '/', which neither the generator nor the analyzers refuse.</summary>
[Chain(Name = "vendor/shop")]
public sealed partial class VendorShopChain
{
    [Step(1)]
    public partial ShopGroups Groups { get; }

    [Step(2)]
    [Map(nameof(Shop.Owner), To = nameof(GroupRef.Owner), From = MapFrom.ChainInput)]
    [Map(nameof(Group.Id), To = nameof(GroupRef.Group))]
    public partial GroupMembers Members { get; }

    [Step(3, Mode = ProcessingMode.Parallel, MaxConcurrency = 3)]
    [Map(nameof(Shop.Owner), To = nameof(MemberRef.Owner), From = MapFrom.ChainInput)]
    [Map(nameof(Member.Id), To = nameof(MemberRef.Member))]
    [Map(nameof(Group.Name), To = nameof(MemberRef.GroupName), FromStep = nameof(Groups))]
    public partial MemberDetails Details { get; }
}

/// <summary>
/// Review of baf8aed9 (APP1006 refuses '/' in extractor names because dead-letter entries read <c>a/b</c> as step <c>b</c> of chain
/// <c>a</c>): a chain's name may still contain '/', and its steps' entries (<c>vendor/shop/Members</c>) are then misread by replay.
/// </summary>
public sealed class SlashInChainNameReviewTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    /// <summary>
    /// Scenario: chain <c>vendor/shop</c> (the same steps as <c>shop</c>) runs from the CLI; page 2 of group 2's members fails and is
    /// dead-lettered as <c>vendor/shop/Members</c>. <c>replay</c> of the file, with the API answering.
    /// Expected: as for chain <c>shop</c> (ChainReplayTests), the members go through the later step into the chain's output: all 15
    /// details under <c>out/vendor/shop/</c>, outside the step's fallback folder. Observed: DeadLetterReplay.ChainOf wants exactly one '/',
    /// so the entry is not taken for a step of the chain: its members are written as records into the fallback folder
    /// <c>out/vendor/shop/Members/</c> and their details are never fetched (13 details in the chain's output).
    /// </summary>
    [Fact]
    public async Task Replay_of_a_step_entry_of_a_chain_whose_name_has_a_slash_goes_through_the_chains_later_steps()
    {
        Server.Unavailable = target => target.StartsWith("/shops/acme/groups/2/members?", StringComparison.Ordinal) && ("&" + target[(target.IndexOf('?') + 1)..] + "&").Contains("&page=2&", StringComparison.Ordinal);
        var (code, text, error) = await CliTests.Cli(Config(), "run", "vendor/shop", "--input", "owner=acme", "--output", Output);
        Assert.True(code == ExitCodes.PartialSuccess, $"exit code {code}: " + text + error);
        Server.Unavailable = null;
        string deadLetters = Assert.Single(Directory.EnumerateFiles(Output, "*.dead-letter.jsonl", SearchOption.AllDirectories));
        var entries = await File.ReadAllLinesAsync(deadLetters); Assert.True(entries.Length == 1, string.Join("\n", entries)); Assert.Contains("\"pipeline\":\"vendor/shop/Members\"", entries[0], StringComparison.Ordinal);

        (code, text, error) = await CliTests.Cli(Config(), "replay", deadLetters, "--output", Output);
        Assert.True(code == ExitCodes.Success, $"exit code {code}: " + text + error);

        string chainFolder = Path.Combine(Output, "vendor", "shop");
        var details = Directory.EnumerateFiles(chainFolder, "*.jsonl", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(Path.Combine(chainFolder, "Members") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .SelectMany(File.ReadLines).ToList();
        Assert.True(details.Count == 15, $"{details.Count} details in the chain's output; replay said: " + text + error);
    }

    private IConfiguration Config() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ApiPipeline:Extractors:vendor/shop:BaseUrl"] = Server.BaseUrl,
        ["ApiPipeline:Extractors:shop:BaseUrl"] = Server.BaseUrl,
    }).Build();
}
