using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>
/// Each chain diagnostic (APP0101–APP0112): its ID, the exact text it points at (the attribute argument at fault), a message naming the
/// step, the member and the types, and that no chain is generated (the extractors still are).
/// </summary>
public sealed class ChainDiagnosticsTests
{
    [Fact]
    public void APP0101_ChainNotPartial()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Chain]
            public class NotPartial
            {
            }
            """;

        var diagnostic = AssertOnly(source, "APP0101", "NotPartial");
        Assert.Contains("'NotPartial' is not partial", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0101_GenericChain()
        => Assert.Contains("is generic", AssertOnly(TestSources.Usings + "namespace Demo;\n\n[Chain(Name = \"g\")]\npublic partial class Generic<T>\n{\n}\n", "APP0101", "Generic").GetMessage(), StringComparison.Ordinal);

    [Fact]
    public void APP0101_FileLocalChain()
        => Assert.Contains("'Local' is file-local", AssertOnly(TestSources.Usings + "namespace Demo;\n\n[Chain]\nfile sealed partial class Local\n{\n}\n", "APP0101", "Local").GetMessage(), StringComparison.Ordinal);

    [Theory]
    [InlineData("[Chain(Name = \"vendor/repos\")]", "[Step(1)]", "Name = \"vendor/repos\"", "The chain name 'vendor/repos' contains '/'")]
    [InlineData("[Chain]", "[Step(1, Name = \"org/repos\")]", "Name = \"org/repos\"", "The step name 'org/repos' contains '/'")]
    public void APP0120_SlashInChainOrStepName(string chain, string step, string spanText, string message)
    {
        string source = TestSources.Usings + $$"""
            namespace Demo;

            {{chain}}
            public partial class Slashed
            {
                {{step}} public partial OrgRepos Repos { get; }
            }
            """;

        Assert.Contains(message, AssertOnly(source, "APP0120", spanText).GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0102_NoSteps()
        => Assert.Contains("has no steps", AssertOnly(TestSources.Usings + "namespace Demo;\n\n[Chain]\npublic partial class Empty\n{\n}\n", "APP0102", "Empty").GetMessage(), StringComparison.Ordinal);

    [Fact]
    public void APP0102_TwoStepsAtOnePosition()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Chain]
            public partial class Twice
            {
                [Step(1)] public partial OrgRepos First { get; }

                [Step(1)] public partial OrgRepos Second { get; }
            }
            """;

        var diagnostic = AssertOnly(source, "APP0102", "Step(1)", occurrence: 2);
        Assert.Contains("two steps at position 1 ('First' and 'Second')", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0103_StepNotPartial()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Chain]
            public partial class Steps
            {
                [Step(1)] public OrgRepos Repos { get; } = new();
            }
            """;

        var diagnostic = AssertOnly(source, "APP0103", "Repos", occurrence: 2);
        Assert.Contains("The step 'Repos' of chain 'Steps' is not declared 'partial'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0103_StepIsNotAnExtractor()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Chain]
            public partial class Steps
            {
                [Step(1)] public partial Repo Repos { get; }
            }
            """;

        var diagnostic = AssertOnly(source, "APP0103", "Repos", compiles: false);
        Assert.Contains("has type 'Repo', which is not a class implementing IExtractor<TIn, TOut> exactly once", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0104_SourceMemberNotFound()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map("Nme", To = nameof(RepoRef.Repo))] [Map("Owner.Login", To = nameof(RepoRef.Owner))]"""), "APP0104", "\"Nme\"");
        Assert.Equal("Step 'Next': 'Nme' is not a public member of 'Repo' (the record of step 'Repos'); its members are: Id, Name, Owner, Description, Stars, UpdatedAt", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0104_NestedSourceMemberNotFound()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))] [Map("Owner.Name", To = nameof(RepoRef.Owner))]"""), "APP0104", "\"Owner.Name\"");
        Assert.Equal("Step 'Next': 'Name' is not a public member of 'Owner' (reached by 'Owner.Name'); its members are: Login, Id", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0105_TargetMemberNotFound()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map(nameof(Repo.Name), To = "Repository")] [Map("Owner.Login", To = nameof(RepoRef.Owner))]"""), "APP0105", "To = \"Repository\"");
        Assert.Equal("Step 'Next': 'Repository' is not a constructor parameter or settable member of the step's input 'RepoRef'; it takes: Owner, Repo", diagnostic.GetMessage());
    }

    [Fact]
    public void A_map_may_target_a_public_field_of_the_step_input()
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, TestSources.Usings + """
            namespace Demo;

            public sealed class OwnerQuery
            {
                public string Owner = "";
            }

            [Extractor("https://api.github.com", "/users/{owner}/issues", Json = typeof(TestJson))]
            public partial class UserIssues : IExtractor<OwnerQuery, Issue>;

            [Chain]
            public partial class OrgUserIssues
            {
                [Step(1)] public partial OrgRepos Repos { get; }

                [Step(2)]
                [Map("Owner.Login", To = nameof(OwnerQuery.Owner))]
                public partial UserIssues Issues { get; }
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string chain = Assert.Single(result.Sources, s => s.HintName == "Demo.OrgUserIssues.Chain.g.cs").SourceText.ToString();
        Assert.Contains("new global::Demo.OwnerQuery() { Owner = parent.Owner.Login }", chain, StringComparison.Ordinal);
    }

    [Fact]
    public void A_TimeOnly_maps_to_text_as_URLs_write_it()
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, TestSources.Usings + """
            namespace Demo;

            public sealed record Slot(long Id, TimeOnly At);

            public sealed record SlotQuery(string At);

            [Extractor("https://api.example.com", "/orgs/{login}/slots", Json = typeof(TestJson))]
            public partial class OrgSlots : IExtractor<Org, Slot>;

            [Extractor("https://api.example.com", "/bookings", Json = typeof(TestJson))]
            public partial class Bookings : IExtractor<SlotQuery, Issue>;

            [Chain]
            public partial class SlotBookings
            {
                [Step(1)] public partial OrgSlots Slots { get; }

                [Step(2)]
                [Map(nameof(Slot.At), To = nameof(SlotQuery.At))]
                public partial Bookings Bookings { get; }
            }
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string chain = Assert.Single(result.Sources, s => s.HintName == "Demo.SlotBookings.Chain.g.cs").SourceText.ToString();
        Assert.Contains("global::ApiPipeline.ChainMapping.Text(parent.At)", chain, StringComparison.Ordinal);
    }

    [Fact]
    public void APP0106_TypeMismatch()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map("Owner.Login", To = nameof(RepoNumber.Owner))] [Map(nameof(Repo.Id), To = nameof(RepoNumber.Number))]""", extractor: "IssueByNumber"), "APP0106", "nameof(Repo.Id)");
        Assert.Equal("Step 'Next': 'Id' (long) cannot be mapped to 'Number' (int) of the step's input 'RepoNumber' without a conversion that can lose data; map a member of type int, or change the input member's type", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0106_TypeMismatchFromTheChainInput()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map("Owner.Login", To = nameof(RepoNumber.Owner))] [Map(nameof(Org.Login), To = nameof(RepoNumber.Number), From = MapFrom.ChainInput)]""", extractor: "IssueByNumber"), "APP0106", "nameof(Org.Login)");
        Assert.Contains("'input.Login' (string) cannot be mapped to 'Number' (int)", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0104_SourceMemberNotFoundInAnEarlierStep()
    {
        var diagnostic = AssertOnly(ChainSources.ThreeSteps("""[Map("Nme", To = nameof(RepoNumber.Owner), FromStep = nameof(Repos))] [Map(nameof(Issue.Number))]"""), "APP0104", "\"Nme\"");
        Assert.Equal("Step 'Third': 'Nme' is not a public member of 'Repo' (the record of step 'Repos'); its members are: Id, Name, Owner, Description, Stars, UpdatedAt", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0106_TypeMismatchFromAnEarlierStep()
    {
        var diagnostic = AssertOnly(ChainSources.ThreeSteps("""[Map("Owner.Login", To = nameof(RepoNumber.Owner), FromStep = nameof(Repos))] [Map(nameof(Repo.Id), To = nameof(RepoNumber.Number), FromStep = nameof(Repos))]"""), "APP0106", "nameof(Repo.Id)");
        Assert.Equal("Step 'Third': 'Repos.Id' (long) cannot be mapped to 'Number' (int) of the step's input 'RepoNumber' without a conversion that can lose data; map a member of type int, or change the input member's type", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0113_UnknownSourceStep()
    {
        var diagnostic = AssertOnly(ChainSources.ThreeSteps("""[Map("Owner.Login", To = nameof(RepoNumber.Owner), FromStep = "Repositories")] [Map(nameof(Issue.Number))]"""), "APP0113", "FromStep = \"Repositories\"");
        Assert.Equal("Step 'Third': [Map(\"Owner.Login\", FromStep = \"Repositories\")] names no step of chain 'Three'; its steps are: Repos, Issues, Third", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0114_SourceStepIsTheStepItself()
    {
        var diagnostic = AssertOnly(ChainSources.ThreeSteps("""[Map("Owner.Login", To = nameof(RepoNumber.Owner), FromStep = nameof(Repos))] [Map(nameof(Issue.Number), FromStep = nameof(Third))]"""), "APP0114", "FromStep = nameof(Third)");
        Assert.Equal("Step 'Third': [Map(\"Number\", FromStep = \"Third\")] cannot read step 'Third': it is this step itself; map from a step before it", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0114_SourceStepRunsLater()
    {
        var diagnostic = AssertOnly(
            ChainSources.ThreeSteps("[Map(nameof(Issue.Number))] [Map(\"Owner.Login\", To = nameof(RepoNumber.Owner), FromStep = nameof(Repos))]", maps2: """[Map("Owner.Login", To = nameof(RepoRef.Owner))] [Map(nameof(Issue.Title), To = nameof(RepoRef.Repo), FromStep = "Third")]"""),
            "APP0114",
            "FromStep = \"Third\"");
        Assert.Equal("Step 'Issues': [Map(\"Title\", FromStep = \"Third\")] cannot read step 'Third': it is step 3 and runs after this step (step 2); map from a step before it", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0114_SourceStepBehindABatchedStep()
    {
        var diagnostic = AssertOnly(
            ChainSources.ThreeSteps("[Map(nameof(Issue.Number))] [Map(\"Owner.Login\", To = nameof(RepoNumber.Owner), FromStep = nameof(Repos))]", maps2: "[Map(nameof(Repo.Id), To = nameof(IdBatch.Ids))]", step2: "[Step(2)] [Batched(Size = 10)]", extractor2: "IssuesByIds"),
            "APP0114",
            "FromStep = nameof(Repos)");
        Assert.Equal("Step 'Third': [Map(\"Owner.Login\", FromStep = \"Repos\")] cannot read step 'Repos': its records reach this step only through the [Batched] step 'Issues', which builds one input from many records; map from a step after it", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0114_FromStepWithFromChainInput()
    {
        var diagnostic = AssertOnly(ChainSources.ThreeSteps("""[Map(nameof(Issue.Number))] [Map("Owner.Login", To = nameof(RepoNumber.Owner), From = MapFrom.ChainInput, FromStep = nameof(Repos))]"""), "APP0114", "FromStep = nameof(Repos)");
        Assert.Contains("From = MapFrom.ChainInput names another source; set either From or FromStep", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0107_RequiredInputNotMapped()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map("Owner.Login", To = nameof(RepoRef.Owner))]"""), "APP0107", "Step(2)");
        Assert.Equal("Step 'Next': the required member 'Repo' (string) of its input 'RepoRef' is not mapped from 'Repo'; add [Map(\"<member of Repo>\", To = \"Repo\")]", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0108_TargetMappedTwice()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))] [Map("Owner.Login", To = nameof(RepoRef.Owner))] [Map(nameof(Repo.Description), To = nameof(RepoRef.Owner))]"""), "APP0108", "To = nameof(RepoRef.Owner)", occurrence: 2);
        Assert.Equal("Step 'Next': 'Owner' of the step's input 'RepoRef' is mapped more than once; keep one [Map] for it", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0109_MaxConcurrencyBelowOne()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))] [Map("Owner.Login", To = nameof(RepoRef.Owner))]""", step: "[Step(2, Mode = ProcessingMode.Parallel, MaxConcurrency = 0)]"), "APP0109", "MaxConcurrency = 0");
        Assert.Equal("Step 'Next': MaxConcurrency must be at least 1, not 0", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0109_MapOnTheFirstStep()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Chain]
            public partial class First
            {
                [Step(1)]
                [Map(nameof(Org.Login))]
                public partial OrgRepos Repos { get; }
            }
            """;

        var diagnostic = AssertOnly(source, "APP0109", "Map(nameof(Org.Login))");
        Assert.Contains("the first step takes the chain input as it is", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0110_InputCannotBeCreated()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map("Owner.Login", To = "Owner")]""", extractor: "NoCtorExtractor"), "APP0110", "Step(2)");
        Assert.Equal("Step 'Next': its input 'NoCtorInput' has no public constructor the chain can call to build it from mapped values", diagnostic.GetMessage());
    }

    [Fact]
    public void APP0111_ExtractorCannotBeCreated()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))] [Map("Owner.Login", To = nameof(RepoRef.Owner))]""", extractor: "Manual"), "APP0111", "Next");
        Assert.Contains("its extractor 'Manual' is not an [Extractor] class and has no public parameterless constructor", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0112_BatchedTargetIsNotACollection()
    {
        var diagnostic = AssertOnly(ChainSources.Chain("""[Batched(Size = 10)] [Map("Owner.Login", To = nameof(RepoNumber.Owner))] [Map(nameof(Repo.Stars), To = nameof(RepoNumber.Number))]""", extractor: "IssueByNumber"), "APP0112", "To = nameof(RepoNumber.Number)");
        Assert.Equal("Step 'Next' is [Batched]: 'Number' (int) of its input 'RepoNumber' receives one value per record of the batch, so it must be a string (comma-separated) or a collection of int, such as int[] or IReadOnlyList<int>", diagnostic.GetMessage());
    }

    [Fact]
    public void Several_mapping_mistakes_are_each_reported_at_their_argument()
    {
        string source = ChainSources.Chain("""[Map("Nme", To = nameof(RepoRef.Repo))] [Map("Owner.Login", To = "Ownr")]""");
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, source);

        Assert.Equal(["APP0104", "APP0105"], result.GeneratorDiagnostics.Select(d => d.Id).Order());
        Assert.Equal(["\"Nme\"", "To = \"Ownr\""], result.GeneratorDiagnostics.OrderBy(d => d.Id).Select(d => Text(source, d)));
        Assert.DoesNotContain(result.Sources, s => s.HintName.EndsWith(".Chain.g.cs", StringComparison.Ordinal));
    }

    /// <summary>The single generator diagnostic for <paramref name="source"/> (file Source2.cs), pointing at the given occurrence of <paramref name="spanText"/>.</summary>
    private static Diagnostic AssertOnly(string source, string id, string spanText, int occurrence = 1, bool compiles = true)
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, source);

        Assert.Null(result.RunResult.Exception);
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Source2.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(spanText, Text(source, diagnostic));
        Assert.Equal(Nth(source, spanText, occurrence), diagnostic.Location.SourceSpan.Start);
        Assert.EndsWith($"/docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Sources, s => s.HintName.EndsWith(".Chain.g.cs", StringComparison.Ordinal));
        Assert.Contains(result.Sources, s => s.HintName == "Demo.OrgRepos.g.cs");
        if (compiles)
        {
            // Only the chain is missing: the extractors were generated and compile.
            Assert.DoesNotContain(result.OutputErrors, e => e.Location.SourceTree?.FilePath is { } path && !path.EndsWith("Source2.cs", StringComparison.Ordinal));
        }

        return diagnostic;
    }

    private static string Text(string source, Diagnostic diagnostic) => source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);

    private static int Nth(string text, string marker, int occurrence)
    {
        int index = -1;
        for (int i = 0; i < occurrence; i++)
        {
            index = text.IndexOf(marker, index + 1, StringComparison.Ordinal);
            Assert.True(index >= 0, $"'{marker}' does not occur {occurrence} time(s)");
        }

        return index;
    }
}
