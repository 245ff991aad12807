using System.Text.Json.Serialization;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>A tenant's feed, addressed by its token in the path.</summary>
public sealed record FeedToken(string AccessToken);

[JsonSerializable(typeof(Item))]
[JsonSerializable(typeof(FeedToken))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class FeedJson : JsonSerializerContext;

/// <summary>Incremental on <c>UpdatedAt</c>; late records go to the dead-letter file.</summary>
[Extractor("http://localhost", "/feeds/{access_token}/items", Json = typeof(FeedJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Watermark(nameof(Item.UpdatedAt), Param = "since", Key = nameof(Item.Id), Lag = "10d", AllowedLateness = "1h", Late = LateRecordPolicy.DeadLetter)]
public sealed partial class FeedItems : IExtractor<FeedToken, Item>;

/// <summary>
/// docs/resilience.md: secrets are scrubbed "from error details, body snippets and dead-letter entries", and the values of
/// secret-looking input members "in every URL shown (errors, spans, logs, Page.Url, dead letters)". A late record's dead-letter entry
/// carries the raw stored partition key as its <c>url</c> and <c>partition</c>, so an <c>AccessToken</c> sent in the path lands in
/// the dead-letter file in clear.
/// </summary>
public sealed class LateRecordSecretTests : ServerTests
{
    [Fact]
    public async Task A_late_records_dead_letter_entry_does_not_hold_the_inputs_secret_member()
    {
        const string Token = "tok-SUPERSECRET-77";
        int run = 0;
        Server.Respond = context => TestServer.Reply(context, Volatile.Read(ref run) == 1
            ? """{"data":[{"id":1,"name":"new","updated_at":"2026-01-10T00:00:00Z"}]}"""
            : """{"data":[{"id":2,"name":"late","updated_at":"2026-01-05T00:00:00Z"}]}""", 200);

        Volatile.Write(ref run, 1);
        var first = await CliTests.Cli(null, "run", "FeedItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", "access_token=" + Token);
        Assert.True(first.Code == ExitCodes.Success, first.Out + first.Err);
        Volatile.Write(ref run, 2);
        var second = await CliTests.Cli(null, "run", "FeedItems", "--base-url", Server.BaseUrl, "--output", Dir.Path, "--input", "access_token=" + Token);
        Assert.True(second.Code is ExitCodes.Success or ExitCodes.PartialSuccess, second.Out + second.Err);

        string file = Path.Combine(Dir.Path, "FeedItems.dead-letter.jsonl");
        Assert.True(File.Exists(file), second.Out + second.Err);
        string letters = await File.ReadAllTextAsync(file);
        Assert.Contains("\"kind\":\"LateRecord\"", letters, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, letters, StringComparison.Ordinal);
    }
}
