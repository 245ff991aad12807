using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>
/// The chain and registry branches across two runs: an unrelated edit leaves them cached, moving a chain re-parses it but emits nothing,
/// changing a mapping re-emits that chain only, and the registry is re-emitted only when an extractor's shape or an output type changes
/// (moving an output class re-emits nothing).
/// </summary>
public sealed class ChainIncrementalityTests
{
    private const string SourceOutput = "SourceOutput";

    [Fact]
    public void AddingAnUnrelatedFile_LeavesTheChainAndRegistryCached()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues);
        var first = GeneratorHarness.Run(compilation);

        var second = GeneratorHarness.Run(compilation.AddSyntaxTrees(GeneratorHarness.Parse("namespace Demo; public sealed class Unrelated { }", "Unrelated.cs")), first.Driver);

        var run = second.RunResult;
        AssertReasons(run, TrackingNames.Chains, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertReasons(run, TrackingNames.ChainSpecs, IncrementalStepRunReason.Cached);
        AssertReasons(run, TrackingNames.RegistryExtractors, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertReasons(run, TrackingNames.Registry, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertReasons(run, SourceOutput, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.Equal(Texts(first), Texts(second));
    }

    [Fact]
    public void MovingTheChain_ReparsesButDoesNotReEmit()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues);
        var first = GeneratorHarness.Run(compilation);

        var oldTree = compilation.SyntaxTrees[2];
        string moved = ChainSources.OrgIssues.Replace("namespace Demo;", "namespace Demo;\n\n// Pushed down.\n\n", StringComparison.Ordinal);
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(moved, oldTree.FilePath)), first.Driver);

        var run = second.RunResult;
        AssertReasons(run, TrackingNames.Chains, IncrementalStepRunReason.Unchanged);
        AssertReasons(run, TrackingNames.ChainSpecs, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertReasons(run, SourceOutput, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.Equal(Texts(first), Texts(second));
    }

    [Fact]
    public void ChangingAMapping_ReEmitsTheChainButNotTheRegistry()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues);
        var first = GeneratorHarness.Run(compilation);

        var oldTree = compilation.SyntaxTrees[2];
        string edited = ChainSources.OrgIssues.Replace("[Map(\"Owner.Login\"", "[Map(nameof(Repo.Description)", StringComparison.Ordinal);
        Assert.NotEqual(ChainSources.OrgIssues, edited);
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(edited, oldTree.FilePath)), first.Driver);

        var run = second.RunResult;
        AssertReasons(run, TrackingNames.Chains, IncrementalStepRunReason.Modified);
        AssertReasons(run, TrackingNames.ChainSpecs, IncrementalStepRunReason.Modified);
        AssertReasons(run, TrackingNames.Registry, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.Single(OutputReasons(run, SourceOutput), r => r == IncrementalStepRunReason.Modified);

        string chain = second.Sources.Single(s => s.HintName == "Demo.OrgIssues.Chain.g.cs").SourceText.ToString();
        Assert.Contains("Owner: (parent.Description ?? throw global::ApiPipeline.ChainMappingException.NullValue(\"Issues\", \"Description\", \"Owner\"))", chain, StringComparison.Ordinal);
        second.AssertCompiles();
    }

    [Fact]
    public void ChangingARecordMember_ReEmitsTheRegistry()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues);
        var first = GeneratorHarness.Run(compilation);

        var oldTree = compilation.SyntaxTrees[1];
        string edited = ChainSources.Model.Replace("public sealed record Issue(long Id, int Number, string Title);", "public sealed record Issue(long Id, int Number, string Title, string? Body = null);", StringComparison.Ordinal);
        Assert.NotEqual(ChainSources.Model, edited);
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(edited, oldTree.FilePath)), first.Driver);

        AssertReasons(second.RunResult, TrackingNames.Registry, IncrementalStepRunReason.Modified);
        Assert.Contains("new(\"Body\", typeof(string), \"string?\", global::ApiPipeline.ShapeWrite.Optional, true, true),", second.AllSources.Single(s => s.HintName == global::ApiPipeline.Generators.Chaining.RegistryEmitter.HintName).SourceText.ToString(), StringComparison.Ordinal);
        second.AssertCompiles();
    }

    [Fact]
    public void MovingABrokenChain_ReportsTheDiagnosticAtItsNewLine()
    {
        string source = ChainSources.Chain("""[Map("Nme", To = nameof(RepoRef.Repo))] [Map("Owner.Login", To = nameof(RepoRef.Owner))]""");
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, ChainSources.Model, source);
        var first = GeneratorHarness.Run(compilation);
        Assert.Equal(GeneratorHarness.LineOf(source, "[Map(\"Nme\""), Line(first));

        var oldTree = compilation.SyntaxTrees[2];
        string moved = source.Replace("namespace Demo;", "namespace Demo;\n\n\n", StringComparison.Ordinal);
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(moved, oldTree.FilePath)), first.Driver);

        AssertReasons(second.RunResult, TrackingNames.ChainDiagnostics, IncrementalStepRunReason.Modified);
        Assert.Equal(GeneratorHarness.LineOf(moved, "[Map(\"Nme\""), Line(second));
    }

    [Fact]
    public void MovingAnOutputClass_ReEmitsNothing_RenamingIt_ReEmitsTheRegistry()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues, OutputRegistryTests.Outputs);
        var first = GeneratorHarness.Run(compilation);
        var oldTree = compilation.SyntaxTrees[3];

        string moved = OutputRegistryTests.Outputs.Replace("namespace Demo;", "namespace Demo;\n\n// Pushed down.\n\n", StringComparison.Ordinal);
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(moved, oldTree.FilePath)), first.Driver);
        AssertReasons(second.RunResult, TrackingNames.Outputs, IncrementalStepRunReason.Modified);
        AssertReasons(second.RunResult, TrackingNames.RegistryOutputs, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertReasons(second.RunResult, TrackingNames.Registry, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertReasons(second.RunResult, SourceOutput, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.Equal(Texts(first), Texts(second));

        string renamed = OutputRegistryTests.Outputs.Replace("[Output(\"console\",", "[Output(\"terminal\",", StringComparison.Ordinal);
        var third = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(renamed, oldTree.FilePath)), first.Driver);
        AssertReasons(third.RunResult, TrackingNames.Registry, IncrementalStepRunReason.Modified);
        Assert.Contains(": base(\"terminal\", \"Demo.ConsoleOutput<T>\", new string[] { \"prefix\", \"width\" })", third.AllSources.Single(s => s.HintName == global::ApiPipeline.Generators.Chaining.RegistryEmitter.HintName).SourceText.ToString(), StringComparison.Ordinal);
    }

    private static int Line(HarnessResult result)
        => Assert.Single(result.GeneratorDiagnostics, d => d.Id == "APP0104").Location.GetLineSpan().StartLinePosition.Line;

    private static string[] Texts(HarnessResult result) => [.. result.AllSources.OrderBy(s => s.HintName, StringComparer.Ordinal).Select(s => s.SourceText.ToString())];

    private static IncrementalStepRunReason[] OutputReasons(GeneratorRunResult run, string step)
    {
        Assert.True(run.TrackedSteps.ContainsKey(step) || run.TrackedOutputSteps.ContainsKey(step), $"No tracked step '{step}'.");
        var steps = run.TrackedSteps.TryGetValue(step, out var tracked) ? tracked : run.TrackedOutputSteps[step];
        return [.. steps.SelectMany(s => s.Outputs).Select(o => o.Reason)];
    }

    private static void AssertReasons(GeneratorRunResult run, string step, params IncrementalStepRunReason[] allowed)
    {
        var reasons = OutputReasons(run, step);
        Assert.NotEmpty(reasons);
        Assert.True(reasons.All(allowed.Contains), $"Step '{step}' outputs were [{string.Join(", ", reasons)}], expected only [{string.Join(", ", allowed)}].");
    }
}
