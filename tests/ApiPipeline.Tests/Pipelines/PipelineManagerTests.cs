using static ApiPipeline.Tests.PipelineTestKit;

namespace ApiPipeline.Tests;

public sealed class PipelineManagerTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Registering_a_duplicate_id_is_an_error()
    {
        var manager = new PipelineManager();
        await using var output = Jsonl(_temp.Path, "dup");
        manager.RegisterPipeline("dup", new CursorItems(At), output);

        var ex = Assert.Throws<InvalidOperationException>(() => manager.RegisterPipeline("dup", new DataItems(At), output));

        Assert.Contains("'dup' is already registered", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Executing_with_the_wrong_input_type_names_the_pipeline_and_the_type()
    {
        var manager = new PipelineManager();
        await using var output = Jsonl(_temp.Path, "typed");
        manager.RegisterPipeline("typed", new CursorItems(At), output);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => manager.ExecutePipelineAsync("typed", 42));

        Assert.Equal("Pipeline 'typed' does not take inputs of type Int32.", ex.Message);
        Assert.Equal(PipelineStatus.Created, manager.GetPipeline("typed").GetStatus().Status);
    }

    [Fact]
    public void An_unknown_id_lists_the_registered_ones()
    {
        var manager = new PipelineManager();
        manager.RegisterPipeline(new Pipeline<Scenario, Item>("b", new CursorItems(At), Jsonl(_temp.Path, "b")));
        manager.RegisterPipeline(new Pipeline<Scenario, Item>("a", new CursorItems(At), Jsonl(_temp.Path, "a")));

        var ex = Assert.Throws<KeyNotFoundException>(() => manager.GetPipeline("c"));

        Assert.Contains("'c'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a, b", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["a", "b"], manager.GetStatuses().Select(s => s.Id));
    }

    [Fact]
    public async Task ExecutePipelineAsync_runs_the_registered_pipeline()
    {
        var input = Map("mgr-one", CursorPages(2, lastSize: 1));
        var manager = new PipelineManager();
        await using var output = Jsonl(_temp.Path, "mgr-one");
        var pipeline = manager.RegisterPipeline("mgr-one", new CursorItems(At), output);

        var result = await manager.ExecutePipelineAsync("mgr-one", input);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal([1, 2, 3, 4], CommittedIds(Path.Combine(_temp.Path, "mgr-one")));
        Assert.Same(pipeline, manager.GetPipeline("mgr-one"));
        Assert.Equal(PipelineStatus.Succeeded, Assert.Single(manager.GetStatuses()).Status);
    }

    [Fact]
    public async Task ExecuteStreamAsync_writes_the_records_of_every_input()
    {
        Api.Map("/mgr-stream-a", CursorPages(2));
        Api.Map("/mgr-stream-b", CursorPages(1, lastSize: 2));
        Api.Map("/mgr-stream-c", CursorPages(3, lastSize: 1));
        var manager = new PipelineManager();
        await using var output = Jsonl(_temp.Path, "mgr-stream", new OutputBatchOptions { BatchSize = 5 });
        manager.RegisterPipeline("mgr-stream", new CursorItems(At), output);

        var result = await manager.ExecuteStreamAsync("mgr-stream", Inputs(new Scenario("mgr-stream-a"), new Scenario("mgr-stream-b"), new Scenario("mgr-stream-c")));

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal([1, 2, 3, 4, 5, 6, 1, 2, 1, 2, 3, 4, 5, 6, 7], CommittedIds(Path.Combine(_temp.Path, "mgr-stream")));
        Assert.Equal(15, result.Records);
        Assert.Equal(6, result.Pages);
        Assert.Equal(6, Api.RequestsTo("/mgr-stream-a").Count + Api.RequestsTo("/mgr-stream-b").Count + Api.RequestsTo("/mgr-stream-c").Count);
    }
}
