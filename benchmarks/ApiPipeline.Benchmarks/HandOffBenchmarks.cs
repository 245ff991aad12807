using System.Threading.Channels;
using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;

namespace ApiPipeline.Benchmarks;

/// <summary>
/// A hand-off between two stages: a bounded channel of pages (capacity 4, one reader, one writer, producer and consumer on different
/// thread-pool threads), as between chain steps, per page of 100 records; against a channel of records (what <c>ExtractToAsync</c>
/// feeds), 100 writes per page with the same number of records buffered. A <see cref="Pipeline{TIn, TOut}"/> has no hand-off: its
/// extractor streams records into the output on one thread, as the hand-written baseline does.
/// </summary>
[RecordsPerOperation(PageParseBenchmarks.RecordsPerPage)]
public class ChannelHandOffBenchmarks
{
    private const int PagesPerInvoke = 2000;
    private const int Capacity = 4;
    private Page<Issue>[] _pages = [];
    private Issue[] _records = [];

    [GlobalSetup]
    public void Setup()
    {
        _records = Pages.Records(PageParseBenchmarks.RecordsPerPage);
        _pages = [.. Enumerable.Range(1, 16).Select(i => new Page<Issue>(i, "http://127.0.0.1/x", _records, null, 54_000))];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PagesPerInvoke)]
    [BenchmarkCategory("Channel hand-off per page")]
    public async Task<long> ChannelOfPages()
    {
        var channel = Channel.CreateBounded<Page<Issue>>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var producer = Task.Run(async () =>
        {
            for (int i = 0; i < PagesPerInvoke; i++)
            {
                await channel.Writer.WriteAsync(_pages[i & 15]);
            }

            channel.Writer.Complete();
        });

        long records = 0;
        await foreach (var page in channel.Reader.ReadAllAsync())
        {
            records += page.Count;
        }

        await producer;
        return records;
    }

    [Benchmark(OperationsPerInvoke = PagesPerInvoke)]
    [BenchmarkCategory("Channel hand-off per page")]
    public async Task<long> ChannelOfRecords()
    {
        var channel = Channel.CreateBounded<Issue>(new BoundedChannelOptions(Capacity * PageParseBenchmarks.RecordsPerPage) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var producer = Task.Run(async () =>
        {
            for (int i = 0; i < PagesPerInvoke; i++)
            {
                foreach (var record in _records)
                {
                    if (!channel.Writer.TryWrite(record))
                    {
                        await channel.Writer.WriteAsync(record);
                    }
                }
            }

            channel.Writer.Complete();
        });

        long records = 0;
        await foreach (var record in channel.Reader.ReadAllAsync())
        {
            records++;
        }

        await producer;
        return records;
    }
}

/// <summary>
/// Rate-limiter acquire, per request. The runtime has no rate limiter yet ([RateLimited] is another issue); this measures the
/// framework's <see cref="TokenBucketRateLimiter"/> (what Polly.RateLimiting wraps) as the bar an implementation must stay near.
/// </summary>
public class RateLimiterBenchmarks
{
    private readonly TokenBucketRateLimiter _limiter = new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = int.MaxValue,
        TokensPerPeriod = int.MaxValue,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    [Benchmark]
    [BenchmarkCategory("Rate limiter acquire (framework)")]
    public bool TokenBucket_AttemptAcquire()
    {
        using var lease = _limiter.AttemptAcquire(1);
        return lease.IsAcquired;
    }

    [Benchmark]
    [BenchmarkCategory("Rate limiter acquire (framework)")]
    public async ValueTask<bool> TokenBucket_AcquireAsync()
    {
        using var lease = await _limiter.AcquireAsync(1);
        return lease.IsAcquired;
    }

    [GlobalCleanup]
    public void Cleanup() => _limiter.Dispose();
}
