using ApiPipeline.Generated;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>A shop's groups from an API whose group listing may take minutes: its attempts may last 3 minutes.</summary>
[Extractor("http://localhost", "/patient/{owner}/groups", Json = typeof(TestJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Timeouts(PerAttempt = "3m")]
[Retry(MaxRetries = 0)]
public sealed partial class PatientGroups : IExtractor<Shop, Group>;

/// <summary>A group's members; no timeouts of its own (only HttpClient.Timeout's 100 s bounds an attempt).</summary>
[Extractor("http://localhost", "/patient/{owner}/groups/{group}/members", Json = typeof(TestJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Retry(MaxRetries = 0)]
public sealed partial class HastyMembers : IExtractor<GroupRef, Member>;

/// <summary>A chain whose steps have different timeouts: step 1 allows 3 minutes an attempt, step 2 sets none.</summary>
[Chain(Name = "review_patient")]
public sealed partial class PatientChain
{
    [Step(1)]
    public partial PatientGroups Groups { get; }

    [Step(2)]
    [Map(nameof(Shop.Owner), To = nameof(GroupRef.Owner), From = MapFrom.ChainInput)]
    [Map(nameof(Group.Id), To = nameof(GroupRef.Group))]
    public partial HastyMembers Members { get; }
}

/// <summary>AddApiPipeline's client for a chain whose steps have different timeouts.</summary>
public sealed class ReviewR3ChainClientTimeoutTests : ServerTests
{
    /// <summary>
    /// Step 1's [Timeouts(PerAttempt = "3m")] makes ApiPipelineClients.Outlasts give the whole chain's client HttpClient.Timeout = infinite
    /// (one client per chain, ServiceCollectionExtensions.cs:150-156: "any step"). Step 2 has no timeouts of its own, so before efc6185
    /// HttpClient.Timeout (100 s) ended its hanging request; now nothing does, and the chain hangs for ever on it.
    /// </summary>
    [Fact]
    public async Task A_step_without_timeouts_is_still_cut_at_100_seconds_when_another_step_of_its_chain_allows_longer()
    {
        Server.Respond = async context =>
        {
            if (context.Request.Path.Value!.EndsWith("/members", StringComparison.Ordinal))
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted); // the API never answers
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"data":[{"id":1,"name":"a"}]}""");
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ApiPipeline:Output"] = Dir.Path,
            ["ApiPipeline:Defaults:BaseUrl"] = Server.BaseUrl,
        }).Build();
        using var provider = new ServiceCollection().AddApiPipeline(ApiPipelineRegistry.Instance, configuration).BuildServiceProvider();
        var chain = provider.GetRequiredKeyedService<IChain<Shop, Member>>("review_patient");
        using var stop = new CancellationTokenSource();
        await using var output = new JsonlOutput<Member>(TestJson.Default.Member, new JsonlOutputOptions<Member> { Directory = Path.Combine(Dir.Path, "mine"), Name = "review_patient" });

        var run = chain.ExecuteAsync(new Shop("acme"), output, stop.Token);
        bool ended = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(140))) == run;
        await stop.CancelAsync();
        await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(10)));

        Assert.True(ended, "step 2's request (no timeout of its own) was not cut after 140 s: the chain's client has no HttpClient.Timeout");
        Assert.Equal(PipelineStatus.Failed, (await run).Status);
    }
}
