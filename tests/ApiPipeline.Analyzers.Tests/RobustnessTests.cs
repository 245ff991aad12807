using System.Collections.Immutable;
using ApiPipeline.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>
/// Incomplete and malformed sources, as the IDE sees them mid-edit: no analyzer may throw (AD0001), and no code fix may throw
/// while it registers or computes its change.
/// </summary>
public class RobustnessTests
{
    private const string Prelude = """
        using System;
        using System.Text.Json.Serialization;
        using ApiPipeline;

        public sealed record Item(long Id, string Name);
        public sealed record RepoRef(string Owner, string Repo);

        [JsonSerializable(typeof(Item))]
        internal partial class ShopJson : JsonSerializerContext;

        """;

    public static TheoryData<string> BrokenSources() =>
    [
        """[Extractor(""",
        """[Extractor("https://api.example.com", )] public partial class A : IExtractor<,>""",
        """[Extractor(null, null, Json = typeof(Missing))] public partial class B : IExtractor<Missing, Item>;""",
        """[Extractor(1, 2, Json = 3, Name = 4)] public partial class C : IExtractor<NoInput, Item>;""",
        """[Extractor] public partial class D : IExtractor<NoInput, Item>;""",
        """[Extractor(path: "/items", baseUrl: "https://x.example")] [Paginated((Pagination)99, PageSize = "x", CursorPath = 5)] public partial class E : IExtractor<NoInput, Item>;""",
        """[Extractor("https://x.example", "/items", Json = typeof(ShopJson))] [Paginated] public partial class F : IExtractor<NoInput, Item>;""",
        """[Extractor("https://x.example", "/{owner/{}/}}{{/{repo}?&&=&api_key&=x&token={", Json = typeof(ShopJson))] public partial class G : IExtractor<RepoRef, Item>;""",
        """[Extractor("http://[::1", "?", Json = typeof(int))] public partial class H : IExtractor<string, int>;""",
        """[Extractor("https://x.example", "/{length}", Json = typeof(ShopJson))] public partial class I<T> : IExtractor<T, Item>;""",
        """[Extractor("https://x.example", "/a", Json = typeof(ShopJson))] public partial struct J : IExtractor<NoInput, Item>;""",
        """[Extractor("https://x.example", "/a", Json = typeof(ShopJson))] public partial class K : IExtractor<NoInput, Item>, IExtractor<RepoRef, Item>;""",
        """[Extractor("https://x.example", "/a", Json = typeof(ShopJson))][Extractor("https://y.example", "/b")] public partial class L : IExtractor<NoInput, Item>;""",
        """public record Q([property: Query(null)] string A, [property: Query(123)] int B, [Query] string C); [Extractor("https://x.example", "/{a}?a=1", Json = typeof(ShopJson), Name = null)] [Paginated(Pagination.PageNumber, PageParam = null, PageSize = -5)] public partial class M : IExtractor<Q, Item>;""",
        """[JsonSerializable] internal partial class BadJson : JsonSerializerContext; [Extractor("https://x.example", "/a", Json = typeof(BadJson), Name = "")] public partial class N : IExtractor<NoInput, Item>;""",
        """const string P = "/a?token=" + X; [Extractor("https://x.example", P, Json = typeof(ShopJson))] public partial class O : IExtractor<NoInput, Item>;""",
        """[Extractor("https://x.example", "items", Json = typeof(ShopJson))] public partial class P : IExtractor<NoInput,""",
        """public class Outer<T> { [Extractor("https://x.example/v1", "items?api_key=1", Json = typeof(ShopJson))] public class R : IExtractor<NoInput, Item> { } }""",
        """[Extractor("https://u:p@x.example", "/a", Json = typeof(ShopJson))] public class S : IExtractor<NoInput, Item>;""",
        """[Paginated(Pagination.Cursor, CursorPath = "..")] public class T;""",
        """public record In(string A) { public string A2 => A; public string this[int i] => ""; public static string S = ""; } [Extractor("https://x.example", "/{a}/{b}", Json = typeof(ShopJson))] public partial class U : IExtractor<In, Item>;""",
        """[Extractor("https://x.example", "/a", Json = typeof(ShopJson))] public partial class V : IExtractor<NoInput, Missing>;""",
        """[Extractor("https://x.example", "/{x}", Json = typeof(ShopJson))] public partial class W : IExtractor<Item[], Item>;""",
        """[Extractor("https://x.example", "/{rep}", Json = typeof(ShopJson))] public partial class X : IExtractor<RepoRef, Item>""",
        """[Extractor("https://x.example", "/a", Json = typeof(ShopJson))] [Retry(MaxRetries = "x", BaseDelay = 5, MaxDelay = null)] [Timeouts(Total = "1 hour", PerAttempt = )] [RateLimited(RequestsPerSecond = double.NaN, Burst = -1, RecoveryInterval = "")] [CircuitBreaker(FailureRatio = double.PositiveInfinity)] public partial class Y : IExtractor<NoInput, Item>;""",
        """[Extractor("https://x.example", "/a", Json = typeof(ShopJson))] [Auth((AuthKind)42, Secret = null, Id = 5)] [Watermark(null, Lag = "5m", Key = null)] public partial class Z : IExtractor<NoInput, Missing>;""",
        """[Extractor("https://x.example", "/a", Json = typeof(ShopJson))] [Watermark("Name", Lag = "1h")] public partial class Z2 : IExtractor<NoInput, int[]>;""",
        """[Chain] public partial class Ch { [Step(1, Mode = ProcessingMode.Parallel)] public partial Missing A { get; } [Step(2, Mode = (ProcessingMode)7)] public partial Item B { get; } [Step] public int C => 1; }""",
    ];

    [Theory]
    [MemberData(nameof(BrokenSources))]
    public async Task No_analyzer_or_code_fix_throws(string source)
    {
        var exceptions = new List<string>();
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var documentId = DocumentId.CreateNewId(projectId);
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(
                projectId,
                VersionStamp.Default,
                "Broken",
                "Broken",
                LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                metadataReferences: TestReferences.All))
            .AddDocument(documentId, "Broken.cs", SourceText.From(Prelude + source));
        var project = solution.GetProject(projectId)!;
        var compilation = (await project.GetCompilationAsync())!;

        // The generator's own diagnostics (APP000x), so their fixers run too.
        var driver = CSharpGeneratorDriver.Create(new PipelineGenerator()).RunGenerators(compilation);
        var generatorResult = driver.GetRunResult();
        Assert.All(generatorResult.Results, r => Assert.Null(r.Exception));

        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions([]),
            onAnalyzerException: (exception, analyzer, _) => exceptions.Add(analyzer.GetType().Name + ": " + exception),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var analyzerDiagnostics = await compilation.WithAnalyzers(AllComponents.Analyzers, options).GetAllDiagnosticsAsync();
        Assert.DoesNotContain(analyzerDiagnostics, d => d.Id == "AD0001");
        Assert.Empty(exceptions);

        var document = project.GetDocument(documentId)!;
        var tree = await document.GetSyntaxTreeAsync();
        var diagnostics = analyzerDiagnostics.Concat(generatorResult.Diagnostics)
            .Where(d => d.Id.StartsWith("APP", StringComparison.Ordinal) && d.Location.SourceTree == tree);
        foreach (var diagnostic in diagnostics)
        {
            foreach (var fixer in AllComponents.CodeFixes.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                var actions = new List<CodeAction>();
                var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
                try
                {
                    await fixer.RegisterCodeFixesAsync(context);
                    foreach (var action in actions)
                    {
                        await action.GetOperationsAsync(CancellationToken.None);
                    }
                }
                catch (Exception exception)
                {
                    exceptions.Add($"{fixer.GetType().Name} on {diagnostic.Id}: {exception}");
                }
            }
        }

        Assert.Empty(exceptions);
    }

    [Fact]
    public async Task Realistic_extractors_get_no_diagnostics()
    {
        const string source = """
            using System;
            using System.Text.Json.Serialization;
            using ApiPipeline;

            public sealed record Issue(long Id, int Number, string Title, DateTimeOffset UpdatedAt);
            public sealed record Event(long Id, string Type);
            public sealed record RepoRef(string Owner, string Repo, [property: Query] DateTimeOffset? Since = null);

            [JsonSerializable(typeof(Issue))]
            [JsonSerializable(typeof(Event))]
            [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
            internal sealed partial class SampleJson : JsonSerializerContext;

            [Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(SampleJson))]
            [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
            public sealed partial class GitHubIssues : IExtractor<RepoRef, Issue>;

            [Extractor("https://api.example.com", "/v1/events", Json = typeof(SampleJson))]
            [Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "meta.next_cursor", PageSize = 500)]
            public sealed partial class Events : IExtractor<NoInput, Event>;

            [Extractor("https://api.example.com/v2", "/{owner}/events?state=all", Json = typeof(SampleJson), Name = "repo-events")]
            [Paginated(Pagination.Offset, RecordsPath = "data", PageSize = 3, TotalPath = "meta.total")]
            public sealed partial class RepoEvents : IExtractor<RepoRef, Event>;
            """;
        var compilation = CSharpCompilation.Create(
            "Realistic",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)), CSharpSyntaxTree.ParseText(TestSetup.JsonContextStub(source)!, path: TestSetup.StubFileName)],
            TestReferences.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var diagnostics = await compilation.WithAnalyzers(AllComponents.Analyzers).GetAnalyzerDiagnosticsAsync();
        Assert.Empty(diagnostics);
    }
}
