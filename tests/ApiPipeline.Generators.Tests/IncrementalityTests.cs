using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests;

/// <summary>
/// The generator's tracked steps across two runs: an unrelated edit leaves everything cached, moving an extractor re-parses it
/// but emits nothing, and changing its template re-emits only that extractor.
/// </summary>
public sealed class IncrementalityTests
{
    private const string SourceOutput = "SourceOutput";

    [Fact]
    public void AddingAnUnrelatedFile_LeavesEveryStepCached()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, TestSources.Extractor());
        var first = GeneratorHarness.Run(compilation);
        Assert.Single(first.Sources);

        var second = GeneratorHarness.Run(
            compilation.AddSyntaxTrees(GeneratorHarness.Parse("namespace Demo; public sealed class Unrelated { public int Value { get; set; } }", "Unrelated.cs")),
            first.Driver);

        var run = second.RunResult;

        // A new compilation re-runs the attribute transform (FAWMN binds against it), but the result is equal...
        AssertReasons(run, TrackingNames.Extractors, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);

        // ...so nothing downstream runs.
        AssertReasons(run, TrackingNames.Specs, IncrementalStepRunReason.Cached);
        AssertReasons(run, SourceOutput, IncrementalStepRunReason.Cached);
        Assert.Equal(first.SingleSourceText, second.SingleSourceText);
    }

    [Fact]
    public void MovingTheExtractor_ReparsesButDoesNotReEmit()
    {
        string source = TestSources.Extractor();
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, source);
        var first = GeneratorHarness.Run(compilation);

        var oldTree = compilation.SyntaxTrees[1];
        var moved = source.Replace("namespace Demo;", "namespace Demo;\n\n// A comment and blank lines push the extractor down.\n\n\n", StringComparison.Ordinal);
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(moved, oldTree.FilePath)), first.Driver);

        var run = second.RunResult;

        // The edited file was parsed again (not Cached) and gave an equal result (Unchanged)...
        AssertReasons(run, TrackingNames.Extractors, IncrementalStepRunReason.Unchanged);

        // ...so the spec is not new and no source is re-emitted.
        AssertReasons(run, TrackingNames.Specs, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertReasons(run, SourceOutput, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.Equal(first.SingleSourceText, second.SingleSourceText);
    }

    [Fact]
    public void MovingAnInvalidExtractor_ReportsTheDiagnosticAtItsNewLine()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/repos/{nope}", Json = typeof(TestJson))]
            public partial class Broken : IExtractor<RepoRef, Item>;
            """;
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, source);
        var first = GeneratorHarness.Run(compilation);
        Assert.Equal(GeneratorHarness.LineOf(source, "[Extractor("), DiagnosticLine(first, "APP0003"));

        var oldTree = compilation.SyntaxTrees[1];
        string moved = source.Replace("namespace Demo;", "namespace Demo;\n\n\n", StringComparison.Ordinal);
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(moved, oldTree.FilePath)), first.Driver);

        // The result carries the location, so it changes; there is still no spec and no source.
        AssertReasons(second.RunResult, TrackingNames.Extractors, IncrementalStepRunReason.Modified);
        AssertReasons(second.RunResult, TrackingNames.Diagnostics, IncrementalStepRunReason.Modified);
        Assert.Empty(second.Sources);
        Assert.Equal(GeneratorHarness.LineOf(moved, "[Extractor("), DiagnosticLine(second, "APP0003"));
    }

    [Fact]
    public void ChangingThePathTemplate_ReEmitsOnlyThatExtractor()
    {
        string changing = TestSources.Extractor("Items", "/repos/{owner}/{repo}/items");
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, changing, TestSources.Extractor("Others", "/others/{owner}"));
        var first = GeneratorHarness.Run(compilation);
        Assert.Equal(2, first.Sources.Length);

        var oldTree = compilation.SyntaxTrees[1];
        string edited = changing.Replace("/items\"", "/pulls\"", StringComparison.Ordinal);
        Assert.NotEqual(changing, edited);
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(edited, oldTree.FilePath)), first.Driver);

        var run = second.RunResult;

        // The edited extractor is Modified; the other is re-run against the new compilation but equal (Unchanged) or Cached.
        var extractors = OutputReasons(run, TrackingNames.Extractors);
        Assert.Equal(2, extractors.Length);
        Assert.Single(extractors, r => r == IncrementalStepRunReason.Modified);
        Assert.Single(extractors, r => r is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached);

        var specs = OutputReasons(run, TrackingNames.Specs);
        Assert.Equal(2, specs.Length);
        Assert.Single(specs, r => r == IncrementalStepRunReason.Modified);
        Assert.Single(specs, r => r is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached);

        var outputs = OutputReasons(run, SourceOutput);
        Assert.Single(outputs, r => r == IncrementalStepRunReason.Modified);
        Assert.DoesNotContain(IncrementalStepRunReason.New, outputs);

        string items = second.Sources.Single(s => s.HintName == "Demo.Items.g.cs").SourceText.ToString();
        Assert.Contains("PathTemplate = \"/repos/{owner}/{repo}/pulls\",", items, StringComparison.Ordinal);
        Assert.Contains("url.Literal(\"/pulls\");", items, StringComparison.Ordinal);
        Assert.Equal(
            first.Sources.Single(s => s.HintName == "Demo.Others.g.cs").SourceText.ToString(),
            second.Sources.Single(s => s.HintName == "Demo.Others.g.cs").SourceText.ToString());
        second.AssertCompiles();
    }

    [Fact]
    public void EditingOneLineOfOneExtractor_LeavesTheOtherExtractorsOutputsCached()
    {
        string changing = TestSources.Extractor("Items", "/repos/{owner}/{repo}/items");
        var compilation = GeneratorHarness.CreateCompilation(
            TestSources.Common, changing, TestSources.Extractor("Others", "/others/{owner}"), TestSources.Extractor("More", "/more/{repo}"));
        var first = GeneratorHarness.Run(compilation);
        Assert.Equal(["Demo.Items.g.cs", "Demo.More.g.cs", "Demo.Others.g.cs"], first.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));

        var oldTree = compilation.SyntaxTrees[1];
        string edited = changing.Replace("/items\"", "/pulls\"", StringComparison.Ordinal);
        Assert.NotEqual(changing, edited);
        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(oldTree, GeneratorHarness.Parse(edited, oldTree.FilePath)), first.Driver);

        var run = second.RunResult;

        // No two hint names are the same ignoring case, before or after, so the set every spec is combined with stays as it was...
        AssertReasons(run, TrackingNames.CollidingHintNames, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);

        // ...and only the edited extractor's source is written again.
        var reasons = ExtractorOutputReasons(run);
        Assert.Equal(IncrementalStepRunReason.Modified, reasons["Demo.Items.g.cs"]);
        Assert.Equal(IncrementalStepRunReason.Cached, reasons["Demo.Others.g.cs"]);
        Assert.Equal(IncrementalStepRunReason.Cached, reasons["Demo.More.g.cs"]);
        Assert.Equal(3, reasons.Count);
        foreach (var other in new[] { "Demo.Others.g.cs", "Demo.More.g.cs" })
        {
            Assert.Equal(
                first.Sources.Single(s => s.HintName == other).SourceText.ToString(),
                second.Sources.Single(s => s.HintName == other).SourceText.ToString());
        }

        second.AssertCompiles();
    }

    private static int DiagnosticLine(HarnessResult result, string id)
        => Assert.Single(result.GeneratorDiagnostics, d => d.Id == id).Location.GetLineSpan().StartLinePosition.Line;

    private static IncrementalStepRunReason[] OutputReasons(GeneratorRunResult run, string step)
    {
        Assert.True(run.TrackedSteps.ContainsKey(step) || run.TrackedOutputSteps.ContainsKey(step), $"No tracked step '{step}'.");
        var steps = run.TrackedSteps.TryGetValue(step, out var tracked) ? tracked : run.TrackedOutputSteps[step];
        return steps.SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
    }

    /// <summary>The reason of each extractor's source output, by the readable hint name of the spec it was written from.</summary>
    private static Dictionary<string, IncrementalStepRunReason> ExtractorOutputReasons(GeneratorRunResult run)
    {
        var reasons = new Dictionary<string, IncrementalStepRunReason>();
        foreach (var step in run.TrackedOutputSteps[SourceOutput])
        {
            var (source, index) = step.Inputs.Single();
            if (source.Outputs[index].Value is (ExtractorSpec spec, ImmutableEquatableArray<string>))
            {
                reasons.Add(spec.HintName, step.Outputs.Single().Reason);
            }
        }

        return reasons;
    }

    /// <summary>Every output of <paramref name="step"/> has one of <paramref name="allowed"/> reasons, and there is at least one output.</summary>
    private static void AssertReasons(GeneratorRunResult run, string step, params IncrementalStepRunReason[] allowed)
    {
        var reasons = OutputReasons(run, step);
        Assert.NotEmpty(reasons);
        Assert.True(
            reasons.All(allowed.Contains),
            $"Step '{step}' outputs were [{string.Join(", ", reasons)}], expected only [{string.Join(", ", allowed)}].");
    }
}
