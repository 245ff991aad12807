using System.Diagnostics;
using System.Text.Json;
using ApiPipeline.DemoApi;
using ApiPipeline.Tests.Resilience;

namespace ApiPipeline.Tests;

/// <summary>
/// The crash harness: runs the sample pipeline (issues by Link header + watermark, events by cursor) as a child process against the
/// demo API, kills it with SIGKILL at random moments, restarts it, and finally checks that the output holds every source record
/// exactly once and no temporary files.
/// </summary>
public sealed class CrashResumeTests : IDisposable
{
    private const int Issues = 3_000;
    private const int Events = 20_000;
    private const int Kills = 20;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Killing_the_sample_at_random_moments_loses_and_duplicates_nothing()
    {
        await using var api = await ApiPipeline.DemoApi.DemoApi.StartAsync(new DemoApiOptions { Issues = Issues, Events = Events, Latency = TimeSpan.FromMilliseconds(15) });
        var random = new Random(20261126);
        int killedMidRun = 0;
        for (int i = 0; i < Kills; i++)
        {
            using var child = StartSample(api.BaseUrl);
            await Task.Delay(random.Next(100, 1200));
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                killedMidRun++;
            }

            await child.WaitForExitAsync();
        }

        using (var last = StartSample(api.BaseUrl))
        {
            await last.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(0, last.ExitCode);
        }

        AssertExactlyOnce("issues", "number", Issues);
        AssertExactlyOnce("events", "id", Events);
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "*.tmp", SearchOption.AllDirectories));

        // Later runs only re-read the lag window and finish quickly, so not every kill lands while one is running.
        Assert.True(killedMidRun >= Kills / 4, $"only {killedMidRun} of {Kills} kills landed while the sample was running");
    }

    [Fact]
    public async Task Sigterm_stops_the_sample_with_its_own_demo_api_and_the_next_run_resumes()
    {
        // Without --base-url the sample hosts the demo API in its own process: the signal must still stop the run (exit 130).
        // SIGTERM goes the same way as Ctrl+C's SIGINT, which a test cannot rely on: a process started in the background by a
        // non-interactive shell (as CI scripts are) inherits SIGINT ignored, and .NET keeps it so.
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using (var child = StartSample(["--latency-ms", "100"], log))
        {
            await Wait.UntilAsync(() => Directory.Exists(Path.Combine(_dir.Path, "out", "issues")), "the first page", seconds: 60);
            Assert.Equal(0, Kill(child.Id, SigTerm));

            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(child.ExitCode == 130, $"exit code {child.ExitCode}:\n{string.Join('\n', log)}");
            Assert.Contains("Interrupted: what was committed is kept", string.Join('\n', log), StringComparison.Ordinal);
        }

        using (var again = StartSample([]))
        {
            await again.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(0, again.ExitCode);
        }

        AssertExactlyOnce("issues", "number", 2_500);
        AssertExactlyOnce("events", "id", 5_000);
    }

    private const int SigTerm = 15;

    /// <summary>Sends a signal to a process.</summary>
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private void AssertExactlyOnce(string dataset, string field, int expected)
    {
        var counts = new Dictionary<long, int>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(_dir.Path, "out", dataset), "part-*.jsonl", SearchOption.AllDirectories))
        {
            foreach (var line in File.ReadLines(file))
            {
                using var doc = JsonDocument.Parse(line);
                long id = doc.RootElement.GetProperty(field).GetInt64();
                counts[id] = counts.GetValueOrDefault(id) + 1;
            }
        }

        Assert.Equal(expected, counts.Count);
        Assert.Empty(counts.Where(c => c.Value != 1).Select(c => $"{dataset} {c.Key} written {c.Value} times"));
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("not-sqlite")]
    [InlineData("under-a-file")]
    public async Task A_state_path_that_cannot_be_a_state_file_is_a_message_not_an_unhandled_exception(string kind)
    {
        // As for an --out that is a file: one line that names the path, and a failure exit code, not a stack trace. "under-a-file" is a
        // typo such as --state out.txt/sample.db: the state file's folder cannot be created.
        string state = Path.Combine(_dir.Path, "state.db");
        if (kind == "folder")
        {
            Directory.CreateDirectory(state);
        }
        else if (kind == "not-sqlite")
        {
            await File.WriteAllTextAsync(state, "this is not an SQLite database");
        }
        else
        {
            await File.WriteAllTextAsync(Path.Combine(_dir.Path, "notes.txt"), "not a folder");
            state = Path.Combine(_dir.Path, "notes.txt", "sample.db");
        }

        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var sample = StartSample(["--issues", "10", "--state", state], log);
        await sample.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        string output = string.Join('\n', log);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.Contains(state, output, StringComparison.Ordinal);
        Assert.True(sample.ExitCode == 1, $"exit code {sample.ExitCode}:\n{output}");
    }

    private Process StartSample(string baseUrl) => StartSample(["--base-url", baseUrl]);

    /// <summary>Starts the sample with <paramref name="args"/>; its output lines go to <paramref name="log"/> when given.</summary>
    private Process StartSample(string[] args, System.Collections.Concurrent.ConcurrentQueue<string>? log = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[SamplePath(), .. args, "--out", Path.Combine(_dir.Path, "out")])
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, line) => log?.Enqueue(line.Data ?? "");
        process.ErrorDataReceived += (_, line) => log?.Enqueue(line.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The sample's build output next to this test assembly's configuration (Debug or Release).</summary>
    private static string SamplePath()
    {
        var binDir = new DirectoryInfo(AppContext.BaseDirectory); // tests/ApiPipeline.Tests/bin/<Configuration>/net10.0/
        string configuration = binDir.Parent!.Name;
        var root = binDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ApiPipeline.Generated.sln")))
        {
            root = root.Parent;
        }

        string path = Path.Combine(root!.FullName, "samples", "ApiPipeline.Sample", "bin", configuration, "net10.0", "ApiPipeline.Sample.dll");
        Assert.True(File.Exists(path), $"The sample is not built at {path}");
        return path;
    }
}
