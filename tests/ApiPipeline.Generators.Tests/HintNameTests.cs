using ApiPipeline.Generators.Tests.Chaining;

namespace ApiPipeline.Generators.Tests;

/// <summary>
/// Roslyn compares hint names ignoring case and throws on a repeated one (the generator would fail with CS8785 and write nothing), so
/// types whose readable names are the same ignoring case get a hash of their metadata name; every other file keeps its readable name.
/// </summary>
public sealed class HintNameTests
{
    [Fact]
    public void Extractors_whose_names_differ_only_in_case_get_distinct_files_that_compile()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Extractor("Items"), TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/issues", Json = typeof(TestJson))]
            public partial class Issues : IExtractor<RepoRef, Item>;

            [Extractor("https://api.example.com", "/other-issues", Json = typeof(TestJson))]
            public partial class issues : IExtractor<RepoRef, Item>;
            """);

        Assert.Null(result.RunResult.Exception);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Equal(
            ["Demo.Issues.549dffd0.g.cs", "Demo.Items.g.cs", "Demo.issues.41f93cf0.g.cs"],
            result.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.Contains("partial class Issues", Text(result, "Demo.Issues.549dffd0.g.cs"), StringComparison.Ordinal);
        Assert.Contains("partial class issues", Text(result, "Demo.issues.41f93cf0.g.cs"), StringComparison.Ordinal);
        result.AssertCompiles();
    }

    [Fact]
    public void A_nested_extractor_and_one_in_the_namespace_of_the_same_name_get_distinct_files()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Ns
            {
                public partial class A
                {
                    [Extractor("https://api.example.com", "/nested", Json = typeof(TestJson))]
                    public partial class B : IExtractor<RepoRef, Item>;
                }
            }

            namespace Ns.A
            {
                [Extractor("https://api.example.com", "/namespaced", Json = typeof(TestJson))]
                public partial class B : IExtractor<RepoRef, Item>;
            }
            """);

        Assert.Null(result.RunResult.Exception);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Equal(["Ns.A.B.2003a337.g.cs", "Ns.A.B.65f74576.g.cs"], result.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.Contains("namespace Ns.A\n", Text(result, "Ns.A.B.2003a337.g.cs"), StringComparison.Ordinal);
        Assert.Contains("partial class A\n", Text(result, "Ns.A.B.65f74576.g.cs"), StringComparison.Ordinal);

        // A namespace and a class both named Ns.A do not compile (CS0101), but that is the user's error: the generated files add none.
        Assert.Equal("CS0101", Assert.Single(result.OutputErrors).Id);
    }

    [Fact]
    public void Chains_whose_names_differ_only_in_case_get_distinct_files_that_compile()
    {
        string lower = ChainSources.OrgIssues.Replace("partial class OrgIssues", "partial class orgIssues", StringComparison.Ordinal);
        Assert.NotEqual(ChainSources.OrgIssues, lower);

        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues, lower);

        Assert.Null(result.RunResult.Exception);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Equal(
            ["Demo.OrgIssues.Chain.e8fc4a7a.g.cs", "Demo.orgIssues.Chain.54c6beda.g.cs"],
            ChainFiles(result));
        Assert.Contains("partial class OrgIssues", Text(result, "Demo.OrgIssues.Chain.e8fc4a7a.g.cs"), StringComparison.Ordinal);
        Assert.Contains("partial class orgIssues", Text(result, "Demo.orgIssues.Chain.54c6beda.g.cs"), StringComparison.Ordinal);
        result.AssertCompiles();
    }

    [Fact]
    public void A_nested_chain_and_one_in_the_namespace_of_the_same_name_get_distinct_files()
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, TestSources.Usings + """
            namespace Demo
            {
                public partial class Group
                {
                    [Chain]
                    public partial class Repos
                    {
                        [Step(1)] public partial OrgRepos All { get; }
                    }
                }
            }

            namespace Demo.Group
            {
                [Chain]
                public partial class Repos
                {
                    [Step(1)] public partial OrgRepos All { get; }
                }
            }
            """);

        Assert.Null(result.RunResult.Exception);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Equal(["Demo.Group.Repos.Chain.4aa4cbdd.g.cs", "Demo.Group.Repos.Chain.a475e9dc.g.cs"], ChainFiles(result));
        Assert.Equal("CS0101", Assert.Single(result.OutputErrors).Id);
    }

    private static IEnumerable<string> ChainFiles(HarnessResult result)
        => result.Sources.Select(s => s.HintName).Where(n => n.Contains(".Chain.", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    private static string Text(HarnessResult result, string hintName)
        => result.Sources.Single(s => s.HintName == hintName).SourceText.ToString();

    [Fact]
    public void An_extractor_whose_file_name_a_chain_has_too_gets_a_file_apart_from_the_chains()
    {
        // An extractor "Chain" nested in the chain OrgIssues: both would be Demo.OrgIssues.Chain.g.cs.
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues, TestSources.Usings + """
            namespace Demo;

            public partial class OrgIssues
            {
                [Extractor("https://api.example.com", "/nested", Json = typeof(TestJson))]
                public partial class Chain : IExtractor<RepoRef, Item>;
            }
            """);

        Assert.Null(result.RunResult.Exception);
        Assert.Empty(result.GeneratorDiagnostics);
        Assert.Equal(2, result.Sources.Count(s => s.HintName.StartsWith("Demo.OrgIssues.Chain.", StringComparison.Ordinal)));
    }
}
