using System.Runtime.CompilerServices;

namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>
/// The generated chain classes and the registry, compared to <c>Snapshots/Chain.*.verified.cs</c>; each output compilation must compile
/// against the real runtime.
/// </summary>
public sealed class ChainSnapshotTests
{
    [Fact]
    public void OrgIssues()
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues);

        AssertSnapshot(result, "Demo.OrgIssues.Chain.g.cs");
    }

    [Fact]
    public void ConversionsBatchesAndChainInput()
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, TestSources.Usings + """
            namespace Demo;

            public static partial class Catalog
            {
                [Chain(Name = "org-repo-issues")]
                internal partial class Everything
                {
                    [Step(1)]
                    public partial OrgRepos Repos { get; }

                    // string? → string gets a null check; long → string is written in the invariant culture.
                    [Step(2, OnError = ErrorMode.Continue, Name = "issues")]
                    [Map(nameof(Repo.Description), To = nameof(RepoRef.Owner))]
                    [Map(nameof(Repo.Id), To = nameof(RepoRef.Repo))]
                    public partial GitHubIssues Issues { get; }

                    // One long per record into a list, and the chain input's login.
                    [Step(3)]
                    [Batched(Size = 50, MaxConcurrentBatches = 4, RetryFailedBatches = false)]
                    [Map(nameof(Issue.Id), To = nameof(RepoIds.Ids))]
                    [Map(nameof(Org.Login), To = nameof(RepoIds.Org), From = MapFrom.ChainInput)]
                    internal partial ReposByIds ReposAgain { get; }

                    // One id per record, comma-separated.
                    [Step(4)]
                    [Batched(Size = 10)]
                    [Map(nameof(Repo.Id), To = nameof(IdBatch.Ids))]
                    public partial IssuesByIds Again { get; }

                    // The record of the step before is the input as it is.
                    [Step(5, Mode = ProcessingMode.Parallel, MaxConcurrency = 2)]
                    public partial Passthrough Same { get; }
                }
            }

            public sealed class Passthrough : IExtractor<Issue, Issue>
            {
                public string Name => "same";

                public System.Collections.Generic.IAsyncEnumerable<Page<Issue>> ExtractPagesAsync(Issue input, PageCheckpoint? resumeFrom = null, System.Threading.CancellationToken cancellationToken = default)
                    => throw new NotSupportedException();
            }
            """);

        AssertSnapshot(result, "Demo.Catalog.Everything.Chain.g.cs");
    }

    [Fact]
    public void MappingsFromAnEarlierStep()
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, ChainSources.ThreeSteps(
            """[Map("Owner.Login", To = nameof(RepoNumber.Owner), FromStep = nameof(Repos))] [Map(nameof(Issue.Number), FromStep = "Issues")]"""));

        AssertSnapshot(result, "Demo.Three.Chain.g.cs");
    }

    [Fact]
    public void Registry()
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        var registry = Assert.Single(result.AllSources, s => s.HintName == global::ApiPipeline.Generators.Chaining.RegistryEmitter.HintName);
        Snapshot.Verify("Chain.Registry", registry.SourceText.ToString());
    }

    [Fact]
    public void No_registry_without_extractors_or_chains()
    {
        var result = GeneratorHarness.Run(TestSources.Common, "namespace Demo; public sealed class Plain { }");

        Assert.Empty(result.AllSources);
    }

    private static void AssertSnapshot(HarnessResult result, string hintName, [CallerMemberName] string name = "")
    {
        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        var source = Assert.Single(result.Sources, s => s.HintName == hintName);
        Snapshot.Verify("Chain." + name, source.SourceText.ToString());
    }
}
