using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>A shop whose access token is sent as the <c>access_token</c> query parameter, from a member whose own name does not look secret.</summary>
public sealed record TokenShop(string Owner, [property: Query("access_token")] string? Pat = null);

/// <summary>A token shop's 3 groups, one page.</summary>
[Extractor("http://localhost", "/shops/{owner}/groups", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Retry(MaxRetries = 0)]
public sealed partial class TokenShopGroups : IExtractor<TokenShop, Group>;

/// <summary>A token shop's groups, then their members (whose failed pages are dead-lettered).</summary>
[Chain(Name = "tokenshop")]
public sealed partial class TokenShopChain
{
    [Step(1)]
    public partial TokenShopGroups Groups { get; }

    [Step(2)]
    [Map(nameof(TokenShop.Owner), To = nameof(GroupRef.Owner), From = MapFrom.ChainInput)]
    [Map(nameof(Group.Id), To = nameof(GroupRef.Group))]
    public partial GroupMembers Members { get; }
}

/// <summary>The chain input a chain step's dead-letter entry carries, against the secrets the run itself keeps out of the file.</summary>
public sealed class ChainInputSecretTests : ServerTests
{
    /// <summary>
    /// The token goes out as <c>?access_token=…</c>, a query parameter whose name looks secret: the run redacts it from every URL it
    /// writes (the step's entries' URLs, checkpoints, logs). The member holding it is called <c>Pat</c>, a name that does not look
    /// secret, and the entry's <c>"chain"</c> input, keyed and masked by member name only, writes the token in clear into the dead-letter file.
    /// </summary>
    [Fact]
    public async Task A_chain_input_member_sent_as_a_secret_query_parameter_is_masked_in_the_entry()
    {
        string output = Path.Combine(Dir.Path, "out");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Extractors:tokenshop:BaseUrl"] = Server.BaseUrl }).Build();
        Server.Unavailable = target => target.StartsWith("/shops/acme/groups/2/members?", StringComparison.Ordinal) && ("&" + target[(target.IndexOf('?', StringComparison.Ordinal) + 1)..] + "&").Contains("&page=2&", StringComparison.Ordinal);

        var (code, text, error) = await CliTests.Cli(configuration, "run", "tokenshop", "--input", "owner=acme", "--input", "pat=ghp_S3cr3tT0kenValue", "--output", output);

        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Assert.Contains(Server.Targets, t => t.Contains("access_token=ghp_S3cr3tT0kenValue", StringComparison.Ordinal)); // it is the request's secret
        string entry = Assert.Single(await File.ReadAllLinesAsync(Path.Combine(output, "tokenshop.dead-letter.jsonl")));
        Assert.Contains("\"chain\":", entry, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cr3tT0kenValue", entry, StringComparison.Ordinal);
    }
}
