using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>Collects ApiPipeline's metrics with a <see cref="MeterListener"/> over a known run and checks the counts.</summary>
public sealed class TelemetryTests : ServerTests
{
    /// <summary>Every measurement of the ApiPipeline meter whose tags include <c>extractor</c> or <c>pipeline</c> = <paramref name="name"/>.</summary>
    private sealed class Collector : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _name;

        public Collector(string name)
        {
            _name = name;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ApiPipelineTelemetry.MeterName)
                {
                    Units[instrument.Name] = instrument.Unit ?? "";
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.Start();
        }

        public ConcurrentDictionary<string, string> Units { get; } = new();

        public ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

        public double Sum(string name) => Measurements.Where(m => m.Name == name).Sum(m => m.Value);

        public int Count(string name) => Measurements.Count(m => m.Name == name);

        public void Dispose() => _listener.Dispose();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            if (Equals(map.GetValueOrDefault(ApiPipelineTags.Extractor), _name) || Equals(map.GetValueOrDefault(ApiPipelineTags.Pipeline), _name))
            {
                Measurements.Enqueue((instrument.Name, value, map));
            }
        }
    }

    [Fact]
    public async Task A_known_run_reports_the_expected_counts()
    {
        using var metrics = new Collector("metered");
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = Dir.Path, Name = "metered", Batching = new OutputBatchOptions { BatchSize = 10 } });
        var pipeline = new Pipeline<NoInput, Item>("metered", new MeteredItems(new ExtractorOptions { BaseUrl = Server.BaseUrl }), output);

        var result = await pipeline.ExecuteAsync(NoInput.Value);

        Assert.Equal(PipelineStatus.Succeeded, result.Status);

        // 4 pages (10 + 10 + 5 records, then the empty page that ends PageNumber paging); page 2 failed once with 500 and was
        // retried: 5 requests, 1 retry.
        Assert.Equal(5, metrics.Count(ApiPipelineMetrics.RequestDuration));
        Assert.Equal("s", metrics.Units[ApiPipelineMetrics.RequestDuration]);
        var statuses = metrics.Measurements.Where(m => m.Name == ApiPipelineMetrics.RequestDuration).Select(m => (int)m.Tags[ApiPipelineTags.HttpStatusCode]!).Order().ToList();
        Assert.Equal([200, 200, 200, 200, 500], statuses);
        Assert.All(metrics.Measurements.Where(m => m.Name == ApiPipelineMetrics.RequestDuration), m =>
        {
            Assert.Equal("GET", m.Tags[ApiPipelineTags.HttpMethod]);
            Assert.Equal("127.0.0.1", m.Tags[ApiPipelineTags.ServerAddress]);
            Assert.True(m.Value > 0);
        });

        Assert.Equal(5, metrics.Sum(ApiPipelineMetrics.Requests));
        Assert.Equal(4, metrics.Measurements.Where(m => m.Name == ApiPipelineMetrics.Requests && Equals(m.Tags[ApiPipelineTags.StatusClass], "2xx")).Sum(m => m.Value));
        Assert.Equal(1, metrics.Measurements.Where(m => m.Name == ApiPipelineMetrics.Requests && Equals(m.Tags[ApiPipelineTags.StatusClass], "5xx")).Sum(m => m.Value));
        Assert.Equal(4, metrics.Sum(ApiPipelineMetrics.Pages));
        Assert.Equal(25, metrics.Sum(ApiPipelineMetrics.Records));
        Assert.Equal(result.BytesRead, metrics.Sum(ApiPipelineMetrics.BytesRead));
        Assert.Equal(1, metrics.Sum(ApiPipelineMetrics.Retries));
        Assert.Equal(0, metrics.Sum(ApiPipelineMetrics.Throttled));

        // Batches of 10 records at page boundaries: after page 1, after page 2, and the last 5 at the end.
        Assert.Equal(3, metrics.Sum(ApiPipelineMetrics.OutputBatches));
        Assert.Equal(25, metrics.Sum(ApiPipelineMetrics.OutputRecords));
        Assert.True(metrics.Sum(ApiPipelineMetrics.OutputBytes) > 0);

        var run = Assert.Single(metrics.Measurements, m => m.Name == ApiPipelineMetrics.Runs);
        Assert.Equal("succeeded", run.Tags[ApiPipelineTags.Outcome]);
        Assert.Equal("pipeline", run.Tags[ApiPipelineTags.RunKind]);
        Assert.Single(metrics.Measurements, m => m.Name == ApiPipelineMetrics.RunDuration);

        var summary = RunSummary.From(result);
        Assert.Equal(25, summary.Records);
        Assert.Equal(4, summary.Pages);
        Assert.Equal(5, summary.Requests);
        Assert.Equal(1, summary.Retries);
        Assert.Equal(0, summary.ExitCode);
        Assert.Contains("pipeline 'metered': succeeded", summary.ToText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_attempt_answered_500_carries_error_type_on_the_request_duration()
    {
        // docs/observability.md: http.client.request.duration has error.type "(on failure)" (OpenTelemetry: the status code for a 4xx/5xx).
        using var metrics = new Collector("metered");
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = Dir.Path, Name = "metered" });
        var result = await new Pipeline<NoInput, Item>("metered", new MeteredItems(new ExtractorOptions { BaseUrl = Server.BaseUrl }), output).ExecuteAsync(NoInput.Value);
        Assert.Equal(PipelineStatus.Succeeded, result.Status);

        var failed = Assert.Single(metrics.Measurements, m => m.Name == ApiPipelineMetrics.RequestDuration && Equals(m.Tags.GetValueOrDefault(ApiPipelineTags.HttpStatusCode), 500));
        Assert.Equal("500", failed.Tags.GetValueOrDefault(ApiPipelineTags.ErrorType));
    }

    [Fact]
    public async Task Spans_cover_the_run_and_each_page_without_secrets()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ApiPipelineTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = Dir.Path, Name = "traced" });
        var extractor = new Items(new ExtractorOptions { BaseUrl = Server.BaseUrl + "/?api_key=top-secret-key" });
        var result = await new Pipeline<NoInput, Item>("traced", extractor, output).ExecuteAsync(NoInput.Value);
        Assert.Equal(PipelineStatus.Succeeded, result.Status);

        var mine = spans.Where(s => Equals(s.GetTagItem(ApiPipelineTags.Pipeline), "traced") || (Equals(s.GetTagItem(ApiPipelineTags.Extractor), "Items") && s.OperationName.Contains("page", StringComparison.OrdinalIgnoreCase))).ToList();
        var run = Assert.Single(mine, s => Equals(s.GetTagItem(ApiPipelineTags.Pipeline), "traced"));
        var pages = mine.Where(s => s.OperationName.Contains("page", StringComparison.OrdinalIgnoreCase) && s.TraceId == run.TraceId).ToList();
        Assert.Equal(4, pages.Count);
        Assert.Equal([1, 2, 3, 4], pages.Select(p => (int)p.GetTagItem(ApiPipelineTags.PageNumber)!).Order());
        Assert.Equal(25, pages.Sum(p => (int)p.GetTagItem(ApiPipelineTags.RecordCount)!));
        Assert.All(pages, p => Assert.Equal(run.SpanId, p.ParentSpanId));
        Assert.All(pages, p => Assert.Equal(200, p.GetTagItem(ApiPipelineTags.HttpStatusCode))); // read whole, not only failed pages
        foreach (var span in mine)
        {
            foreach (var tag in span.TagObjects)
            {
                Assert.DoesNotContain("top-secret-key", tag.Value?.ToString() ?? "", StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Logs_say_what_runs_each_retry_and_the_summary_with_event_ids()
    {
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = Dir.Path, Name = "logged" });
        var extractor = new MeteredItems(new ExtractorOptions { BaseUrl = Server.BaseUrl, LoggerFactory = factory });
        var result = await new Pipeline<NoInput, Item>("logged", extractor, output, new PipelineOptions { LoggerFactory = factory }).ExecuteAsync(NoInput.Value);
        Assert.Equal(PipelineStatus.Succeeded, result.Status);

        var start = Assert.Single(logs.Entries, e => e.Id.Name == "RunStarting");
        Assert.Equal(1001, start.Id.Id);
        Assert.Contains("logged", start.Message, StringComparison.Ordinal);
        Assert.Contains("metered", start.Message, StringComparison.Ordinal);
        Assert.Contains("/metered", start.Message, StringComparison.Ordinal);
        var retry = Assert.Single(logs.Entries, e => e.Id.Name == "Retrying");
        Assert.Equal(LogLevel.Warning, retry.Level);
        Assert.Contains("page 2", retry.Message, StringComparison.Ordinal);
        var end = Assert.Single(logs.Entries, e => e.Id.Name == "RunFinished");
        Assert.Contains("25 records", end.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_is_recorded_when_nobody_listens()
    {
        // With no listener the instruments are disabled: the run works and reports nothing (and allocates no tags).
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = Dir.Path, Name = "quiet" });
        var result = await new Pipeline<NoInput, Item>("quiet", new Items(new ExtractorOptions { BaseUrl = Server.BaseUrl }), output).ExecuteAsync(NoInput.Value);
        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.False(ApiPipelineTelemetry.ActivitySource.HasListeners());
    }
}
