using System.Text.Json.Serialization;

namespace ApiPipeline.LoadHarness;

/// <summary>The input of the incremental endpoint: <c>Since</c> is sent as <c>?since=</c>.</summary>
public sealed record SinceQuery([property: Query] DateTimeOffset? Since);

/// <summary>The records' JSON, source-generated; both clients read and write through <see cref="Issue"/>'s type info.</summary>
[JsonSerializable(typeof(Issue))]
[JsonSerializable(typeof(IssueKeys))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
public sealed partial class HarnessJson : JsonSerializerContext;

/// <summary>
/// The fields the passthrough pipeline reads from each issue (key and watermark); the rest lands as sent. A struct, so that nothing
/// is allocated per record (as docs/passthrough.md recommends).
/// </summary>
public record struct IssueKeys([property: Key] long Id, DateTimeOffset UpdatedAt);

/// <summary>What a child process reports, as one machine-readable line.</summary>
public sealed record ClientReport
{
    public required string Impl { get; init; }

    public required string Scenario { get; init; }

    public int PageSize { get; init; }

    public long Records { get; init; }

    public long Pages { get; init; }

    public double ElapsedSeconds { get; init; }

    public double CpuSeconds { get; init; }

    public double RunCpuSeconds { get; init; }

    public double PeakRssMb { get; init; }

    public double GcHeapMb { get; init; }

    public long AllocatedBytes { get; init; }

    public int Gen0 { get; init; }

    /// <summary>Time the JIT spent compiling (0 under Native AOT), included in <see cref="CpuSeconds"/>.</summary>
    public double JitSeconds { get; init; }

    public long JitMethods { get; init; }

    public int Gen1 { get; init; }

    /// <summary>Work items the thread pool ran (continuations that hopped threads, timers, I/O completions).</summary>
    public long WorkItems { get; init; }

    /// <summary>Times a <c>lock</c> was contended.</summary>
    public long LockContentions { get; init; }

    public int Gen2 { get; init; }

    public long Http429 { get; init; }

    public long Retries { get; init; }

    public string Status { get; init; } = "ok";

    public string? Error { get; init; }

    public string? OutputDirectory { get; init; }
}

/// <summary>All results of a harness run, written with <c>--json</c>.</summary>
public sealed record HarnessResults(string Command, string Runtime, List<RunRow> Runs, List<ScenarioSummary> Summaries);

/// <summary>One child run as the parent saw it.</summary>
public sealed record RunRow(int Round, ClientReport Report, double ServerCpuSeconds, long ServerRequests, long Server429, long Server5xx, double WallSeconds);

/// <summary>The interleaved comparison of one scenario.</summary>
public sealed record ScenarioSummary(
    string Scenario,
    int PageSize,
    long Records,
    double BaselineRecordsPerSecond,
    double GeneratedRecordsPerSecond,
    double Ratio,
    double BaselineCpuSeconds,
    double GeneratedCpuSeconds,
    double BaselineRssMb,
    double GeneratedRssMb,
    string Verification);

[JsonSerializable(typeof(ClientReport))]
[JsonSerializable(typeof(HarnessResults))]
// A cell without a baseline/generated pair (e.g. --impls rawbaseline,passthrough) has NaN medians and ratio: written as "NaN".
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
internal sealed partial class ReportJson : JsonSerializerContext;

// The generated side: one extractor per endpoint, written by the ApiPipeline generator. The base URL is replaced at run time
// (ExtractorOptions.BaseUrl) with the loopback server's, and PageSize with the scenario's.

/// <summary><c>GET /cursor?limit=&amp;cursor=</c> → <c>{"data":[…],"next_cursor":"…"|null}</c>.</summary>
[Extractor("http://127.0.0.1", "/cursor", Json = typeof(HarnessJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next_cursor", PageSize = 100)]
public sealed partial class CursorIssues : IExtractor<NoInput, Issue>;

/// <summary><c>GET /offset?offset=&amp;limit=</c> → <c>{"total":N,"data":[…]}</c>.</summary>
[Extractor("http://127.0.0.1", "/offset", Json = typeof(HarnessJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", TotalPath = "total", PageSize = 100)]
public sealed partial class OffsetIssues : IExtractor<NoInput, Issue>;

/// <summary><c>GET /issues?per_page=&amp;page=</c> → <c>[…]</c> with a <c>Link: &lt;…&gt;; rel="next"</c> header.</summary>
[Extractor("http://127.0.0.1", "/issues", Json = typeof(HarnessJson))]
[Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
public sealed partial class LinkIssues : IExtractor<NoInput, Issue>;

/// <summary><c>GET /since?since=&amp;per_page=&amp;page=</c>: issues updated at or after <c>since</c>, oldest first, Link header pages.</summary>
[Extractor("http://127.0.0.1", "/since", Json = typeof(HarnessJson))]
[Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
public sealed partial class SinceIssues : IExtractor<SinceQuery, Issue>;

// The passthrough side (issue 9): the same endpoints, records landed as the server sent them (RawRecord<IssueKeys>).

/// <summary>Passthrough <c>/cursor</c>.</summary>
[Extractor("http://127.0.0.1", "/cursor", Json = typeof(HarnessJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next_cursor", PageSize = 100)]
public sealed partial class RawCursorIssues : IExtractor<NoInput, RawRecord<IssueKeys>>;

/// <summary>Passthrough <c>/offset</c>.</summary>
[Extractor("http://127.0.0.1", "/offset", Json = typeof(HarnessJson))]
[Paginated(Pagination.Offset, RecordsPath = "data", TotalPath = "total", PageSize = 100)]
public sealed partial class RawOffsetIssues : IExtractor<NoInput, RawRecord<IssueKeys>>;

/// <summary>Passthrough <c>/issues</c> (Link header).</summary>
[Extractor("http://127.0.0.1", "/issues", Json = typeof(HarnessJson))]
[Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
public sealed partial class RawLinkIssues : IExtractor<NoInput, RawRecord<IssueKeys>>;

/// <summary>Passthrough <c>/since</c>.</summary>
[Extractor("http://127.0.0.1", "/since", Json = typeof(HarnessJson))]
[Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
public sealed partial class RawSinceIssues : IExtractor<SinceQuery, RawRecord<IssueKeys>>;
