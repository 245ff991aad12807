using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ApiPipeline.Hosting;

/// <summary>
/// Settings of hosted pipeline runs, bound from the <c>ApiPipeline</c> section of <see cref="IConfiguration"/> (appsettings.json,
/// environment variables <c>ApiPipeline__Extractors__GitHubIssues__BaseUrl</c>, …):
/// <code>
/// "ApiPipeline": {
///   "Output": "out",                               // root folder of JSONL datasets
///   "State": "out/.state/apipipeline.db",          // SQLite state file (watermarks, checkpoints, chain state)
///   "Defaults": { "RequestsPerSecond": 10 },       // every extractor
///   "Extractors": {
///     "GitHubIssues": {
///       "BaseUrl": "https://api.github.com", "PageSize": 100, "MaxRetries": 5, "BaseDelay": "500ms", "Timeout": "30s",
///       "RequestsPerSecond": 5, "MaxConcurrent": 2, "OnError": "Continue", "ConditionalRequests": true,
///       "Headers": { "X-GitHub-Api-Version": "2022-11-28" },
///       "Input": { "owner": "dotnet", "repo": "runtime" }
///     }
///   },
///   "Credentials": { "GITHUB_TOKEN": "…" },        // secret name → value (else environment variables)
///   "Schedules": { "issues-hourly": { "Pipeline": "GitHubIssues", "Every": "1h" } }
/// }
/// </code>
/// Binding is hand-written (no reflection), so it works under Native AOT.
/// </summary>
public sealed class ApiPipelineOptions
{
    /// <summary>The configuration section read by default: <c>ApiPipeline</c>.</summary>
    public const string SectionName = "ApiPipeline";

    /// <summary>The root folder of outputs. Default <c>out</c>.</summary>
    public string Output { get; set; } = "out";

    /// <summary>The SQLite state file; <see langword="null"/> for <c>&lt;Output&gt;/.state/apipipeline.db</c>.</summary>
    public string? State { get; set; }

    /// <summary>Settings every extractor gets (an extractor's own entry in <see cref="Extractors"/> wins per setting).</summary>
    public ExtractorSettings Defaults { get; set; } = new();

    /// <summary>Settings per extractor, chain or pipeline name.</summary>
    public Dictionary<string, ExtractorSettings> Extractors { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Secret values by name (ignoring case, as configuration keys do); looked up before environment variables.</summary>
    public Dictionary<string, string> Credentials { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Scheduled runs for <see cref="PipelineScheduler"/>, by id.</summary>
    public Dictionary<string, ScheduleSettings> Schedules { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The state file in force.</summary>
    public string StatePath => State ?? Path.Combine(Output, ".state", "apipipeline.db");

    /// <summary>The settings of <paramref name="name"/>: its entry over <see cref="Defaults"/>.</summary>
    /// <param name="name">An extractor, chain or pipeline name.</param>
    public ExtractorSettings For(string name)
        => Extractors.TryGetValue(name, out var own) ? own.Over(Defaults) : Defaults;

    /// <summary>Reads every setting present in <paramref name="section"/> (the <c>ApiPipeline</c> section) into these options.</summary>
    /// <param name="section">The section.</param>
    public void Bind(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        Output = section["Output"] ?? Output;
        State = section["State"] ?? State;
        var defaults = section.GetSection("Defaults");
        if (defaults.Exists())
        {
            Defaults = ExtractorSettings.Read(defaults).Over(Defaults);
        }

        foreach (var child in section.GetSection("Extractors").GetChildren())
        {
            Extractors[child.Key] = Extractors.TryGetValue(child.Key, out var existing) ? ExtractorSettings.Read(child).Over(existing) : ExtractorSettings.Read(child);
        }

        foreach (var child in section.GetSection("Credentials").GetChildren())
        {
            if (child.Value is { } value)
            {
                Credentials[child.Key] = value;
            }
        }

        foreach (var child in section.GetSection("Schedules").GetChildren())
        {
            Schedules[child.Key] = ScheduleSettings.Read(child);
        }
    }
}

/// <summary>Run-time settings of one extractor (or of every extractor of a chain), each optional: what is not set keeps the attribute's value.</summary>
public sealed record ExtractorSettings
{
    /// <summary>Replaces the base URL.</summary>
    public string? BaseUrl { get; init; }

    /// <summary>Records per request.</summary>
    public int? PageSize { get; init; }

    /// <summary>The most pages per input.</summary>
    public int? MaxPages { get; init; }

    /// <summary>The most records per input.</summary>
    public long? MaxRecords { get; init; }

    /// <summary>Token-bucket rate (requests per second).</summary>
    public double? RequestsPerSecond { get; init; }

    /// <summary>Token-bucket burst.</summary>
    public int? Burst { get; init; }

    /// <summary>Requests in flight per host.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Retries after the first attempt (0 = none).</summary>
    public int? MaxRetries { get; init; }

    /// <summary>The first retry delay.</summary>
    public TimeSpan? BaseDelay { get; init; }

    /// <summary>The longest backoff delay.</summary>
    public TimeSpan? MaxDelay { get; init; }

    /// <summary>The longest <c>Retry-After</c> waited for.</summary>
    public TimeSpan? MaxRetryAfter { get; init; }

    /// <summary>The per-attempt timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The total timeout of one page over its attempts.</summary>
    public TimeSpan? TotalTimeout { get; init; }

    /// <summary>What a page or input still failing after retries does.</summary>
    public ErrorMode? OnError { get; init; }

    /// <summary>
    /// Whether the extractor sends conditional requests (<see cref="ExtractorOptions.ConditionalRequests"/>): <see langword="true"/> turns
    /// them on for an extractor without <see cref="ConditionalRequestsAttribute"/>, <see langword="false"/> off for one with it.
    /// </summary>
    public bool? ConditionalRequests { get; init; }

    /// <summary>Extra request headers.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The input of runs that give none on the command line, member name → text (<c>owner: dotnet</c>).</summary>
    public IReadOnlyDictionary<string, string>? Input { get; init; }

    /// <summary>These settings, with those not set taken from <paramref name="fallback"/>.</summary>
    /// <param name="fallback">The settings underneath.</param>
    public ExtractorSettings Over(ExtractorSettings fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        return new ExtractorSettings
        {
            BaseUrl = BaseUrl ?? fallback.BaseUrl,
            PageSize = PageSize ?? fallback.PageSize,
            MaxPages = MaxPages ?? fallback.MaxPages,
            MaxRecords = MaxRecords ?? fallback.MaxRecords,
            RequestsPerSecond = RequestsPerSecond ?? fallback.RequestsPerSecond,
            Burst = Burst ?? fallback.Burst,
            MaxConcurrent = MaxConcurrent ?? fallback.MaxConcurrent,
            MaxRetries = MaxRetries ?? fallback.MaxRetries,
            BaseDelay = BaseDelay ?? fallback.BaseDelay,
            MaxDelay = MaxDelay ?? fallback.MaxDelay,
            MaxRetryAfter = MaxRetryAfter ?? fallback.MaxRetryAfter,
            Timeout = Timeout ?? fallback.Timeout,
            TotalTimeout = TotalTimeout ?? fallback.TotalTimeout,
            OnError = OnError ?? fallback.OnError,
            ConditionalRequests = ConditionalRequests ?? fallback.ConditionalRequests,
            Headers = Merge(fallback.Headers, Headers),
            Input = Merge(fallback.Input, Input),
        };
    }

    /// <summary>Applies the settings to the extractor options of a registration whose attributes say <paramref name="resilience"/>.</summary>
    /// <param name="options">The options to change.</param>
    /// <param name="resilience">The attributes' resilience settings.</param>
    public ExtractorOptions ApplyTo(ExtractorOptions options, ResilienceOptions resilience)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resilience);
        options = options with
        {
            BaseUrl = BaseUrl ?? options.BaseUrl,
            PageSize = PageSize ?? options.PageSize,
            MaxPages = MaxPages ?? options.MaxPages,
            MaxRecords = MaxRecords ?? options.MaxRecords,
            ConditionalRequests = ConditionalRequests ?? options.ConditionalRequests,
            Headers = Merge(options.Headers, Headers),
        };

        bool changed = false;
        if (RequestsPerSecond is not null || Burst is not null || MaxConcurrent is not null)
        {
            var limit = resilience.RateLimit ?? new RateLimitOptions();
            resilience = resilience with
            {
                RateLimit = limit with
                {
                    RequestsPerSecond = RequestsPerSecond ?? limit.RequestsPerSecond,
                    Burst = Burst ?? limit.Burst,
                    MaxConcurrent = MaxConcurrent ?? limit.MaxConcurrent,
                },
            };
            changed = true;
        }

        if (MaxRetries is not null || BaseDelay is not null || MaxDelay is not null || MaxRetryAfter is not null)
        {
            var retry = resilience.Retry ?? new RetryOptions();
            resilience = resilience with
            {
                Retry = retry with
                {
                    MaxRetries = MaxRetries ?? retry.MaxRetries,
                    BaseDelay = BaseDelay ?? retry.BaseDelay,
                    MaxDelay = MaxDelay ?? retry.MaxDelay,
                    MaxRetryAfter = MaxRetryAfter ?? retry.MaxRetryAfter,
                },
            };
            changed = true;
        }

        if (Timeout is not null || TotalTimeout is not null)
        {
            var timeout = resilience.Timeout ?? new TimeoutOptions();
            resilience = resilience with { Timeout = timeout with { PerAttempt = Timeout ?? timeout.PerAttempt, Total = TotalTimeout ?? timeout.Total } };
            changed = true;
        }

        if (OnError is { } mode)
        {
            resilience = resilience with { OnError = mode };
            changed = true;
        }

        return changed ? options with { Resilience = resilience } : options;
    }

    internal static ExtractorSettings Read(IConfiguration section) => new()
    {
        BaseUrl = section["BaseUrl"] is { } baseUrl ? Parse(section, "BaseUrl", baseUrl, AbsoluteHttpUrl, url: true) : null,
        PageSize = Int(section, "PageSize"),
        MaxPages = Int(section, "MaxPages"),
        MaxRecords = Long(section, "MaxRecords"),
        RequestsPerSecond = section["RequestsPerSecond"] is { } rps ? Parse(section, "RequestsPerSecond", rps, static t => NotNegative(double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture), 0d)) : null,
        Burst = Int(section, "Burst"),
        MaxConcurrent = Int(section, "MaxConcurrent"),
        MaxRetries = Int(section, "MaxRetries"),
        BaseDelay = Span(section, "BaseDelay"),
        MaxDelay = Span(section, "MaxDelay"),
        MaxRetryAfter = Span(section, "MaxRetryAfter"),
        Timeout = Span(section, "Timeout"),
        TotalTimeout = Span(section, "TotalTimeout"),
        OnError = section["OnError"] is { } mode ? Parse(section, "OnError", mode, ParseErrorMode) : null,
        ConditionalRequests = section["ConditionalRequests"] is { } conditional ? Parse(section, "ConditionalRequests", conditional, static t => bool.TryParse(t, out bool on) ? on : throw new FormatException("expected true or false.")) : null,
        Headers = Map(section.GetSection("Headers")),
        Input = Map(section.GetSection("Input")),
    };

    /// <summary>Parses an error mode: <c>FailFast</c>, <c>fail_fast</c>, <c>Continue</c>, <c>Skip</c>, <c>DeadLetter</c>, <c>dead-letter</c>.</summary>
    /// <param name="text">The text.</param>
    public static ErrorMode ParseErrorMode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToUpperInvariant() switch
        {
            "FAILFAST" => ErrorMode.FailFast,
            "CONTINUE" => ErrorMode.Continue,
            "SKIP" => ErrorMode.Skip,
            "DEADLETTER" => ErrorMode.DeadLetter,
            _ => throw new FormatException($"'{text}' is not an error mode; use FailFast, Continue, Skip or DeadLetter."),
        };
    }

    private static IReadOnlyDictionary<string, string>? Merge(IReadOnlyDictionary<string, string>? under, IReadOnlyDictionary<string, string>? over)
    {
        if (under is null || over is null)
        {
            return over ?? under;
        }

        var merged = new Dictionary<string, string>(under, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in over)
        {
            merged[key] = value;
        }

        return merged;
    }

    private static Dictionary<string, string>? Map(IConfigurationSection section)
    {
        var children = section.GetChildren().Where(c => c.Value is not null).ToList();
        return children.Count == 0 ? null : children.ToDictionary(c => c.Key, c => c.Value!, StringComparer.OrdinalIgnoreCase);
    }

    // Every number and duration of these settings is a count, a rate or a wait: a negative one is refused here, naming its key, rather
    // than at each run.
    private static int? Int(IConfiguration section, string key)
        => section[key] is { } text ? Parse(section, key, text, static t => NotNegative(int.Parse(t, NumberStyles.Integer, CultureInfo.InvariantCulture), 0)) : null;

    private static long? Long(IConfiguration section, string key)
        => section[key] is { } text ? Parse(section, key, text, static t => NotNegative(long.Parse(t, NumberStyles.Integer, CultureInfo.InvariantCulture), 0L)) : null;

    private static TimeSpan? Span(IConfiguration section, string key)
        => section[key] is { } text ? Parse(section, key, text, static t => NotNegative(ParseDuration(t), TimeSpan.Zero)) : null;

    /// <summary>A base URL as <see cref="BaseUrls"/> allows it; the message shows it redacted.</summary>
    private static string AbsoluteHttpUrl(string text)
        => BaseUrls.Problem(text) is { } problem ? throw new FormatException($"it {problem}.") : text;

    private static T NotNegative<T>(T value, T zero)
        where T : IComparable<T>
        => value.CompareTo(zero) >= 0 ? value : throw new FormatException($"it must be 0 or more, not {value}.");

    /// <summary>A duration as <see cref="Duration.Parse"/> reads it (<c>30s</c>, <c>1h30m</c>), or as a <see cref="TimeSpan"/> (<c>00:00:30</c>).</summary>
    internal static TimeSpan ParseDuration(string text)
        => text.Contains(':', StringComparison.Ordinal) ? TimeSpan.Parse(text, CultureInfo.InvariantCulture) : Duration.Parse(text);

    private static T Parse<T>(IConfiguration section, string key, string text, Func<string, T> parse, bool url = false)
    {
        try
        {
            return parse(text);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            string path = section is IConfigurationSection s ? s.Path + ":" + key : key;
            throw new FormatException($"Configuration '{path}' = '{(url ? UrlRedactor.Redact(text) : text)}': {ex.Message}", ex);
        }
    }
}

/// <summary>One scheduled run of <see cref="PipelineScheduler"/>.</summary>
public sealed record ScheduleSettings
{
    /// <summary>The extractor, chain, or pipeline/chain YAML file to run.</summary>
    public required string Pipeline { get; init; }

    /// <summary>The time between the end of one run and the start of the next; longer than zero (<see cref="PipelineScheduler"/> refuses others).</summary>
    public TimeSpan Every { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Whether the first run starts at once (default) or after <see cref="Every"/>.</summary>
    public bool RunOnStart { get; init; } = true;

    /// <summary>The input, member name → text; default: the extractor's configured <see cref="ExtractorSettings.Input"/>.</summary>
    public IReadOnlyDictionary<string, string>? Input { get; init; }

    internal static ScheduleSettings Read(IConfigurationSection section)
    {
        string pipeline = section["Pipeline"] ?? section.Key;
        return new ScheduleSettings
        {
            Pipeline = pipeline,
            Every = section["Every"] is { } every ? Interval(section, every) : TimeSpan.FromHours(1),
            RunOnStart = section["RunOnStart"] is not { } start || (bool.TryParse(start, out bool yes)
                ? yes
                : throw new FormatException($"Configuration '{section.Path}:RunOnStart' = '{start}': expected true or false.")),
            Input = section.GetSection("Input").GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!, StringComparer.OrdinalIgnoreCase) is { Count: > 0 } input ? input : null,
        };
    }

    private static TimeSpan Interval(IConfigurationSection section, string text)
    {
        TimeSpan every;
        try
        {
            every = ExtractorSettings.ParseDuration(text);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw new FormatException($"Configuration '{section.Path}:Every' = '{text}': {ex.Message}", ex);
        }

        return every > TimeSpan.Zero ? every : throw new FormatException($"Configuration '{section.Path}:Every' = '{text}': a schedule runs again after a time longer than zero, e.g. \"1h\".");
    }
}
