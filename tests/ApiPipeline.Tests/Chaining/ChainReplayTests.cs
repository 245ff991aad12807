namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// <see cref="ChainExecutor{TIn, TOut}.ReplayAsync"/>: a chain run that starts at the step of a dead-letter entry, from its checkpoint, and
/// takes the records through the later steps into the chain's output, committed once and only when the replay went through.
/// </summary>
public sealed class ChainReplayTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public async Task A_replay_from_a_middle_step_runs_the_later_steps_with_the_chain_input_and_the_entrys_lineage()
    {
        // Page 2 of parent 3's children, replayed: the details (step 3) take the chain input, the children, and parent 3 from the lineage.
        var api = new ChainApi(parents: 5) { ChildDelay = TimeSpan.Zero };
        var input = Map("chain-replay-lineage", api.Handle);
        var executor = new ChainExecutor<Scenario, Detail>(ChildDetails.Definition, options: new ChainOptions { Extractor = At });
        var lineage = ChainLineage.Restore(3, [(1, new Parent(3, "parent-3"))]);
        var from = new PageCheckpoint($"{Api.BaseUrl}/chain-replay-lineage/parents/3/children?page=2", 2, 2);
        var output = new MemoryOutput<Detail>();

        var result = await executor.ReplayAsync(new ChainReplay(2, null, from, pageOnly: true, lineage), input, output, CancellationToken.None).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal([new Detail(3021, 3, "parent-3"), new Detail(3022, 3, "parent-3")], output.Committed.OrderBy(d => d.ChildId));
        Assert.Equal(1, api.ChildRequests);
        Assert.Equal(0, api.ParentRequests);
        Assert.Equal(2, result.Records);
    }

    [Fact]
    public async Task A_replay_whose_later_batched_step_fails_commits_nothing()
    {
        // Parents page 1 (100 parents) replayed into the batched step: the batch of parents 1–50 succeeds, that of 51–100 fails for good
        // (once the first batch has been asked for: the two run at once, and the failure would otherwise stop the step before it).
        var api = new ChainApi(parents: 100);
        api.Fail = (target, _) => target.Contains("ids=51", StringComparison.Ordinal)
            && SpinWait.SpinUntil(() => api.BatchIds.Any(ids => ids.StartsWith("1,", StringComparison.Ordinal)), TimeSpan.FromSeconds(10))
            ? (500, """{"message":"down"}""")
            : null;
        var input = Map("chain-replay-batched", api.Handle);
        var executor = new ChainExecutor<Scenario, Child>(BatchedChildren.Definition, options: new ChainOptions { Extractor = At });
        var from = new PageCheckpoint($"{Api.BaseUrl}/chain-replay-batched/parents?page=1", 1, 0);
        var output = new MemoryOutput<Child>();

        var result = await executor.ReplayAsync(new ChainReplay(1, null, from, pageOnly: true, null), input, output, CancellationToken.None).WithDeadline(30);

        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.Equal("Children", result.FailedStep);
        Assert.Contains(string.Join(",", Enumerable.Range(1, 50)), api.BatchIds);
        Assert.Empty(output.Committed);
        Assert.Equal(0, output.Commits);
        Assert.Equal(0, result.Records);
    }
}
