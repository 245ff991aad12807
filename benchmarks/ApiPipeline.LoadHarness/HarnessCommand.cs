using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ApiPipeline.LoadHarness;

/// <summary>
/// The parent: starts the loopback API, runs each client as a child process of this executable (A/B, then B/A, for N rounds), verifies that
/// each pair of outputs holds exactly the same records, and prints a table per scenario.
/// </summary>
internal static class HarnessCommand
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        string root = Path.GetFullPath(o.OutputDirectory ?? Path.Combine(Path.GetTempPath(), "apipipeline-harness-" + Environment.ProcessId));
        Directory.CreateDirectory(root);
        Console.WriteLine($"ApiPipeline load harness: {Runtime}, {Environment.ProcessorCount} cores, output under {root}");
        Console.WriteLine($"  generated pipeline commits {(o.CommitEvery > 0 ? $"every {o.CommitEvery:N0} records" : "once, at the end of the run (like the baseline's single fsync)")}");
        Console.WriteLine("  numbers move with machine load: compare the interleaved ratios, not absolute records/s across runs");
        var results = new HarnessResults(o.CommandLine, Runtime, [], []);
        int exit = 0;
        try
        {
            exit = o.Flatness ? await FlatnessAsync(o, root, results).ConfigureAwait(false) : await CompareAsync(o, root, results).ConfigureAwait(false);
        }
        finally
        {
            if (!o.Keep && o.OutputDirectory is null)
            {
                TryDelete(root);
            }
        }

        if (o.JsonFile is not null)
        {
            await File.WriteAllTextAsync(o.JsonFile, JsonSerializer.Serialize(results, ReportJson.Default.HarnessResults)).ConfigureAwait(false);
            Console.WriteLine($"results written to {o.JsonFile}");
        }

        return exit;
    }

    /// <summary>"JIT" or "Native AOT". (PublishAot in the csproj turns IsDynamicCodeSupported off under the JIT too, so ask the JIT.)</summary>
    private static string Runtime => (System.Runtime.JitInfo.GetCompiledMethodCount() > 0 ? "JIT" : "Native AOT") + ", " + RuntimeInformation.FrameworkDescription;

    /// <summary>A run using more than this multiple of its client's median CPU in the cell is reported as possibly disturbed.</summary>
    private const double DisturbedCpu = 1.3;

    private static async Task<int> CompareAsync(HarnessOptions o, string root, HarnessResults results)
    {
        await using var server = await LoadServer.StartAsync(new LoadServerOptions
        {
            Records = o.Records,
            LatencyMs = o.LatencyMs,
            RateLimit = o.RateLimit,
            FailEvery = o.FailEvery,
            Pretty = o.Pretty,
        }).ConfigureAwait(false);
        Console.WriteLine($"  API at {server.BaseUrl}: {o.Records:N0} records, latency {o.LatencyMs} ms, rate limit {(o.RateLimit > 0 ? o.RateLimit + " req/s" : "off")}, 503 every {(o.FailEvery > 0 ? o.FailEvery + " requests" : "never")}{(o.Pretty ? ", pretty-printed pages" : "")}");

        int exit = 0;
        for (int round = 1; round <= o.Warmup; round++)
        {
            // The first cell of a matrix was the slowest in every run on the project's machine, for every client: warm up first.
            string scenario = o.Scenarios[0];
            int pageSize = o.PageSizes[0];
            server.Warm(pageSize);
            foreach (string impl in o.Impls)
            {
                string dir = Path.Combine(root, $"warmup-r{round}-{impl}");
                TryDelete(dir);
                var row = await RunChildAsync(server, round, impl, scenario, pageSize, o.Records, dir, o).ConfigureAwait(false);
                Console.WriteLine($"   warm-up {round} ({scenario}, page size {pageSize}, not counted): {impl} {row.Report.Status}, {Rate(row):N0} rec/s");
                TryDelete(dir);
            }
        }

        foreach (string scenario in o.Scenarios)
        {
            foreach (int pageSize in o.PageSizes)
            {
                server.Warm(pageSize);
                long pages = (o.Records + pageSize - 1) / pageSize;
                Console.WriteLine();
                Console.WriteLine($"== {scenario}, page size {pageSize}, {o.Records:N0} records, {pages:N0} pages ==");
                if (o.LatencyMs > 0)
                {
                    Console.WriteLine($"   sequential ideal: pages x latency = {pages * o.LatencyMs / 1000.0:0.00} s");
                }

                Console.WriteLine(RowHeader);
                var rows = new List<RunRow>();
                var ratios = new List<double>();
                var passthroughRatios = new Dictionary<string, List<double>> { ["baseline"] = [], ["rawbaseline"] = [] };
                string verification = "n/a";
                for (int round = 1; round <= o.Rounds; round++)
                {
                    var pair = new Dictionary<string, RunRow>();
                    var digests = new Dictionary<string, OutputDigest>();

                    // A/B, then B/A: whichever client runs second in a round meets the same conditions in the next one.
                    foreach (string impl in round % 2 == 1 ? o.Impls : o.Impls.Reverse())
                    {
                        string dir = Path.Combine(root, $"{scenario}-{pageSize}-r{round}-{impl}");
                        TryDelete(dir);
                        var row = await RunChildAsync(server, round, impl, scenario, pageSize, o.Records, dir, o).ConfigureAwait(false);
                        pair[impl] = row;
                        rows.Add(row);
                        results.Runs.Add(row);
                        Console.WriteLine(FormatRow(row, o));
                        if (row.Report.Status != "ok")
                        {
                            Console.WriteLine($"   {impl} FAILED: {row.Report.Error}");
                            exit = Math.Max(exit, 1);
                        }
                        else
                        {
                            digests[impl] = OutputDigest.Of(dir);
                        }

                        // Before the next client starts: on the project's VM a client that writes while the previous client's
                        // output still exists ran up to 2x slower, whichever it was (docs/performance.md, Finding 11).
                        if (!o.Keep)
                        {
                            TryDelete(dir);
                        }
                    }

                    string check = Verify(digests, o.Records, out bool mismatch);
                    verification = round == 1 || verification == "OK" ? check : verification;
                    Console.WriteLine($"   round {round} verification: {check}");
                    if (mismatch)
                    {
                        exit = 2;
                    }

                    if (pair.TryGetValue("baseline", out var a) && pair.TryGetValue("generated", out var b) && a.Report.Status == "ok" && b.Report.Status == "ok")
                    {
                        ratios.Add(Rate(b) / Rate(a));
                    }

                    foreach (var (against, list) in passthroughRatios)
                    {
                        if (pair.TryGetValue(against, out var c) && pair.TryGetValue("passthrough", out var d) && c.Report.Status == "ok" && d.Report.Status == "ok")
                        {
                            list.Add(Rate(d) / Rate(c));
                            Console.WriteLine($"   round {round} passthrough/{against}: {Rate(d) / Rate(c):0.000}");
                        }
                    }
                }

                var summary = Summarize(scenario, pageSize, o.Records, rows, ratios, verification);
                results.Summaries.Add(summary);
                WarnAboutDisturbedRuns(rows);
                if (ratios.Count > 0)
                {
                    Console.WriteLine($"   => baseline {summary.BaselineRecordsPerSecond:N0} rec/s, generated {summary.GeneratedRecordsPerSecond:N0} rec/s, " +
                        $"ratio generated/baseline {summary.Ratio:0.000} (per round: {string.Join(", ", ratios.Select(r => r.ToString("0.000")))}); " +
                        $"CPU s {summary.BaselineCpuSeconds:0.00} vs {summary.GeneratedCpuSeconds:0.00}; peak RSS MB {summary.BaselineRssMb:0.0} vs {summary.GeneratedRssMb:0.0}");
                }
                foreach (var (against, list) in passthroughRatios.Where(p => p.Value.Count > 0))
                {
                    double rate(string impl) => Median([.. rows.Where(r => r.Report.Impl == impl && r.Report.Status == "ok").Select(Rate)]);
                    Console.WriteLine($"   => passthrough {rate("passthrough"):N0} rec/s, {against} {rate(against):N0} rec/s, ratio passthrough/{against} {Math.Exp(list.Average(Math.Log)):0.000} " +
                        $"(per round: {string.Join(", ", list.Select(r => r.ToString("0.000")))}); passthrough CPU s {Median([.. rows.Where(r => r.Report.Impl == "passthrough" && r.Report.Status == "ok").Select(r => r.Report.CpuSeconds)]):0.00}, peak RSS MB {Median([.. rows.Where(r => r.Report.Impl == "passthrough" && r.Report.Status == "ok").Select(r => r.Report.PeakRssMb)]):0.0}");
                }
            }
        }

        PrintSummaryTable(results.Summaries, o);
        return exit;
    }

    private static async Task<int> FlatnessAsync(HarnessOptions o, string root, HarnessResults results)
    {
        string scenario = o.Scenarios[0];
        int pageSize = o.PageSizes[0];
        Console.WriteLine($"  memory flatness: {scenario}, page size {pageSize}, {string.Join(" and ", o.FlatnessRecords.Select(n => n.ToString("N0")))} records, impls {string.Join(",", o.Impls)}, {o.Rounds} round(s)");
        Console.WriteLine(RowHeader);
        var peak = new Dictionary<(string Impl, long Records), List<double>>();
        int exit = 0;
        foreach (long records in o.FlatnessRecords)
        {
            await using var server = await LoadServer.StartAsync(new LoadServerOptions { Records = records }).ConfigureAwait(false);
            server.Warm(pageSize);
            for (int round = 1; round <= o.Rounds; round++)
            {
                foreach (string impl in o.Impls)
                {
                    string dir = Path.Combine(root, $"flat-{records}-r{round}-{impl}");
                    TryDelete(dir);
                    var row = await RunChildAsync(server, round, impl, scenario, pageSize, records, dir, o).ConfigureAwait(false);
                    results.Runs.Add(row);
                    Console.WriteLine(FormatRow(row, o));
                    var digest = OutputDigest.Of(dir);
                    if (row.Report.Status != "ok" || digest.Lines != records)
                    {
                        Console.WriteLine($"   {impl} FAILED: {row.Report.Error ?? $"wrote {digest.Lines:N0} lines, expected {records:N0}"}");
                        exit = 1;
                    }

                    if (!peak.TryGetValue((impl, records), out var list))
                    {
                        peak[(impl, records)] = list = [];
                    }

                    list.Add(row.Report.PeakRssMb);
                    if (!o.Keep)
                    {
                        TryDelete(dir);
                    }
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("| impl | " + string.Join(" | ", o.FlatnessRecords.Select(n => $"peak RSS MB at {n:N0}")) + " | largest / smallest |");
        Console.WriteLine("|---|" + string.Concat(o.FlatnessRecords.Select(_ => "---:|")) + "---:|");
        foreach (string impl in o.Impls)
        {
            var values = o.FlatnessRecords.Select(n => Median(peak[(impl, n)])).ToList();
            Console.WriteLine($"| {impl} | {string.Join(" | ", values.Select(v => v.ToString("0.0")))} | {values.Max() / values.Min():0.000} |");
        }

        return exit;
    }

    private static async Task<RunRow> RunChildAsync(LoadServer server, int round, string impl, string scenario, int pageSize, long records, string dir, HarnessOptions o)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            // Started as `dotnet ApiPipeline.LoadHarness.dll`: start the children the same way.
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ApiPipeline.LoadHarness.dll"));
        }

        foreach (var a in new[] { "client", "--impl", impl, "--scenario", scenario, "--page-size", pageSize.ToString(), "--records", records.ToString(), "--base-url", server.BaseUrl, "--out", dir })
        {
            psi.ArgumentList.Add(a);
        }

        if (o.MaxConcurrent > 1)
        {
            psi.ArgumentList.Add("--max-concurrent");
            psi.ArgumentList.Add(o.MaxConcurrent.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (o.RateLimit > 0)
        {
            psi.ArgumentList.Add("--rate-limit");
            psi.ArgumentList.Add(o.RateLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (o.Resilience || o.FailEvery > 0)
        {
            psi.ArgumentList.Add("--resilience");
        }


        if (o.CommitEvery > 0)
        {
            psi.ArgumentList.Add("--commit-every");
            psi.ArgumentList.Add(o.CommitEvery.ToString());
        }

        // This process is also the server: collect what the previous client's requests and digest left now, so that no collection of
        // it runs beside the next client (docs/performance.md, Finding 16).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var self = Process.GetCurrentProcess();
        var serverCpu = self.TotalProcessorTime;
        long requests = server.Requests, rejected = server.Rejected429, failed = server.Injected5xx;
        var wall = Stopwatch.StartNew();
        using var child = Process.Start(psi) ?? throw new InvalidOperationException("could not start a child process");
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(300, 60 + (records * (1 + o.LatencyMs) / 5_000.0))));
        try
        {
            await child.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync().ConfigureAwait(false);
        }

        wall.Stop();
        self.Refresh();
        string output = await stdout.ConfigureAwait(false);
        string errors = await stderr.ConfigureAwait(false);
        string? line = output.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith(ClientCommand.ResultPrefix, StringComparison.Ordinal));
        var report = line is null
            ? new ClientReport { Impl = impl, Scenario = scenario, PageSize = pageSize, Status = "failed", Error = $"no RESULT line (exit code {(child.HasExited ? child.ExitCode : -1)}): {Tail(errors + output)}" }
            : JsonSerializer.Deserialize(line[ClientCommand.ResultPrefix.Length..], ReportJson.Default.ClientReport)!;
        return new RunRow(round, report, (self.TotalProcessorTime - serverCpu).TotalSeconds, server.Requests - requests, server.Rejected429 - rejected, server.Injected5xx - failed, wall.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Names the runs of a cell whose own CPU time is far above that client's median in the cell: on the project's VM a client now
    /// and then runs 1.5–2× slower in its own CPU for no reason of its own (docs/performance.md, Finding 17), which moves that
    /// round's ratio by as much. The ratios still include such a run; the note says which cell to run again.
    /// </summary>
    private static void WarnAboutDisturbedRuns(List<RunRow> rows)
    {
        foreach (var runs in rows.Where(r => r.Report.Status == "ok").GroupBy(r => r.Report.Impl))
        {
            double median = Median([.. runs.Select(r => r.Report.RunCpuSeconds)]);
            foreach (var run in runs.Where(r => r.Report.RunCpuSeconds > DisturbedCpu * median))
            {
                Console.WriteLine($"   note: round {run.Round} {run.Report.Impl} used {run.Report.RunCpuSeconds:0.00} s of CPU, {run.Report.RunCpuSeconds / median:0.00}x its median in this cell: a disturbed run? Run the cell again before trusting its ratio.");
            }
        }
    }

    /// <summary>Checks the outputs of one round (the digests of the clients that succeeded) against each other and the record count.</summary>
    private static string Verify(Dictionary<string, OutputDigest> digests, long expected, out bool mismatch)
    {
        mismatch = false;
        var text = new StringBuilder();
        foreach (var (impl, digest) in digests)
        {
            if (digest.Lines != expected)
            {
                mismatch = true;
                text.Append($"{impl} wrote {digest.Lines:N0} lines, expected {expected:N0}; ");
            }
        }

        if (digests.Count >= 2 && !(digests.ContainsKey("baseline") && digests.ContainsKey("generated")))
        {
            // Passthrough impls (issue 9): every client must land the same lines (the server's records are compact).
            var first = digests.First();
            foreach (var (impl, digest) in digests.Skip(1))
            {
                if (first.Value != digest with { Files = first.Value.Files })
                {
                    mismatch = true;
                    text.Append($"MISMATCH {first.Key} [{first.Value}] vs {impl} [{digest}]; ");
                }
            }

            if (!mismatch)
            {
                text.Append($"OK, same records ({first.Value}; {string.Join(", ", digests.Keys)})");
            }
        }
        else if (digests.Count >= 2)
        {
            var (a, b) = (digests["baseline"], digests["generated"]);
            foreach (var (impl, digest) in digests.Where(d => d.Key is not ("baseline" or "generated")))
            {
                if (a != digest with { Files = a.Files })
                {
                    mismatch = true;
                    text.Append($"MISMATCH baseline [{a}] vs {impl} [{digest}]; ");
                }
            }

            if (a != b with { Files = a.Files })
            {
                mismatch = true;
                text.Append($"MISMATCH baseline [{a}] vs generated [{b}]");
            }
            else if (!mismatch)
            {
                text.Append($"OK, same records ({a}; generated wrote {b.Files} file(s))");
            }
        }
        else if (digests.Count == 1 && !mismatch)
        {
            text.Append($"OK ({digests.Values.First()}; only one client ran successfully)");
        }
        else if (digests.Count == 0)
        {
            text.Append("nothing to verify (no client succeeded)");
        }

        return mismatch ? "MISMATCH: " + text.ToString() : text.ToString();
    }

    private static ScenarioSummary Summarize(string scenario, int pageSize, long records, List<RunRow> rows, List<double> ratios, string verification)
    {
        double Med(string impl, Func<RunRow, double> f) => Median([.. rows.Where(r => r.Report.Impl == impl && r.Report.Status == "ok").Select(f)]);
        double ratio = ratios.Count == 0 ? double.NaN : Math.Exp(ratios.Average(Math.Log));
        return new ScenarioSummary(scenario, pageSize, records,
            Med("baseline", Rate), Med("generated", Rate), ratio,
            Med("baseline", r => r.Report.CpuSeconds), Med("generated", r => r.Report.CpuSeconds),
            Med("baseline", r => r.Report.PeakRssMb), Med("generated", r => r.Report.PeakRssMb),
            verification);
    }

    private static void PrintSummaryTable(List<ScenarioSummary> summaries, HarnessOptions o)
    {
        summaries = [.. summaries.Where(s => !double.IsNaN(s.Ratio))];
        if (summaries.Count == 0)
        {
            return; // no baseline/generated pair ran (e.g. --impls rawbaseline,passthrough): the per-cell lines above are the result
        }

        Console.WriteLine();
        Console.WriteLine($"Summary ({Runtime}, {o.Records:N0} records, medians of {o.Rounds} round(s); ratio = geometric mean of the per-round generated/baseline ratios)");
        Console.WriteLine("| scenario | page size | baseline rec/s | generated rec/s | ratio | baseline CPU s | generated CPU s | baseline RSS MB | generated RSS MB | RSS ratio | verified |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var s in summaries)
        {
            Console.WriteLine($"| {s.Scenario} | {s.PageSize} | {s.BaselineRecordsPerSecond:N0} | {s.GeneratedRecordsPerSecond:N0} | {s.Ratio:0.000} | {s.BaselineCpuSeconds:0.00} | {s.GeneratedCpuSeconds:0.00} | {s.BaselineRssMb:0.0} | {s.GeneratedRssMb:0.0} | {s.GeneratedRssMb / s.BaselineRssMb:0.00} | {(s.Verification.StartsWith("OK", StringComparison.Ordinal) ? "yes" : s.Verification)} |");
        }
    }

    private const string RowHeader = "   round impl        status   records/s   elapsed s   CPU s (run)   peak RSS MB   alloc B/rec   gen0/1/2      JIT s   server CPU s   requests   429s   503s";

    private static string FormatRow(RunRow r, HarnessOptions o)
    {
        var c = r.Report;
        double perRecord = c.Records > 0 ? c.AllocatedBytes / (double)c.Records : 0;
        string line = $"   {r.Round,5} {c.Impl,-11} {c.Status,-7} {Rate(r),10:N0} {c.ElapsedSeconds,11:0.000} {c.CpuSeconds,6:0.00} ({c.RunCpuSeconds,5:0.00}) {c.PeakRssMb,12:0.0} {perRecord,13:N0}   {c.Gen0 + "/" + c.Gen1 + "/" + c.Gen2,-12} {c.JitSeconds,6:0.00} {r.ServerCpuSeconds,13:0.00} {r.ServerRequests,10:N0} {r.Server429,6} {r.Server5xx,6}";
        if (o.RateLimit > 0 && c.ElapsedSeconds > 0)
        {
            line += $"   achieved {r.ServerRequests / c.ElapsedSeconds:0.0} req/s ({r.ServerRequests / c.ElapsedSeconds / o.RateLimit:0.000} of the limit)";
        }

        return line;
    }

    private static double Rate(RunRow r) => r.Report.ElapsedSeconds > 0 ? r.Report.Records / r.Report.ElapsedSeconds : 0;

    private static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Tail(string text) => text.Length <= 2000 ? text.Trim() : "…" + text[^2000..].Trim();

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
