using System.Globalization;

namespace ApiPipeline.Tests;

/// <summary>Offset pages of 10, three fetched ahead at a time.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "items", PageSize = 10, MaxConcurrent = 3)]
public partial class AheadOffsetItems : IExtractor<Scenario, Item>;

/// <summary>The same offset pages, one at a time.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(TestJson))]
[Paginated(Pagination.Offset, RecordsPath = "items", PageSize = 10)]
public partial class SerialOffsetItems : IExtractor<Scenario, Item>;

/// <summary>Pages fetched ahead (MaxConcurrent) behave as a sequential run.</summary>
public sealed class PrefetchOrderTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // Offsets 0.. of 30 records; at offset 10 the second record ("id":"x") does not fit Item.
    private static Task OffsetPage(Microsoft.AspNetCore.Http.HttpContext ctx)
    {
        int offset = int.Parse(ctx.Request.Query["offset"].ToString(), CultureInfo.InvariantCulture);
        var items = Enumerable.Range(offset + 1, Math.Max(0, Math.Min(10, 30 - offset)))
            .Select(i => i == 12 ? "{\"id\":\"x\",\"name\":\"bad\"}" : $"{{\"id\":{i},\"name\":\"n{i}\"}}");
        return Reply.Json(ctx, "{\"items\":[" + string.Join(",", items) + "]}");
    }

    private async Task<PipelineResult> RunMaxRecords(string scenario, IExtractor<Scenario, Item> extractor)
    {
        Map(scenario + "/items", OffsetPage);
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new() { Directory = _dir.Path, Name = scenario });
        var pipeline = new Pipeline<Scenario, Item>(scenario, extractor, output, new PipelineOptions { OnError = ErrorMode.DeadLetter });
        return await pipeline.ExecuteAsync(new Scenario(scenario));
    }

    /// <summary>
    /// With MaxRecords = 15, page 2 (offset 10) holds 11, "x", 13, …: the cut falls after 16, so "x", which does not fit, is inside
    /// it and is dead-lettered. A page fetched ahead hands its records and its misfits on in page order, so the cut treats it as a
    /// sequential run does.
    /// </summary>
    [Fact]
    public async Task A_misfit_before_the_MaxRecords_cut_is_dead_lettered_when_pages_are_fetched_ahead()
    {
        var serial = await RunMaxRecords("ahead-maxrec-serial", new SerialOffsetItems(At with { MaxRecords = 15 }));
        Assert.Equal(1, serial.DeadLettered); // one page at a time: the reference behaviour

        var ahead = await RunMaxRecords("ahead-maxrec-ahead", new AheadOffsetItems(At with { MaxRecords = 15 }));
        Assert.Equal(serial.Records, ahead.Records);
        Assert.Equal(1, ahead.DeadLettered);
        Assert.Equal(PipelineStatus.PartialSuccess, ahead.Status);
    }
}
