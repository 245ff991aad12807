using System.Collections.Immutable;
using System.Reflection;
using System.Text.RegularExpressions;
using ApiPipeline.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>
/// The documentation's complete C# samples (a <c>```csharp</c> block that starts with <c>using</c>: a whole Program.cs) compile as a
/// console app with implicit usings, through ApiPipeline's and System.Text.Json's generators, with no error and no APP diagnostic.
/// </summary>
public sealed partial class DocSampleTests
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        [.. ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !Path.GetFileName(p).StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase))
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .Select(g => (MetadataReference)MetadataReference.CreateFromFile(g.First()))]);

    // What the SDK's ImplicitUsings gives a console app.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    public static TheoryData<string, int> Samples()
    {
        var data = new TheoryData<string, int>();
        foreach (string file in new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(AllComponents.RepoRoot, "docs"), "*.md").Select(f => Path.Combine("docs", Path.GetFileName(f)))).Order(StringComparer.Ordinal))
        {
            int count = CompleteSamples(file).Count;
            for (int i = 0; i < count; i++)
            {
                data.Add(file.Replace('\\', '/'), i);
            }
        }

        return data;
    }

    [Fact]
    public void README_and_the_chains_guide_hold_complete_samples() // so that the theory below cannot pass by finding none
    {
        Assert.NotEmpty(CompleteSamples("README.md"));
        Assert.NotEmpty(CompleteSamples(Path.Combine("docs", "chains.md")));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task A_complete_sample_builds_as_a_program_without_diagnostics(string file, int index)
    {
        string sample = CompleteSamples(file)[index];
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "DocSample",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, parse, "Usings.cs"), CSharpSyntaxTree.ParseText(sample, parse, "Program.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var driver = CSharpGeneratorDriver.Create([new PipelineGenerator().AsSourceGenerator(), JsonGenerator()], parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);

        var found = driver.GetRunResult().Diagnostics.Concat(await output.WithAnalyzers(AllComponents.Analyzers).GetAllDiagnosticsAsync())
            .Where(d => d.Id.StartsWith("APP", StringComparison.Ordinal) || d.Severity == DiagnosticSeverity.Error)
            .ToList();

        Assert.True(found.Count == 0, $"{file}, sample {index + 1}:\n" + string.Join("\n", found.Select(d => $"{d.Id} ({d.Severity}) {d.GetMessage()} at {d.Location.GetLineSpan()}")));
    }

    private static List<string> CompleteSamples(string file)
        => [.. CSharpBlock().Matches(File.ReadAllText(Path.Combine(AllComponents.RepoRoot, file))).Select(m => m.Groups[1].Value).Where(code => code.StartsWith("using ", StringComparison.Ordinal))];

    [GeneratedRegex(@"^```csharp\r?\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    /// <summary>System.Text.Json's source generator from the SDK's reference pack (the samples' contexts need it).</summary>
    private static ISourceGenerator JsonGenerator()
    {
        string shared = Path.GetDirectoryName(typeof(object).Assembly.Location)!; // <dotnet>/shared/Microsoft.NETCore.App/<version>
        string packs = Path.GetFullPath(Path.Combine(shared, "..", "..", "..", "packs", "Microsoft.NETCore.App.Ref"));
        string dll = Directory.GetFiles(packs, "System.Text.Json.SourceGeneration.dll", SearchOption.AllDirectories)
            .Where(p => p.Contains(Path.Combine("analyzers", "dotnet", "cs"), StringComparison.Ordinal)).OrderByDescending(p => p, StringComparer.Ordinal).First();
        var type = Assembly.LoadFrom(dll).GetTypes().First(t => typeof(IIncrementalGenerator).IsAssignableFrom(t) && !t.IsAbstract);
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    }
}
