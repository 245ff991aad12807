using System.Globalization;

namespace ApiPipeline.LoadHarness;

/// <summary>A bad command line.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The parent's command line.</summary>
internal sealed record HarnessOptions
{
    public const string Help = """
        ApiPipeline load harness: hand-written optimal baseline vs the generated pipeline, each run as a child process, A/B then B/A.

          dotnet run -c Release --project benchmarks/ApiPipeline.LoadHarness -- [options]

          --records N          records per run (default 1000000)
          --scenarios LIST     cursor,offset,link,since (default cursor,offset,link)
          --page-sizes LIST    records per page (default 100,1000)
          --rounds N           rounds per scenario and page size (default 2), in A/B then B/A order
          --impls LIST         baseline,generated (default both, in that order each round); also rawbaseline (hand-written
                               passthrough) and passthrough (generated RawRecord<IssueKeys> pipeline), issue 9
          --latency-ms N       server latency added to every response (default 0)
          --rate-limit R       server accepts R requests/s, answers 429 + Retry-After above it (default off)
          --fail-every K       server answers every Kth request with 503 (default off)
          --pretty             server pretty-prints its pages (indented): passthrough clients must compact every record
          --commit-every N     generated pipeline commits every N records (default 0: once, at the end, like the baseline)
          --max-concurrent N   the generated extractors fetch up to N pages at a time (page-number and offset styles)
          --warmup N           rounds of every client before the first measured cell, not counted (default 1; 0 to skip)
          --resilience         give the generated extractors the baseline's retry policy even without --rate-limit/--fail-every
                               (with --rate-limit/--fail-every they always get it, plus a client-side limit of R requests/s)
          --quick              preset: 50000 records, cursor,offset,link, page sizes 100,1000, 2 rounds (under a minute; a smoke
                               check: at this size JIT warm-up dominates, use 1M records for the targets)
          --flatness           memory flatness: the generated client (and --impls) at --flatness-records on the first scenario/page size
          --flatness-records L default 1000000,5000000
          --out DIR            where the clients write (default: a temp folder; each client's output is checked and deleted
                               before the next client starts)
          --keep               keep the clients' output (later clients then write while earlier output exists, which ran
                               up to 2x slower on the project's VM: do not compare timings taken with --keep)
          --json FILE          also write every result as JSON

          client --impl baseline|generated|rawbaseline|passthrough --scenario S --page-size P --records N --base-url URL --out DIR [--rate-limit R] [--commit-every N] [--resilience]
          serve [--records N] [--latency-ms N] [--rate-limit R] [--fail-every K] [--pretty] [--seconds S]

        Exit code: 0 when every run succeeded and every pair of outputs holds the same records; 2 on a mismatch; 1 when a client failed.
        """;

    public long Records { get; init; } = 1_000_000;

    public IReadOnlyList<string> Scenarios { get; init; } = ["cursor", "offset", "link"];

    public IReadOnlyList<int> PageSizes { get; init; } = [100, 1000];

    public int Rounds { get; init; } = 2;

    public IReadOnlyList<string> Impls { get; init; } = ["baseline", "generated"];

    public int LatencyMs { get; init; }

    public double RateLimit { get; init; }

    public int FailEvery { get; init; }

    public bool Pretty { get; init; }

    public int MaxConcurrent { get; init; }

    /// <summary>Rounds of every client run before the first measured cell and not counted (the first run after start is slower).</summary>
    public int Warmup { get; init; } = 1;

    public long CommitEvery { get; init; }

    public bool Resilience { get; init; }

    public bool Flatness { get; init; }

    public IReadOnlyList<long> FlatnessRecords { get; init; } = [1_000_000, 5_000_000];

    public string? OutputDirectory { get; init; }

    public bool Keep { get; init; }

    public string? JsonFile { get; init; }

    public string CommandLine { get; init; } = "";

    public static HarnessOptions Parse(string[] args)
    {
        var o = new HarnessOptions { CommandLine = string.Join(' ', args) };
        bool flatnessImplsGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--records": o = o with { Records = ParseLong(Value()) }; break;
                case "--scenarios": o = o with { Scenarios = List(Value(), s => s is "cursor" or "offset" or "link" or "since" ? s : throw new UsageException($"unknown scenario '{s}'")) }; break;
                case "--page-sizes": o = o with { PageSizes = List(Value(), s => (int)ParseLong(s)) }; break;
                case "--rounds": o = o with { Rounds = (int)ParseLong(Value()) }; break;
                case "--impls": o = o with { Impls = List(Value(), s => s is "baseline" or "generated" or "rawbaseline" or "passthrough" ? s : throw new UsageException($"unknown impl '{s}'")) }; flatnessImplsGiven = true; break;
                case "--latency-ms": o = o with { LatencyMs = (int)ParseLong(Value()) }; break;
                case "--rate-limit": o = o with { RateLimit = double.Parse(Value(), CultureInfo.InvariantCulture) }; break;
                case "--fail-every": o = o with { FailEvery = (int)ParseLong(Value()) }; break;
                case "--pretty": o = o with { Pretty = true }; break;
                case "--max-concurrent": o = o with { MaxConcurrent = (int)ParseLong(Value()) }; break;
                case "--warmup": o = o with { Warmup = (int)ParseLong(Value()) }; break;
                case "--commit-every": o = o with { CommitEvery = ParseLong(Value()) }; break;
                case "--resilience": o = o with { Resilience = true }; break;
                case "--quick": o = o with { Records = 50_000, Scenarios = ["cursor", "offset", "link"], PageSizes = [100, 1000], Rounds = 2 }; break;
                case "--flatness": o = o with { Flatness = true }; break;
                case "--flatness-records": o = o with { FlatnessRecords = List(Value(), ParseLong) }; break;
                case "--out": o = o with { OutputDirectory = Value() }; break;
                case "--keep": o = o with { Keep = true }; break;
                case "--json": o = o with { JsonFile = Value() }; break;
                default: throw new UsageException($"unknown option '{args[i]}'");
            }
        }

        if (o.Flatness && !flatnessImplsGiven)
        {
            o = o with { Impls = ["generated"] };
        }

        if (o.Records <= 0 || o.Rounds <= 0 || o.PageSizes.Any(p => p <= 0) || o.Scenarios.Count == 0 || o.Impls.Count == 0)
        {
            throw new UsageException("records, rounds and page sizes must be positive; scenarios and impls must not be empty");
        }

        return o;
    }

    public static long ParseLong(string text)
        => long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out long n) && n >= 0
            ? n
            : throw new UsageException($"'{text}' is not a whole number");

    private static List<T> List<T>(string text, Func<string, T> parse)
        => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse)];
}
