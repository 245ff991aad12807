using System.Text.Json.Serialization;

namespace ApiPipeline.Tests;

/// <summary>A record whose key may be null in the API's JSON.</summary>
public sealed record MaybeKeyedChange([property: Key] string? Id, DateTimeOffset UpdatedAt);

[JsonSerializable(typeof(MaybeKeyedChange))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class MaybeKeyedJson : JsonSerializerContext;

/// <summary>One page of passthrough changes, read again within a 5-minute lag.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(MaybeKeyedJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
[Watermark(nameof(MaybeKeyedChange.UpdatedAt), Param = "since", Lag = "5m")]
public sealed partial class RawMaybeKeyedChanges : IExtractor<Scenario, RawRecord<MaybeKeyedChange>>;

/// <summary>A record without a key cannot be recognised when read again: it is written again, and it never breaks a run.</summary>
public sealed class NullKeyTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_null_key_is_not_de_duplicated_and_the_next_run_still_succeeds()
    {
        var input = Map("null-key", ctx => Reply.Json(ctx, """{"data":[{"id":null,"updated_at":"2026-01-01T00:00:00Z"},{"id":"a","updated_at":"2026-01-01T00:01:00Z"}],"next":null}"""));
        await using var store = new InMemoryStateStore();

        var first = await RunAsync(input, store);
        var second = await RunAsync(input, store);

        Assert.Equal((PipelineStatus.Succeeded, 2L), (first.Status, first.Records));
        Assert.True(second.Status == PipelineStatus.Succeeded, second.Error?.ToString());
        Assert.Equal(1L, second.Records); // "a" is known from the first run; the record without a key is not
    }

    private async Task<PipelineResult> RunAsync(Scenario input, IStateStore store)
    {
        await using var output = new JsonlOutput<RawRecord<MaybeKeyedChange>>(RawRecord.TypeInfo(MaybeKeyedJson.Default.MaybeKeyedChange), new() { Directory = _dir.Path, Name = "null-key" });
        return await new Pipeline<Scenario, RawRecord<MaybeKeyedChange>>("null-key", new RawMaybeKeyedChanges(At), output, new PipelineOptions { StateStore = store }).ExecuteAsync(input);
    }
}
