using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>As <see cref="FeedItems"/>'s feed, by pages; a failed page is dead-lettered.</summary>
[Extractor("http://localhost", "/feeds/{access_token}/items", Json = typeof(FeedJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[OnError(ErrorMode.DeadLetter)]
public sealed partial class FeedPages : IExtractor<FeedToken, Item>;

/// <summary>
/// The run's error for a failed page masks the input's <c>AccessToken</c> in its URL (<c>/feeds/***/items</c>, in the dead-letter
/// entry's <c>url</c> and <c>error</c>). When <c>replay</c> requests the page again and it fails again, the message it prints shows
/// the URL with the token in clear: replay builds the request from the entry's <c>resume.url</c> (which holds the token) without
/// the input's secrets, so nothing masks it.
/// </summary>
public sealed class ReplaySecretTests : ServerTests
{
    [Fact]
    public async Task A_replay_that_fails_again_does_not_print_the_inputs_secret_member()
    {
        const string Token = "tok-SUPERSECRET-77";
        Server.Respond = context => context.Request.Query["page"] == "2"
            ? TestServer.Reply(context, """{"message":"down"}""", 503)
            : TestServer.Reply(context, context.Request.Query["page"] == "1" ? """{"data":[{"id":1,"name":"a","updated_at":"2026-01-10T00:00:00Z"}]}""" : """{"data":[]}""", 200);
        var run = await CliTests.Cli(null, "run", "FeedPages", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", "access_token=" + Token);
        Assert.True(run.Code == ExitCodes.PartialSuccess, run.Out + run.Err);
        Assert.DoesNotContain(Token, run.Out + run.Err, StringComparison.Ordinal);

        var (code, output, error) = await CliTests.Cli(null, "replay", Path.Combine(Dir.Path, "FeedPages.dead-letter.jsonl"), "--output", Dir.Path);

        Assert.True(code == ExitCodes.Failure, output + error);
        Assert.Contains("failed again", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, output + error, StringComparison.Ordinal);
    }
}
