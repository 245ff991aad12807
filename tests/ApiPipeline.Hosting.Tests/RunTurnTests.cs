using ApiPipeline.Generated;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>The turns a pipeline file's runs take, and `state reset` with them.</summary>
public sealed class RunTurnTests : ServerTests
{
    [Fact]
    public async Task State_reset_waits_for_a_running_pipeline_file_that_names_its_own_output_directory()
    {
        string data = Path.Combine(Dir.Path, "data");
        string hostOutput = Path.Combine(Dir.Path, "host");
        string state = Path.Combine(Dir.Path, "state.db");
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: file_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\noutput:\n  type: jsonl\n  config:\n    directory: {data}\n");
        var gate = new GateHandler();
        var runner = new PipelineRunner(ApiPipelineRegistry.Instance, new ApiPipelineOptions { Output = hostOutput, State = state }, httpClients: _ => new HttpClient(gate));

        // A first run stores state for 'file_items', so that `state reset file_items` has something to reset.
        Assert.Equal(PipelineStatus.Succeeded, (await runner.RunAsync(new RunRequest { Target = file })).Outcome);

        // A second run is going (held at its first request, its turn taken) ...
        gate.Close();
        var run = runner.RunAsync(new RunRequest { Target = file });
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // ... and the same host's `state reset` must wait for it (docs/observability.md: "while a run of it is going ... it waits").
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = hostOutput }).Build();
        var reset = CliTests.Cli(configuration, "state", "reset", "file_items", "--state", state);
        await Task.WhenAny(reset, Task.Delay(1500));
        bool resetDuringRun = reset.IsCompleted;
        gate.Open();
        await run;
        var (code, text, error) = await reset.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.False(resetDuringRun, "state reset went ahead while a run of the pipeline file held its turn: " + text + error);
    }

    [Theory]
    [InlineData("/", "")]
    [InlineData("", "/")]
    [InlineData("", "")]
    public async Task A_pipeline_file_whose_directory_is_the_hosts_output_however_spelled_takes_one_turn(string outputSlash, string directorySlash)
    {
        // Taken twice, the one lock would wait for itself.
        string hostOutput = Path.Combine(Dir.Path, "host");
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: file_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\noutput:\n  type: jsonl\n  config:\n    directory: {hostOutput + directorySlash}\n");
        var runner = new PipelineRunner(ApiPipelineRegistry.Instance, new ApiPipelineOptions { Output = hostOutput + outputSlash, State = Path.Combine(Dir.Path, "state.db") });

        var run = runner.RunAsync(new RunRequest { Target = file });
        await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20)));

        Assert.True(run.IsCompleted, "the run waits on the run lock it already holds");
        Assert.Equal(PipelineStatus.Succeeded, (await run).Outcome);
    }

    private sealed class GateHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private volatile TaskCompletionSource? _hold;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Close() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _hold?.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (_hold is { } hold)
            {
                Entered.TrySetResult();
                await hold.Task.WaitAsync(cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
