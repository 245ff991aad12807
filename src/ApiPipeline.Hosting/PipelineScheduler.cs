using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ApiPipeline.Hosting;

/// <summary>
/// A <see cref="BackgroundService"/> that runs every schedule of <see cref="ApiPipelineOptions.Schedules"/> over and over, one loop per
/// schedule: run, log the summary, wait <see cref="ScheduleSettings.Every"/> (on the registered <see cref="TimeProvider"/>), run again.
/// Runs are incremental through the state file (chains resume, watermarks advance); a failed run is logged and tried again at the next
/// tick. Stops with the host (a run in progress is cancelled; what it read is committed).
/// </summary>
public sealed class PipelineScheduler : BackgroundService
{
    private readonly PipelineRunner _runner;
    private readonly ApiPipelineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _runs;

    /// <summary>Creates the scheduler (by dependency injection).</summary>
    /// <param name="runner">Runs pipelines.</param>
    /// <param name="options">The schedules.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">Where schedule events go.</param>
    /// <exception cref="ArgumentException">A schedule's <see cref="ScheduleSettings.Every"/> is zero or less (it would run in a tight loop).</exception>
    public PipelineScheduler(PipelineRunner runner, IOptions<ApiPipelineOptions> options, TimeProvider timeProvider, ILogger<PipelineScheduler> logger)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(options);
        _runner = runner;
        _options = options.Value;

        // Configuration refuses such an interval when it is read; a schedule added in code (AddApiPipelineScheduler, configure) is
        // checked here, before it can run back to back without waiting.
        foreach (var (id, schedule) in _options.Schedules)
        {
            if (schedule.Every <= TimeSpan.Zero)
            {
                throw new ArgumentException($"Schedule '{id}' (pipeline '{schedule.Pipeline}'): Every is {schedule.Every}, but a schedule runs again after a time longer than zero, e.g. TimeSpan.FromHours(1) (\"1h\" in configuration).", nameof(options));
            }
        }

        _time = timeProvider ?? TimeProvider.System;
        _logger = logger;
    }

    /// <summary>Runs finished so far (successful or not), over all schedules.</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>The last summary of each schedule.</summary>
    public IReadOnlyDictionary<string, RunSummary> LastRuns => _last;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RunSummary> _last = new(StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc/>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(_options.Schedules.Select(s => LoopAsync(s.Key, s.Value, stoppingToken)));

    private async Task LoopAsync(string id, ScheduleSettings schedule, CancellationToken stoppingToken)
    {
        if (!schedule.RunOnStart && !await DelayAsync(schedule.Every, stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            HostLog.ScheduledRunStarting(_logger, id, schedule.Pipeline);
            try
            {
                var summary = await _runner.RunAsync(new RunRequest { Target = schedule.Pipeline, Input = schedule.Input }, stoppingToken).ConfigureAwait(false);
                _last[id] = summary;
                var level = summary.Outcome switch
                {
                    PipelineStatus.Succeeded => LogLevel.Information,
                    PipelineStatus.PartialSuccess => LogLevel.Warning,
                    _ => LogLevel.Error,
                };
                HostLog.ScheduledRunFinished(_logger, level, id, summary.ToString(), schedule.Every);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                HostLog.ScheduledRunFailed(_logger, ex, id, schedule.Pipeline, schedule.Every);
            }

            Interlocked.Increment(ref _runs);
            if (!await DelayAsync(schedule.Every, stoppingToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task<bool> DelayAsync(TimeSpan wait, CancellationToken stoppingToken)
    {
        try
        {
            // Task.Delay waits at most about 49 days: a longer interval is waited for a day at a time.
            while (wait > TimeSpan.Zero)
            {
                var step = wait < TimeSpan.FromDays(1) ? wait : TimeSpan.FromDays(1);
                await Task.Delay(step, _time, stoppingToken).ConfigureAwait(false);
                wait -= step;
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
