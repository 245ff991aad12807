namespace ApiPipeline.Tests.Resilience;

/// <summary>The circuit breaker opens on a failure ratio, fails fast without a request while open, and closes after a good trial.</summary>
public sealed class CircuitBreakerTests
{
    [Fact]
    public async Task The_breaker_opens_after_the_failure_ratio_fails_fast_while_open_and_closes_after_a_good_trial()
    {
        var clock = new TestClock();
        bool healthy = false;
        await using var server = await FaultServer.StartAsync((ctx, _) => healthy ? Faults.Json(ctx, Faults.Page(1, 2)) : Faults.Status(ctx, 500));
        var extractor = new BreakerRows(server.Options with { TimeProvider = clock });

        // Two failed attempts: 100 % failures over the minimum throughput of 2 opens the circuit.
        var (_, first) = await extractor.PagesUntilErrorAsync(new Shard("a")).Within();
        var (_, second) = await extractor.PagesUntilErrorAsync(new Shard("a")).Within();
        Assert.Equal((ExtractionErrorKind.HttpStatus, ExtractionErrorKind.HttpStatus), (first.Kind, second.Kind));

        // Open: fails at once, no request sent, and says when it will try again.
        var (_, open) = await extractor.PagesUntilErrorAsync(new Shard("a")).Within();
        Assert.Equal(ExtractionErrorKind.CircuitOpen, open.Kind);
        Assert.Equal(0, open.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(10), open.RetryAfter);
        Assert.Contains("circuit breaker is open", open.Message, StringComparison.Ordinal);
        Assert.Contains("in 10s", open.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.RequestCount);

        // After the break duration one trial request goes through; it succeeds and the circuit closes.
        healthy = true;
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(new long[] { 1, 2 }, (await extractor.PagesAsync(new Shard("a")).Within()).Ids());
        Assert.Equal(new long[] { 1, 2 }, (await extractor.PagesAsync(new Shard("a")).Within()).Ids());
        Assert.Equal(4, server.RequestCount);
    }

    [Fact]
    public async Task An_open_circuit_ends_a_continuing_run()
    {
        var clock = new TestClock();
        await using var server = await FaultServer.StartAsync((ctx, _) => Faults.Status(ctx, 503));
        using var temp = new TempFolder();
        await using var output = new JsonlOutput<Row>(ResilienceJson.Default.Row, new() { Directory = temp.Path, Name = "rows" });
        var extractor = new BreakerRows(server.Options with
        {
            TimeProvider = clock,
            Resilience = BreakerRows.Definition.Resilience with { OnError = ErrorMode.Continue },
        });

        var result = await new Pipeline<Shard, Row>("rows", extractor, output)
            .ExecuteManyAsync(Enumerable.Range(1, 10).Select(i => new Shard("s" + i)).ToAsyncEnumerable()).Within();

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal(ExtractionErrorKind.CircuitOpen, Assert.IsType<ExtractionException>(result.Error).Kind);
        Assert.Equal(2, result.Failures);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public void The_attributes_numbers_reach_the_options()
    {
        var breaker = BreakerRows.Definition.Resilience.CircuitBreaker!;

        Assert.Equal((0.5, 2, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10)), (breaker.FailureRatio, breaker.MinimumThroughput, breaker.SamplingDuration, breaker.BreakDuration));
    }
}
