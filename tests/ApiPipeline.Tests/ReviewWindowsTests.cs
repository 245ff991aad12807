using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace ApiPipeline.Tests;

/// <summary>A change whose timestamp may be missing (null) in the API's JSON; the watermark member is nullable, as [Watermark] allows.</summary>
public sealed record ReviewNullableChange([property: Key] long Id, string Name, DateTimeOffset? UpdatedAt);

[JsonSerializable(typeof(ReviewNullableChange))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class ReviewWindowsJson : JsonSerializerContext;

/// <summary>An incremental extractor without a time filter (the pipeline filters itself), with a key and a 5-minute lag.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(ReviewWindowsJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(ReviewNullableChange.UpdatedAt), Lag = "5m")]
public sealed partial class ReviewNullableChanges : IExtractor<Scenario, ReviewNullableChange>;

public sealed class ReviewWindowsTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private List<ReviewNullableChange> WrittenNullable(string name)
        => [.. Directory.EnumerateFiles(Path.Combine(_dir.Path, name), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, ReviewWindowsJson.Default.ReviewNullableChange)!)];

    /// <summary>
    /// README: "[Watermark(...)] plus [Key] on the record makes runs incremental (watermark minus lag, duplicates dropped by key ...)";
    /// WatermarkAttribute: the field may be "nullable or not". The same unchanged API answer read by two runs must land once: a record
    /// whose watermark member is null (but whose key is known) is written again by every run, so it is duplicated in the output.
    /// Only a null KEY is documented as "cannot be recognised and is written again" (docs/state-and-incremental.md, Key row).
    /// </summary>
    [Fact]
    public async Task ReviewWindows_a_record_with_a_null_watermark_is_written_again_by_every_run()
    {
        var input = Map("rw-null-mark", ctx =>
        {
            int page = int.Parse(ctx.Request.Query["page"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            return Reply.Json(ctx, page == 1
                ? """{"data":[{"id":1,"name":"a","updated_at":"2026-04-01T00:00:00Z"},{"id":2,"name":"b","updated_at":null},{"id":3,"name":"c","updated_at":"2026-04-01T00:01:00Z"}]}"""
                : """{"data":[]}""");
        });
        await using var store = new InMemoryStateStore();

        async Task<PipelineResult> Run()
        {
            await using var output = new JsonlOutput<ReviewNullableChange>(ReviewWindowsJson.Default.ReviewNullableChange, new() { Directory = _dir.Path, Name = "null-mark" });
            return await new Pipeline<Scenario, ReviewNullableChange>("null-mark", new ReviewNullableChanges(At), output, new PipelineOptions { StateStore = store }).ExecuteAsync(input);
        }

        var first = await Run();
        var second = await Run();

        Assert.Equal((PipelineStatus.Succeeded, 3L), (first.Status, first.Records));
        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        // Nothing changed at the API: every record, keyed, must be in the output once.
        Assert.Equal([1L, 2L, 3L], WrittenNullable("null-mark").Select(c => c.Id).Order());
    }

    /// <summary>
    /// docs/state-and-incremental.md: "A file that is not a readable state database, a schema from another version, or a run state that
    /// does not parse fails with a StateStoreException that names the file — never a silent restart from scratch." An SQLite file of
    /// another application (a `--state app.db` typo) is not a state database: opening it must fail, not add ApiPipeline's tables to it and
    /// start from scratch.
    /// </summary>
    [Fact]
    public async Task ReviewWindows_another_applications_sqlite_file_is_refused_as_a_state_file()
    {
        string path = Path.Combine(_dir.Path, "app.db");
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('alice');";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Record.ExceptionAsync(async () =>
        {
            await using var store = await SqliteStateStore.OpenAsync(path);
        });

        Assert.IsType<StateStoreException>(error);
        Assert.Contains(path, error.Message);
    }

    /// <summary>
    /// A change feed that lists each version of an entity (same [Key], a newer UpdatedAt per change), oldest first, filtered by ?since=.
    /// docs/state-and-incremental.md, step 2: "the same key with the same watermark value written by an earlier run → dropped, counted in
    /// Duplicates (a record updated again has a new value and is written as a new version)". Run 2 reads exactly what run 1 wrote (the
    /// 5-minute lag covers it all), so both versions of key 1 must be dropped. The seen store keeps one value per key (the last Put of the
    /// batch), so the other version of key 1 is not recognised and is written a second time.
    /// </summary>
    [Fact]
    public async Task ReviewWindows_two_versions_of_a_key_inside_the_lag_are_written_again_by_the_next_run()
    {
        var t0 = ChangeTable.T0;
        Change[] rows = [new(1, "v1", t0), new(1, "v2", t0.AddMinutes(1)), new(2, "other", t0.AddMinutes(2))];
        var input = Map("rw-versions", ctx =>
        {
            var q = ctx.Request.Query;
            int page = int.Parse(q["page"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
            var since = q.TryGetValue("since", out var s) ? DateTimeOffset.Parse(s.ToString(), System.Globalization.CultureInfo.InvariantCulture) : DateTimeOffset.MinValue;
            var data = page == 1 ? rows.Where(r => r.UpdatedAt >= since).Select(r => System.Text.Json.JsonSerializer.Serialize(r, ChangeJson.Default.Change)) : [];
            return Reply.Json(ctx, "{\"data\":[" + string.Join(",", data) + "]}");
        });
        await using var store = new InMemoryStateStore();

        async Task<PipelineResult> Run()
        {
            await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "versions" });
            return await new Pipeline<Scenario, Change>("versions", new Changes(At), output, new PipelineOptions { StateStore = store }).ExecuteAsync(input);
        }

        var first = await Run();
        Assert.Equal((PipelineStatus.Succeeded, 3L), (first.Status, first.Records));

        var second = await Run();
        Assert.Equal(PipelineStatus.Succeeded, second.Status);
        Assert.Equal((0L, 3L), (second.Records, second.Duplicates));
    }

    /// <summary>
    /// docs/state-and-incremental.md, Time windows: "A pipeline whose extractor has [TimeWindows] (or ExtractorOptions.TimeWindows) extracts
    /// each input's range as fixed windows ... each sent as the watermark's Param and UntilParam (which is why both are required: APP0008)".
    /// APP0008 only checks the attribute: ExtractorOptions.TimeWindows on an extractor whose [Watermark] has no UntilParam is accepted, and
    /// every window is sent as ?since= alone, so each window asks for (and pages through) the whole rest of the range and drops what lies
    /// past its end (with MaxResults every window would look too deep). Expected: a clear refusal naming UntilParam.
    /// </summary>
    [Fact]
    public async Task ReviewWindows_runtime_TimeWindows_without_an_UntilParam_is_not_refused()
    {
        var table = new ChangeTable();
        table.Add(72, TimeSpan.FromHours(1)); // one change an hour for 3 days from T0
        Api.Map("/rw-tw-no-until/changes", table.Serve);
        var input = new Scenario("rw-tw-no-until");
        var options = At with { TimeWindows = new TimeWindowOptions { Size = TimeSpan.FromDays(1), MaxConcurrent = 1 } };

        Exception? refused = Record.Exception(() => new Changes(options));
        if (refused is null)
        {
            await using var store = new InMemoryStateStore();
            await using var output = new JsonlOutput<Change>(ChangeJson.Default.Change, new() { Directory = _dir.Path, Name = "tw-no-until" });
            var result = await new Pipeline<Scenario, Change>("tw-no-until", new Changes(options), output, new PipelineOptions { StateStore = store, From = ChangeTable.T0, Until = ChangeTable.T0.AddDays(3) })
                .ExecuteAsync(input);
            var requests = Requests("rw-tw-no-until");
            refused = result.Error;
            Assert.True(
                refused is not null && refused.Message.Contains("UntilParam", StringComparison.Ordinal),
                $"run {result.Status}, {result.Records} records, {result.OutOfRange} out of range, {requests.Count} requests, none with ?until=: {string.Join(" ", requests.Select(r => r.RawTarget))}");
        }

        Assert.Contains("UntilParam", refused!.Message, StringComparison.Ordinal);
    }
}
