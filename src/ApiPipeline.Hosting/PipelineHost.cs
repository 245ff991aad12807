using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace ApiPipeline.Hosting;

/// <summary>Process exit codes of the command-line host.</summary>
public static class ExitCodes
{
    /// <summary>Everything succeeded.</summary>
    public const int Success = 0;

    /// <summary>The run failed (or was cancelled), or a file is invalid.</summary>
    public const int Failure = 1;

    /// <summary>The run went to the end but some pages or inputs failed and were skipped.</summary>
    public const int PartialSuccess = 2;

    /// <summary>The command line is wrong (BSD <c>EX_USAGE</c>): unknown command or option, unknown pipeline, bad input.</summary>
    public const int UsageError = 64;
}

/// <summary>Settings of <see cref="PipelineHost"/>; every one is optional.</summary>
public sealed class PipelineHostOptions
{
    /// <summary>Where normal output goes. Default <see cref="Console.Out"/>.</summary>
    public TextWriter? Out { get; set; }

    /// <summary>Where errors go. Default <see cref="Console.Error"/>.</summary>
    public TextWriter? Error { get; set; }

    /// <summary>Configuration (the <c>ApiPipeline</c> section is bound). Default: <c>appsettings.json</c> in the current folder, then environment variables.</summary>
    public IConfiguration? Configuration { get; set; }

    /// <summary>Changes the settings after they were bound from configuration.</summary>
    public Action<ApiPipelineOptions>? Configure { get; set; }

    /// <summary>Where logs go. Default: the console (single lines; warnings and errors only while live progress is shown).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>How <c>run</c> shows progress when <c>--progress</c> is not given. Default <see cref="ProgressMode.Auto"/>.</summary>
    public ProgressMode Progress { get; set; } = ProgressMode.Auto;

    /// <summary>The client per extractor name. Default: the shared one.</summary>
    public Func<string, HttpClient?>? HttpClients { get; set; }

    /// <summary>The clock. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }
}

/// <summary>
/// The command-line host: a program's whole <c>Program.cs</c> can be
/// <c>return await PipelineHost.RunAsync(args);</c>. Commands:
/// <list type="bullet">
/// <item><c>run &lt;pipeline|chain|file.yaml&gt; [--input name=value]… [--from T] [--to T] [--output DIR] [--state FILE] [--base-url URL] [--progress auto|live|plain|none]</c></item>
/// <item><c>list</c>: the extractors, chains and output types of the registry</item>
/// <item><c>state show|reset &lt;pipeline|chain&gt; [--state FILE] [--output DIR]</c></item>
/// <item><c>replay &lt;dead-letter file&gt; [--output DIR] [--base-url URL] [--state FILE]</c></item>
/// <item><c>validate &lt;file.yaml&gt;</c></item>
/// </list>
/// Exit codes (<see cref="ExitCodes"/>): 0 success, 2 partial success, 1 failure, 64 usage error.
/// </summary>
public static class PipelineHost
{
    /// <summary>
    /// Parses <paramref name="args"/>, runs the command over every extractor and chain of the application (each assembly registers its
    /// generated registry when it loads) and returns the process exit code: <c>return await PipelineHost.RunAsync(args);</c>
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="configure">Changes the host's settings.</param>
    /// <param name="cancellationToken">Cancels the command (Ctrl+C does too).</param>
    public static Task<int> RunAsync(string[] args, Action<PipelineHostOptions>? configure = null, CancellationToken cancellationToken = default)
        => RunAsync(args, ComponentRegistry.Registered, configure, cancellationToken);

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the process exit code.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="registry">The extractors and chains: <c>ApiPipeline.Generated.ApiPipelineRegistry.Instance</c> (or several, <see cref="ComponentRegistry.Combine"/>).</param>
    /// <param name="configure">Changes the host's settings.</param>
    /// <param name="cancellationToken">Cancels the command (Ctrl+C does too).</param>
    public static async Task<int> RunAsync(string[] args, ComponentRegistry registry, Action<PipelineHostOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(registry);
        var options = new PipelineHostOptions();
        configure?.Invoke(options);
        var output = options.Out ?? Console.Out;
        var error = options.Error ?? Console.Error;

        var root = BuildCommand(registry, options);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors)
            {
                await error.WriteLineAsync(problem.Message).ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run with --help for the commands and options.").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or ArgumentException or InvalidOperationException or StateStoreException)
        {
            // What the commands do not handle themselves (a settings file that is not JSON, a folder that is a file): its message, not
            // a stack trace. Anything else is a bug and shows as one.
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    /// <summary>The root command with every subcommand, for hosts that add their own commands.</summary>
    /// <param name="registry">The extractors and chains.</param>
    /// <param name="options">The host's settings.</param>
    public static RootCommand BuildCommand(ComponentRegistry registry, PipelineHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var host = new Commands(registry, options ?? new PipelineHostOptions());
        var root = new RootCommand("Runs the API extraction pipelines and chains of this program.")
        {
            host.Run(),
            host.List(),
            host.State(),
            host.Replay(),
            host.Validate(),
        };
        return root;
    }

    /// <summary>The settings bound from configuration, with <see cref="PipelineHostOptions.Configure"/> applied.</summary>
    internal static ApiPipelineOptions Settings(PipelineHostOptions host)
    {
        var configuration = host.Configuration ?? new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .Build();
        var settings = new ApiPipelineOptions();
        settings.Bind(configuration.GetSection(ApiPipelineOptions.SectionName));
        host.Configure?.Invoke(settings);
        return settings;
    }

    /// <summary>
    /// Checks a base URL given on the command line: an absolute http(s) URL is taken as it is; anything else (<c>127.0.0.1:5055</c>,
    /// <c>api.example.com</c>, <c>ftp://…</c>) is refused with an example of the form to give, secrets redacted, and so is one with a
    /// user name or password.
    /// </summary>
    internal static string? BaseUrl(string? text)
    {
        if (text is null || BaseUrls.Problem(text) is not { } problem)
        {
            return text;
        }

        string shown = UrlRedactor.Redact(text);
        int scheme = shown.IndexOf("://", StringComparison.Ordinal);
        throw new InputBindingException(problem == BaseUrls.NotHttp
            ? $"--base-url '{shown}' {problem}: give it with its scheme, e.g. --base-url http://{(scheme < 0 ? shown : shown[(scheme + 3)..])}."
            : $"--base-url '{shown}' {problem}.");
    }

    /// <summary>
    /// The ISO 8601 forms a point in time may take on the command line: a date, or a date and time (to the minute, second or a
    /// fraction of it) with an optional offset (<c>Z</c>, <c>+02:00</c>, <c>+0200</c>, <c>+02</c>).
    /// </summary>
    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mmzz",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzz",
    ];

    /// <summary>
    /// The range given with <c>--from</c> and <c>--to</c>, each parsed by <see cref="RangeValue"/>. The end is exclusive, so a range whose
    /// start is not before its end (reversed, or empty) holds nothing and is refused rather than run to an empty success.
    /// </summary>
    internal static (WatermarkValue? From, WatermarkValue? To) Range(string? from, string? to)
    {
        var start = RangeValue(from, "--from");
        var end = RangeValue(to, "--to");
        if (start is { } first && end is { } last && first.Kind == last.Kind && first >= last)
        {
            throw new InputBindingException($"--from must be before --to, but --from {from} is {(first == last ? "the same as" : "after")} --to {to}: the range runs from --from up to, not including, --to.");
        }

        return (start, end);
    }

    /// <summary>
    /// Parses an end of a range given on the command line: a whole number (<c>1000</c>, <c>-5</c>) is a number; anything else must be
    /// a date or date-time in ISO 8601 (<c>2026-01-01</c>, <c>2026-01-01T12:00</c>, <c>2026-01-01T12:00:00Z</c>,
    /// <c>2026-01-01T12:00:00.5+02:00</c>), UTC unless an offset is given. Other text (<c>1.5</c>, <c>3/4</c>, <c>12:00</c>) is refused,
    /// not guessed at.
    /// </summary>
    internal static WatermarkValue? RangeValue(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number))
        {
            return number;
        }

        return DateTimeOffset.TryParseExact(text, IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : throw new InputBindingException($"{option} '{text}' is neither a whole number nor an ISO 8601 date or date-time: give a whole number for a numeric watermark (e.g. {option} 1000), or a date or date-time such as {option} 2026-03-01 or {option} 2026-03-01T12:00:00Z (UTC unless an offset is given).");
    }
}
