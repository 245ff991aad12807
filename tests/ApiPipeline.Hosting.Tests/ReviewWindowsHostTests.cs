using Xunit;

namespace ApiPipeline.Hosting.Tests;

public sealed class ReviewWindowsHostTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// The run state a completed time-windowed run records (RunCheckpointer.PlanWindows gives the input's own entry its range, Since and
    /// Until; BeginWindow/EndPage give each window "&lt;input&gt; @ [start, end)" with WindowOf and Completed), saved and completed through the
    /// journal as a run does. `state show` ("Shows the stored state ...: last run, watermarks, checkpoints") then says of the input
    /// "not started" although the run completed and every one of its windows is done: the input's own entry is never marked
    /// Completed (with time windows "an input's own entry only holds its range: its windows say whether it is done", RunCheckpointer.Unfinished),
    /// and StateText.Progress reads it like an input without windows.
    /// </summary>
    [Fact]
    public async Task ReviewWindows_state_show_says_a_finished_windowed_input_is_not_started()
    {
        string stateFile = Path.Combine(_dir.Path, "state", "pipeline.db");
        var d0 = new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
        const string input = "/search";
        var w1 = new TimeWindow(d0, d0.AddDays(1));
        var w2 = new TimeWindow(d0.AddDays(1), d0.AddDays(2));
        var store = await SqliteStateStore.OpenAsync(stateFile);
        await using (store)
        {
            var run = new PipelineRunState
            {
                RunId = 1,
                StartedAt = d0.AddDays(2),
                Records = 48,
                Pages = 6,
                Partitions = new Dictionary<string, PartitionState>
                {
                    [input] = new() { Since = d0, Until = d0.AddDays(2) },
                    [input + " @ " + w1] = new() { Since = w1.Start, Until = w1.End, WindowOf = input, Completed = true, MaxMark = d0.AddHours(23) },
                    [input + " @ " + w2] = new() { Since = w2.Start, Until = w2.End, WindowOf = input, Completed = true, MaxMark = d0.AddHours(47) },
                },
            };
            var journal = new PipelineJournal(store, "search");
            await journal.SaveAsync(run, []);
            await journal.CompleteRunAsync(run, new Dictionary<string, WatermarkValue> { [input] = d0.AddHours(47) }, []);
        }

        var (code, output, error) = await CliTests.Cli(null, "state", "show", "search", "--state", stateFile);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains("run #1: completed", output, StringComparison.Ordinal);
        var inputLine = output.Split('\n').Single(l => l.Contains("partition " + input + ":", StringComparison.Ordinal));
        Assert.DoesNotContain("not started", inputLine, StringComparison.Ordinal);
    }
}
