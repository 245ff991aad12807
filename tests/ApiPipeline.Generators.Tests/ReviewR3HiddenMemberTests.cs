using ApiPipeline.Generators.Tests.Chaining;

namespace ApiPipeline.Generators.Tests;

/// <summary>'new' on the generated members of a chain whose base class is another [Chain] class.</summary>
public sealed class ReviewR3HiddenMemberTests
{
    [Fact]
    public void A_chain_derived_from_a_chain_of_other_types_gets_no_warnings_in_generated_code()
    {
        // The base chain's part implements IChain<Org, Repo>; the derived one IChain<RepoRef, Issue>. Its ExecuteAsync(RepoRef, IOutput<Issue>, …)
        // and ExecuteParallelChainsAsync(IEnumerable<RepoRef>, …) overload the base's, they hide nothing. HiddenMembers counts every
        // member of a [Chain] base's part as hidden (ChainParser passes 'static _ => null' for the base's interface), so they are
        // declared 'public new' and the generated file gets CS0109.
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, TestSources.Usings + """
            namespace Demo;

            [Chain]
            public partial class AllRepos
            {
                [Step(1)] public partial OrgRepos Repos { get; }
            }

            [Chain]
            public partial class RepoIssues : AllRepos
            {
                [Step(1)] public partial GitHubIssues Issues { get; }
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertNoWarningsInGeneratedCode();
    }
}
