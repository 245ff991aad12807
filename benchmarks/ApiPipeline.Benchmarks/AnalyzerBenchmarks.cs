using System.Collections.Immutable;
using ApiPipeline.Generators;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Benchmarks;

/// <summary>
/// Every ApiPipeline analyzer over the 200-extractor project of <see cref="GeneratorBenchmarks"/> (with the generator's output
/// added, as in a real build): the time and allocations of one full analysis, which is what a build or a "run code analysis" costs.
/// The budget is this number, not a timed unit test.
/// </summary>
public class AnalyzerBenchmarks
{
    private Compilation _compilation = null!;
    private ImmutableArray<DiagnosticAnalyzer> _analyzers;

    [GlobalSetup]
    public void Setup()
    {
        var references = GeneratorBenchmarks.References();
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = Enumerable.Range(0, 200)
            .Select(i => CSharpSyntaxTree.ParseText(GeneratorBenchmarks.ExtractorSource(i, pageSize: 100, edited: false), parse, $"Extractor{i:D3}.cs"))
            .Prepend(CSharpSyntaxTree.ParseText(GeneratorBenchmarks.Common, parse, "Common.cs"));
        var compilation = CSharpCompilation.Create("Bench", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create([new PipelineGenerator().AsSourceGenerator()], parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out _compilation, out _);

        // A benchmark may find the analyzers by reflection; the shipped code never does.
        _analyzers = [.. System.Reflection.Assembly.Load("ApiPipeline.Analyzers").GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)];
        if (_analyzers.Length == 0)
        {
            throw new InvalidOperationException("no analyzers found");
        }
    }

    /// <summary>The compiler alone: binding and compiler diagnostics of a fresh copy of the compilation (the bar).</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Analyzers, 200 extractors")]
    public int CompilerOnly() => _compilation.Clone().GetDiagnostics().Length;

    /// <summary>The compiler plus every ApiPipeline analyzer on a fresh copy: the difference is what the analyzers cost.</summary>
    [Benchmark]
    [BenchmarkCategory("Analyzers, 200 extractors")]
    public async Task<int> CompilerAndAllAnalyzers()
        => (await _compilation.Clone().WithAnalyzers(_analyzers).GetAllDiagnosticsAsync().ConfigureAwait(false)).Length;
}
