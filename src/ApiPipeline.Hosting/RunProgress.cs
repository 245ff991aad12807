using System.Diagnostics.Metrics;
using System.Globalization;

namespace ApiPipeline.Hosting;

/// <summary>How a run shows progress.</summary>
public enum ProgressMode
{
    /// <summary><see cref="Live"/> on an interactive terminal, <see cref="Plain"/> when output is redirected.</summary>
    Auto,

    /// <summary>One line redrawn in place (records, pages, rate, throttling).</summary>
    Live,

    /// <summary>A plain progress line every few seconds, for logs and CI.</summary>
    Plain,

    /// <summary>Nothing.</summary>
    None,
}

/// <summary>
/// Live progress of whatever runs in the process, read from ApiPipeline's own metrics with a <see cref="MeterListener"/> (so pipelines
/// and chains show the same figures dashboards do): records, pages, records/s, requests, retries, 429s and time throttled. Interactive
/// terminals get one line redrawn in place; redirected output gets a plain line every few seconds. Dispose to stop.
/// </summary>
public sealed class RunProgress : IDisposable
{
    private static readonly string[] Spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    private readonly MeterListener _listener = new();
    private readonly TextWriter _writer;
    private readonly string _title;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _records;
    private long _pages;
    private long _requests;
    private long _retries;
    private long _throttled;
    private long _waitMicros;
    private long _committed;
    private int _lastWidth;

    /// <summary>Starts showing progress.</summary>
    /// <param name="title">What runs, shown first.</param>
    /// <param name="writer">Where to write; default <see cref="Console.Out"/>.</param>
    /// <param name="mode">How; <see cref="ProgressMode.Auto"/> picks by <see cref="IsInteractive"/>.</param>
    /// <param name="interval">Time between plain lines (default 5 s); live lines redraw every 200 ms.</param>
    /// <param name="timeProvider">The clock.</param>
    public RunProgress(string title, TextWriter? writer = null, ProgressMode mode = ProgressMode.Auto, TimeSpan? interval = null, TimeProvider? timeProvider = null)
    {
        _title = title;
        _writer = writer ?? Console.Out;
        _time = timeProvider ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        Mode = mode == ProgressMode.Auto ? (IsInteractive() ? ProgressMode.Live : ProgressMode.Plain) : mode;

        _listener.InstrumentPublished = static (instrument, listener) =>
        {
            if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName && instrument.Name is ApiPipelineMetrics.Records or ApiPipelineMetrics.Pages
                or ApiPipelineMetrics.Requests or ApiPipelineMetrics.Retries or ApiPipelineMetrics.Throttled or ApiPipelineMetrics.RateLimitWaitTime or ApiPipelineMetrics.OutputRecords)
            {
                listener.EnableMeasurementEvents(instrument, null);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Add(instrument.Name, value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == ApiPipelineMetrics.RateLimitWaitTime)
            {
                Interlocked.Add(ref _waitMicros, (long)(value * 1_000_000));
            }
        });
        _listener.Start();

        var every = Mode == ProgressMode.Live ? TimeSpan.FromMilliseconds(200) : interval ?? TimeSpan.FromSeconds(5);
        _loop = Mode == ProgressMode.None ? Task.CompletedTask : LoopAsync(every, _stop.Token);
    }

    /// <summary>The mode in force.</summary>
    public ProgressMode Mode { get; }

    /// <summary>Records extracted so far.</summary>
    public long Records => Interlocked.Read(ref _records);

    /// <summary>Pages read so far.</summary>
    public long Pages => Interlocked.Read(ref _pages);

    /// <summary>Requests sent so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Retries so far.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>429 answers so far.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Time spent waiting for rate limits so far.</summary>
    public TimeSpan WaitTime => TimeSpan.FromMicroseconds(Interlocked.Read(ref _waitMicros));

    /// <summary>Records committed to outputs so far.</summary>
    public long Committed => Interlocked.Read(ref _committed);

    /// <summary>Whether standard output is an interactive terminal (not redirected, not <c>TERM=dumb</c>, not CI).</summary>
    public static bool IsInteractive()
        => !Console.IsOutputRedirected
           && Environment.GetEnvironmentVariable("TERM") is not "dumb"
           && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>The current figures on one line.</summary>
    public string Line()
    {
        double elapsed = _time.GetElapsedTime(_started).TotalSeconds;
        double rate = elapsed > 0 ? Records / elapsed : 0;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{_title}: {Records:N0} records ({rate:N0}/s), {Pages:N0} pages, {Requests:N0} requests, {Retries:N0} retries, {Throttled:N0} x 429, throttled {WaitTime.TotalSeconds:0.0} s, {elapsed:0.0} s");
    }

    /// <summary>Stops, and clears the live line.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }

        _listener.Dispose();
        _stop.Dispose();
        if (Mode == ProgressMode.Live && _lastWidth > 0)
        {
            lock (_writer)
            {
                _writer.Write("\r\u001b[2K");
                _writer.Flush();
            }
        }
    }

    private void Add(string name, long value)
    {
        switch (name)
        {
            case ApiPipelineMetrics.Records: Interlocked.Add(ref _records, value); break;
            case ApiPipelineMetrics.Pages: Interlocked.Add(ref _pages, value); break;
            case ApiPipelineMetrics.Requests: Interlocked.Add(ref _requests, value); break;
            case ApiPipelineMetrics.Retries: Interlocked.Add(ref _retries, value); break;
            case ApiPipelineMetrics.Throttled: Interlocked.Add(ref _throttled, value); break;
            case ApiPipelineMetrics.OutputRecords: Interlocked.Add(ref _committed, value); break;
        }
    }

    private async Task LoopAsync(TimeSpan every, CancellationToken cancellationToken)
    {
        int frame = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(every, _time, cancellationToken).ConfigureAwait(false);
                lock (_writer)
                {
                    if (Mode == ProgressMode.Live)
                    {
                        string line = Spinner[frame++ % Spinner.Length] + " " + Line();
                        int width = Console.IsOutputRedirected ? line.Length : Math.Max(20, SafeWidth() - 1);
                        if (line.Length > width)
                        {
                            line = line[..width];
                        }

                        _writer.Write("\r\u001b[2K" + line);
                        _lastWidth = line.Length;
                    }
                    else
                    {
                        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_time.GetUtcNow():HH:mm:ss}] progress {Line()}"));
                    }

                    _writer.Flush();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 120;
        }
    }
}
