using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>Review s20c: failing tests of the replay fixes (temporary parts in an owner's folder).</summary>
public sealed class ReviewS20cTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    private string DeadLetters => Path.Combine(Output, "shop.dead-letter.jsonl");

    private static bool MembersPage2OfGroup2(string target)
        => target.StartsWith("/shops/acme/groups/2/members?", StringComparison.Ordinal) && ("&" + target[(target.IndexOf('?') + 1)..] + "&").Contains("&page=2&", StringComparison.Ordinal);

    /// <summary>
    /// A replay killed while it wrote a chain step's records to the fallback folder <c>&lt;output&gt;/shop/Members/</c> (an entry the later
    /// steps could not take) leaves a temporary part there. No run of the chain ever removes it: a chain run recovers its folder only
    /// when it resumes, and its writer clears only the folders it writes to (<c>&lt;output&gt;/shop/</c>). So every replay of the chain's
    /// entries is refused, forever, with the advice to run the chain again, which does not help.
    /// </summary>
    [Fact]
    public async Task A_stale_temporary_part_in_a_chain_steps_fallback_folder_makes_replay_refuse_the_chains_entries_forever()
    {
        Server.Unavailable = MembersPage2OfGroup2;
        var (code, text, error) = await CliTests.Cli(Config(), "run", "shop", "--input", "owner=acme", "--output", Output);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        Server.Unavailable = null;
        Assert.Single(await File.ReadAllLinesAsync(DeadLetters));

        // What a replay killed half-way through writing <output>/shop/Members/ leaves.
        string fallback = Path.Combine(Output, "shop", "Members");
        Directory.CreateDirectory(fallback);
        await File.WriteAllTextAsync(Path.Combine(fallback, ".part-00001.0badf00d.jsonl.tmp"), "{\"id\":203}\n");

        // As the refusal advises: run the chain again first, then replay.
        (code, text, error) = await CliTests.Cli(Config(), "run", "shop", "--input", "owner=acme", "--output", Output);
        Assert.True(code == ExitCodes.Success, text + error);

        (code, text, error) = await CliTests.Cli(Config(), "replay", DeadLetters, "--output", Output);
        Assert.DoesNotContain("stopped before its files were in place", text, StringComparison.Ordinal);
        Assert.True(code == ExitCodes.Success, $"exit code {code}: " + text + error);
    }

    /// <summary>
    /// docs/chains.md: the chain input an entry carries has a value masked when it is "a URL value holding a secret-looking query parameter
    /// or a password". PipelineRunner.WithoutUrlSecrets looks only at http(s) URLs: a password in any other URL (a database, SFTP or AMQP
    /// URL given as a chain input member) is written to the dead-letter file as it is.
    /// </summary>
    [Theory]
    [InlineData("postgres://etl:pw-456789@db.test:5432/shop")]
    [InlineData("sftp://etl:pw-456789@files.test/drop")]
    [InlineData("amqp://etl:pw-456789@queue.test/")]
    public void The_chain_input_an_entry_carries_masks_the_password_of_a_non_http_url_value(string url)
    {
        var input = PipelineRunner.DeadLetterInput(new Dictionary<string, string> { ["Source"] = url });

        Assert.DoesNotContain("pw-456789", input.GetRawText(), StringComparison.Ordinal);
    }

    private IConfiguration Config() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ApiPipeline:Extractors:shop:BaseUrl"] = Server.BaseUrl,
    }).Build();
}
