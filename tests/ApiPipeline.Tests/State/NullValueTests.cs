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

/// <summary>A change whose timestamp may be null in the API's JSON (the watermark member is nullable, as [Watermark] allows).</summary>
public sealed record MaybeTimedChange([property: Key] long Id, string Name, DateTimeOffset? UpdatedAt);

[JsonSerializable(typeof(MaybeTimedChange))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class MaybeTimedJson : JsonSerializerContext;

/// <summary>Pages of changes without a time filter (the pipeline filters itself), with a key and a 5-minute lag.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(MaybeTimedJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(MaybeTimedChange.UpdatedAt), Lag = "5m")]
public sealed partial class MaybeTimedChanges : IExtractor<Scenario, MaybeTimedChange>;

/// <summary>
/// A record without a key, or without a watermark value, cannot be recognised when read again: it is written again, and it never
/// breaks a run.
/// </summary>
public sealed class NullValueTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
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

    /// <summary>
    /// A record whose watermark field is null has no place in the range: every run writes it (docs: "always written", neither dropped
    /// by key nor remembered), while the keyed records with values are dropped as read again.
    /// </summary>
    [Fact]
    public async Task A_record_without_a_watermark_value_is_written_by_every_run_and_the_others_once()
    {
        var input = Map("null-mark", ctx => Reply.Json(ctx, ctx.Request.Query["page"] == "1"
            ? """{"data":[{"id":1,"name":"a","updated_at":"2026-04-01T00:00:00Z"},{"id":2,"name":"b","updated_at":null},{"id":3,"name":"c","updated_at":"2026-04-01T00:01:00Z"}]}"""
            : """{"data":[]}"""));
        await using var store = new InMemoryStateStore();

        async Task<PipelineResult> Run()
        {
            await using var output = new JsonlOutput<MaybeTimedChange>(MaybeTimedJson.Default.MaybeTimedChange, new() { Directory = _dir.Path, Name = "null-mark" });
            return await new Pipeline<Scenario, MaybeTimedChange>("null-mark", new MaybeTimedChanges(At), output, new PipelineOptions { StateStore = store }).ExecuteAsync(input);
        }

        var first = await Run();
        var second = await Run();

        Assert.Equal((PipelineStatus.Succeeded, 3L), (first.Status, first.Records));
        Assert.Equal((PipelineStatus.Succeeded, 1L, 2L), (second.Status, second.Records, second.Duplicates));
        Assert.Equal([1L, 2L, 2L, 3L], Directory.EnumerateFiles(Path.Combine(_dir.Path, "null-mark"), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines).Select(line => System.Text.Json.JsonSerializer.Deserialize(line, MaybeTimedJson.Default.MaybeTimedChange)!.Id).Order());
    }

    private async Task<PipelineResult> RunAsync(Scenario input, IStateStore store)
    {
        await using var output = new JsonlOutput<RawRecord<MaybeKeyedChange>>(RawRecord.TypeInfo(MaybeKeyedJson.Default.MaybeKeyedChange), new() { Directory = _dir.Path, Name = "null-key" });
        return await new Pipeline<Scenario, RawRecord<MaybeKeyedChange>>("null-key", new RawMaybeKeyedChanges(At), output, new PipelineOptions { StateStore = store }).ExecuteAsync(input);
    }
}
