using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// <c>run OwnerItems --input since=… --from …</c>: the range member the <c>--from</c> would fill is already given with <c>--input</c>.
/// The usage error should say so, not claim that the input has no such member while listing that very member.
/// </summary>
public sealed class RangeMemberGivenTwiceTests : ServerTests
{
    [Fact]
    public async Task A_from_whose_member_was_given_with_input_says_it_was_given_twice_not_that_the_member_is_missing()
    {
        var (code, output, error) = await CliTests.Cli(null, "run", "OwnerItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", "owner=a", "--input", "since=2026-02-01", "--from", "2026-01-01");

        Assert.True(code == ExitCodes.UsageError, output + error);
        // Today: "--from 2026-01-01T00:00:00.0000000+00:00 needs a date member of OwnerRef named since, from, start, after, …; its members
        // are: Owner (string, required), Since (DateTimeOffset?), Limit (int?)." — OwnerRef has exactly such a member.
        Assert.DoesNotContain("needs a date member", error, StringComparison.Ordinal);
        Assert.Contains("Since", error, StringComparison.Ordinal);
        Assert.Contains("--input", error, StringComparison.Ordinal);
        Assert.Empty(Server.Targets);
    }
}
