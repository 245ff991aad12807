using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.Generators.Tests;

/// <summary>What one run of <see cref="PipelineGenerator"/> produced.</summary>
/// <param name="Input">The compilation the generator ran on.</param>
/// <param name="Output">The compilation with the generated sources added.</param>
/// <param name="Driver">The driver after the run, to run again incrementally.</param>
internal sealed record HarnessResult(CSharpCompilation Input, Compilation Output, GeneratorDriver Driver)
{
    public GeneratorRunResult RunResult => Driver.GetRunResult().Results.Single();

    /// <summary>The generated files, by hint name, without the per-assembly registry (<see cref="AllSources"/> has it too).</summary>
    public ImmutableArray<GeneratedSourceResult> Sources => [.. RunResult.GeneratedSources.Where(s => s.HintName != global::ApiPipeline.Generators.Chaining.RegistryEmitter.HintName)];

    /// <summary>Every generated file, the registry included.</summary>
    public ImmutableArray<GeneratedSourceResult> AllSources => RunResult.GeneratedSources;

    /// <summary>The diagnostics the generator reported (plus the driver's own, such as CS8785 "generator failed").</summary>
    public ImmutableArray<Diagnostic> GeneratorDiagnostics => Driver.GetRunResult().Diagnostics;

    /// <summary>The errors of the output compilation (user code plus generated code).</summary>
    public ImmutableArray<Diagnostic> OutputErrors => Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();

    /// <summary>The text of the single generated file.</summary>
    public string SingleSourceText => Assert.Single(Sources).SourceText.ToString();

    /// <summary>
    /// Emits the output compilation, loads it into a collectible context and runs the generated URL builder of
    /// <paramref name="extractor"/> on a new <paramref name="inputType"/> made from <paramref name="inputArguments"/>.
    /// </summary>
    public string BuildRelativeUrl(string extractor, string inputType, params object?[] inputArguments)
    {
        using var stream = new MemoryStream();
        var emitted = Output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var context = new AssemblyLoadContext(nameof(BuildRelativeUrl), isCollectible: true);
        try
        {
            stream.Position = 0;
            var assembly = context.LoadFromStream(stream);
            var input = Activator.CreateInstance(assembly.GetType(inputType, throwOnError: true)!, inputArguments);
            var definition = assembly.GetType(extractor, throwOnError: true)!.GetProperty("Definition", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            var build = (Delegate)definition.GetType().GetProperty("BuildRelativeUrl")!.GetValue(definition)!;
            return (string)build.DynamicInvoke(input)!;
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Fails with the errors listed when the output compilation does not compile.</summary>
    public void AssertCompiles()
    {
        Assert.Null(RunResult.Exception);
        var errors = OutputErrors;
        Assert.True(errors.IsEmpty, "The output compilation has errors:\n" + string.Join("\n", errors.Select(e => e.ToString())));
    }

    /// <summary>Compiles, and fails with the warnings listed when a generated file (extractor part, chain part or registry) has any.</summary>
    public void AssertNoWarningsInGeneratedCode()
    {
        AssertCompiles();
        var generated = AllSources.Select(s => s.HintName).ToHashSet();
        var warnings = Output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Any(h => tree.FilePath.EndsWith(h, StringComparison.Ordinal)))
            .ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
    }
}

/// <summary>Builds small compilations and runs <see cref="PipelineGenerator"/> on them, tracking incremental steps.</summary>
internal static class GeneratorHarness
{
    /// <summary>The few framework assemblies generated code and test sources need, plus the ApiPipeline runtime; computed once.</summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences, LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly string[] FrameworkAssemblies =
    [
        "System.Private.CoreLib",
        "System.Runtime",
        "netstandard",
        "System.Collections",
        "System.Linq",
        "System.Linq.Expressions",
        "System.Memory",
        "System.Net.Http",
        "System.Text.Json",
        "System.Threading.Channels",
        "System.Threading",
        "System.ComponentModel",
        "System.ComponentModel.Primitives",
    ];

    /// <summary>The shared framework folder this process runs on; its copy wins when an assembly is listed twice.</summary>
    private static readonly string? FrameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location);

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static ImmutableArray<MetadataReference> MetadataReferences => References.Value;

    /// <summary>A library compilation of <paramref name="sources"/>; file <c>i</c> is named <c>Source{i}.cs</c>.</summary>
    public static CSharpCompilation CreateCompilation(params string[] sources)
        => CSharpCompilation.Create(
            "TestAssembly",
            sources.Select((source, i) => Parse(source, $"Source{i}.cs")),
            MetadataReferences,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static SyntaxTree Parse(string source, string path) => CSharpSyntaxTree.ParseText(source, ParseOptions, path);

    /// <summary>A fresh driver for the generator with step tracking on.</summary>
    public static GeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create(
            [new PipelineGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static HarnessResult Run(params string[] sources) => Run(CreateCompilation(sources));

    public static HarnessResult Run(CSharpCompilation compilation, GeneratorDriver? driver = null)
    {
        driver = (driver ?? CreateDriver()).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return new HarnessResult(compilation, output, driver);
    }

    /// <summary>The 0-based line of the first occurrence of <paramref name="marker"/> in <paramref name="source"/>.</summary>
    public static int LineOf(string source, string marker)
    {
        int index = source.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(index >= 0, $"Marker '{marker}' is not in the source.");
        return source.AsSpan(0, index).Count('\n');
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.OrderBy(p => Path.GetDirectoryName(p) == FrameworkDirectory ? 0 : 1).First(), StringComparer.OrdinalIgnoreCase);

        var references = ImmutableArray.CreateBuilder<MetadataReference>();
        foreach (var name in FrameworkAssemblies)
        {
            if (!trusted.TryGetValue(name, out var path))
            {
                throw new InvalidOperationException($"The framework assembly {name} is not among the trusted platform assemblies.");
            }

            references.Add(MetadataReference.CreateFromFile(path));
        }

        references.Add(MetadataReference.CreateFromFile(typeof(ExtractorAttribute).Assembly.Location));
        return references.ToImmutable();
    }
}
