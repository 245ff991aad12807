using System.Collections.Immutable;
using ApiPipeline.Generators;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.Benchmarks;

/// <summary>
/// The ApiPipeline source generator on a project of 200 extractors (one file each, every pagination style, path placeholders and
/// [Query] members): a cold run (new driver, new compilation) and an incremental run after a one-line edit of one file, either of a
/// line the generator does not read (a method body) or of the extractor's own attribute (its PageSize). Syntax trees are parsed once
/// in setup; every operation binds a fresh compilation, as the IDE does after an edit.
/// </summary>
public class GeneratorBenchmarks
{
    private const int Extractors = 200;
    private const int EditedFile = 100;

    private static readonly string[] FrameworkAssemblies =
    [
        "System.Private.CoreLib", "System.Runtime", "netstandard", "System.Collections", "System.Linq", "System.Memory", "System.Net.Http",
        "System.Text.Json", "System.Threading.Channels", "System.Threading", "System.ComponentModel", "System.ComponentModel.Primitives",
    ];

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private ImmutableArray<MetadataReference> _references;
    private SyntaxTree[] _trees = [];
    private CSharpCompilation _compilation = null!;
    private GeneratorDriver _warmDriver = null!;
    private SyntaxTree _bodyEdit = null!;
    private SyntaxTree _attributeEdit = null!;

    [GlobalSetup]
    public void Setup()
    {
        _references = References();

        _trees = [Parse(Common, "Common.cs"), .. Enumerable.Range(0, Extractors).Select(i => Parse(ExtractorSource(i, pageSize: 100, edited: false), $"Extractor{i:D3}.cs"))];
        _bodyEdit = Parse(ExtractorSource(EditedFile, pageSize: 100, edited: true), $"Extractor{EditedFile:D3}.cs");
        _attributeEdit = Parse(ExtractorSource(EditedFile, pageSize: 250, edited: false), $"Extractor{EditedFile:D3}.cs");
        _compilation = NewCompilation();
        _warmDriver = NewDriver().RunGenerators(_compilation);

        var result = _warmDriver.GetRunResult();
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        // One file per extractor, plus whatever else the generator adds (e.g. a registry): at least 200.
        if (result.Results[0].Exception is { } ex || result.Results[0].GeneratedSources.Length < Extractors || errors.Count > 0)
        {
            throw new InvalidOperationException($"the generator did not produce {Extractors} extractor files: {result.Results[0].Exception} {string.Join("; ", errors)} ({result.Results[0].GeneratedSources.Length} files)");
        }
    }

    [Benchmark]
    [BenchmarkCategory("Generator, 200 extractors")]
    public GeneratorDriver Cold() => NewDriver().RunGenerators(NewCompilation());

    [Benchmark]
    [BenchmarkCategory("Generator, 200 extractors")]
    public GeneratorDriver OneLineEdit_MethodBody() => _warmDriver.RunGenerators(_compilation.ReplaceSyntaxTree(_trees[EditedFile + 1], _bodyEdit));

    [Benchmark]
    [BenchmarkCategory("Generator, 200 extractors")]
    public GeneratorDriver OneLineEdit_Attribute() => _warmDriver.RunGenerators(_compilation.ReplaceSyntaxTree(_trees[EditedFile + 1], _attributeEdit));

    /// <summary>The few framework assemblies extractor code needs, plus the runtime (a small set binds much faster than all of them).</summary>
    internal static ImmutableArray<MetadataReference> References()
    {
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        return [.. FrameworkAssemblies.Select(n => (MetadataReference)MetadataReference.CreateFromFile(trusted[n])),
            MetadataReference.CreateFromFile(typeof(ExtractorAttribute).Assembly.Location)];
    }

    private CSharpCompilation NewCompilation()
        => CSharpCompilation.Create("Bench", _trees, _references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    private static GeneratorDriver NewDriver()
        => CSharpGeneratorDriver.Create([new PipelineGenerator().AsSourceGenerator()], parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: false));

    private static SyntaxTree Parse(string source, string path) => CSharpSyntaxTree.ParseText(source, ParseOptions, path);

    internal static string ExtractorSource(int i, int pageSize, bool edited)
    {
        string paginated = (i % 6) switch
        {
            0 => $"[Paginated(Pagination.Cursor, RecordsPath = \"data\", CursorPath = \"meta.next_cursor\", PageSize = {pageSize})]",
            1 => $"[Paginated(Pagination.Offset, RecordsPath = \"results\", TotalPath = \"total\", PageSize = {pageSize})]",
            2 => $"[Paginated(Pagination.LinkHeader, PageSize = {pageSize}, PageSizeParam = \"per_page\")]",
            3 => $"[Paginated(Pagination.PageNumber, RecordsPath = \"items\", TotalPagesPath = \"pages\", PageSize = {pageSize})]",
            4 => $"[Paginated(Pagination.NextUrl, RecordsPath = \"data\", NextUrlPath = \"links.next\", PageSize = {pageSize})]",
            _ => $"[Paginated(Pagination.HeaderCursor, CursorHeader = \"X-Next-Cursor\", PageSize = {pageSize})]",
        };
        return $$"""
            using System;
            using ApiPipeline;

            namespace Bench.Api{{i / 50}};

            /// <summary>Extractor {{i}}.</summary>
            [Extractor("https://api.example.com", "/v1/orgs/{org}/repos/{repo}/things{{i}}", Json = typeof(global::Bench.BenchJson))]
            {{paginated}}
            public sealed partial class Things{{i}} : IExtractor<global::Bench.RepoQuery, global::Bench.Thing>
            {
                public static int Helper() => {{(edited ? 2 : 1)}};
            }
            """;
    }

    internal const string Common = """
        using System;
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using System.Text.Json.Serialization.Metadata;
        using ApiPipeline;

        namespace Bench;

        public sealed record Thing(long Id, string Name, DateTimeOffset UpdatedAt);

        public sealed record RepoQuery(string Org, string Repo, [property: Query] string? State = null, [property: Query("since")] DateTimeOffset? UpdatedSince = null, [property: Query] int? Priority = null);

        internal sealed class BenchJson : JsonSerializerContext
        {
            public BenchJson() : base(null) { }
            public static BenchJson Default { get; } = new();
            protected override JsonSerializerOptions? GeneratedSerializerOptions => null;
            public override JsonTypeInfo? GetTypeInfo(Type type) => null;
        }
        """;
}
