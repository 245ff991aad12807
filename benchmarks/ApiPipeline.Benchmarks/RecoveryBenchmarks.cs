using BenchmarkDotNet.Attributes;

namespace ApiPipeline.Benchmarks;

/// <summary>
/// What a run's recovery costs at its start (a chain's at every run, so parallel chains into one folder pay it once per input): one
/// <see cref="JsonlOutput{T}.RecoverAsync"/> over a dataset folder of <see cref="Parts"/> committed parts and nothing to remove, against
/// the floor of listing that folder by hand.
/// </summary>
public class RecoveryBenchmarks
{
    private string _directory = "";
    private JsonlOutput<Issue> _output = null!;

    [Params(1_000, 10_000)]
    public int Parts { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "apipipeline-recovery-" + Environment.ProcessId);
        string folder = Path.Combine(_directory, "issues");
        Directory.CreateDirectory(folder);
        for (int i = 1; i <= Parts; i++)
        {
            File.WriteAllText(Path.Combine(folder, $"part-{i:D5}.jsonl"), "");
        }

        _output = new JsonlOutput<Issue>(BenchJson.Default.Issue, new JsonlOutputOptions<Issue> { Directory = _directory, Name = "issues" });
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Recovery of a dataset folder")]
    public int ListFolder() => Directory.EnumerateFiles(Path.Combine(_directory, "issues"), "*", SearchOption.AllDirectories).Count();

    [Benchmark]
    [BenchmarkCategory("Recovery of a dataset folder")]
    public ValueTask Recover() => _output.RecoverAsync("chain:issues", null);
}
