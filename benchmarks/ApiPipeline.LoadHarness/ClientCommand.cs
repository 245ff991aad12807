using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ApiPipeline.LoadHarness;

/// <summary>
/// <c>client</c>: one run of one client in this (child) process. Prints exactly one line <c>RESULT {json}</c> with records, elapsed,
/// CPU seconds (<see cref="Process.TotalProcessorTime"/>) and peak RSS (<c>VmHWM</c> of <c>/proc/self/status</c>).
/// </summary>
internal static class ClientCommand
{
    public const string ResultPrefix = "RESULT ";

    public static async Task<int> RunAsync(string[] args)
    {
        string impl = "", scenario = "", baseUrl = "", output = "";
        int pageSize = 100;
        long records = 0, commitEvery = 0;
        bool resilience = false;
        double rateLimit = 0;
        int maxConcurrent = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--impl": impl = Value(); break;
                case "--scenario": scenario = Value(); break;
                case "--page-size": pageSize = (int)HarnessOptions.ParseLong(Value()); break;
                case "--records": records = HarnessOptions.ParseLong(Value()); break;
                case "--base-url": baseUrl = Value(); break;
                case "--out": output = Value(); break;
                case "--rate-limit": rateLimit = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--max-concurrent": maxConcurrent = (int)HarnessOptions.ParseLong(Value()); break;
                case "--commit-every": commitEvery = HarnessOptions.ParseLong(Value()); break;
                case "--resilience": resilience = true; break;
                default: throw new UsageException($"client: unknown option '{args[i]}'");
            }
        }

        if (impl is not ("baseline" or "generated" or "rawbaseline" or "passthrough") || scenario.Length == 0 || baseUrl.Length == 0 || output.Length == 0)
        {
            throw new UsageException("client needs --impl baseline|generated|rawbaseline|passthrough --scenario --base-url --out");
        }

        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var report = new ClientReport { Impl = impl, Scenario = scenario, PageSize = pageSize, OutputDirectory = Path.GetFullPath(output) };
        try
        {
            if (impl is "baseline" or "rawbaseline")
            {
                using var client = new BaselineClient(baseUrl, pageSize, rateLimit) { Passthrough = impl == "rawbaseline" };
                await client.RunAsync(scenario, records, output, CancellationToken.None).ConfigureAwait(false);
                report = report with { Records = client.Records, Pages = client.Pages, Http429 = client.Http429, Retries = client.Retries };
            }
            else
            {
                var result = await GeneratedClient.RunAsync(scenario, baseUrl, pageSize, records, output, commitEvery, CancellationToken.None, passthrough: impl == "passthrough", resilience: resilience, rateLimit: rateLimit, maxConcurrent: maxConcurrent).ConfigureAwait(false);
                report = report with
                {
                    Records = result.Records,
                    Pages = result.Pages,
                    Status = result.Status == PipelineStatus.Succeeded ? "ok" : result.Status.ToString().ToLowerInvariant(),
                    Error = result.Error?.Message,
                };
            }
        }
        catch (Exception ex)
        {
            report = report with { Status = "failed", Error = ex.GetType().Name + ": " + ex.Message };
        }

        clock.Stop();
        process.Refresh();
        report = report with
        {
            ElapsedSeconds = clock.Elapsed.TotalSeconds,
            CpuSeconds = process.TotalProcessorTime.TotalSeconds,
            RunCpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds,
            PeakRssMb = ProcStatus.ReadKb("VmHWM") / 1024.0,
            GcHeapMb = GC.GetGCMemoryInfo().HeapSizeBytes / (1024.0 * 1024.0),
            AllocatedBytes = GC.GetTotalAllocatedBytes(precise: true),
            Gen0 = GC.CollectionCount(0),
            JitSeconds = System.Runtime.JitInfo.GetCompilationTime().TotalSeconds,
            JitMethods = System.Runtime.JitInfo.GetCompiledMethodCount(),
            Gen1 = GC.CollectionCount(1),
            WorkItems = ThreadPool.CompletedWorkItemCount,
            LockContentions = Monitor.LockContentionCount,
            Gen2 = GC.CollectionCount(2),
        };
        Console.WriteLine(ResultPrefix + JsonSerializer.Serialize(report, ReportJson.Default.ClientReport));
        return report.Status == "ok" ? 0 : 1;
    }
}

/// <summary>Reads <c>/proc/self/status</c>.</summary>
internal static class ProcStatus
{
    /// <summary>A "Name:   123 kB" value, or -1 when not on Linux.</summary>
    public static long ReadKb(string name)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(name + ":", StringComparison.Ordinal))
                {
                    var digits = line.AsSpan(name.Length + 1).Trim();
                    int space = digits.IndexOf(' ');
                    return long.Parse(space < 0 ? digits : digits[..space], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return -1;
    }
}

/// <summary><c>serve</c>: the loopback API alone, so a client can be run (and profiled) by hand against it.</summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new LoadServerOptions();
        double seconds = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--records": options = options with { Records = HarnessOptions.ParseLong(Value()) }; break;
                case "--latency-ms": options = options with { LatencyMs = (int)HarnessOptions.ParseLong(Value()) }; break;
                case "--rate-limit": options = options with { RateLimit = double.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--fail-every": options = options with { FailEvery = (int)HarnessOptions.ParseLong(Value()) }; break;
                case "--pretty": options = options with { Pretty = true }; break;
                case "--port": options = options with { Port = (int)HarnessOptions.ParseLong(Value()) }; break;
                case "--seconds": seconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                default: throw new UsageException($"serve: unknown option '{args[i]}'");
            }
        }

        await using var server = await LoadServer.StartAsync(options).ConfigureAwait(false);
        Console.WriteLine(server.BaseUrl);

        // Stops after --seconds, on Enter, or on SIGTERM/SIGINT (kill, Ctrl+C), and then exits: a server left behind would take CPU
        // from every measurement after it.
        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var stopped = Task.Delay(Timeout.Infinite, stop.Token);
        await Task.WhenAny(stopped, seconds > 0 ? Task.Delay(TimeSpan.FromSeconds(seconds)) : Task.Run(Console.ReadLine)).ConfigureAwait(false);

        Console.Error.WriteLine($"served {server.Requests} requests");
        return 0;
    }
}
