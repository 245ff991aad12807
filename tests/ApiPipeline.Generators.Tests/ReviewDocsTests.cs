using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.Generators.Tests;

/// <summary>Documentation samples pasted verbatim into a compilation that runs ApiPipeline's and System.Text.Json's generators.</summary>
public sealed class ReviewDocsTests
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> AllReferences = new(() =>
        [.. ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !Path.GetFileName(p).StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase))
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .Select(g => (MetadataReference)MetadataReference.CreateFromFile(g.First()))]);

    private static ISourceGenerator? JsonGenerator()
    {
        string dir = Path.GetDirectoryName(typeof(object).Assembly.Location)!; // .../shared/Microsoft.NETCore.App/10.0.x
        string root = Path.GetFullPath(Path.Combine(dir, "..", "..", "..", "packs", "Microsoft.NETCore.App.Ref"));
        string? dll = Directory.Exists(root)
            ? Directory.GetFiles(root, "System.Text.Json.SourceGeneration.dll", SearchOption.AllDirectories).OrderByDescending(p => p).FirstOrDefault(p => p.Contains(Path.Combine("analyzers", "dotnet", "cs")))
            : null;
        if (dll is null) return null;
        var assembly = Assembly.LoadFrom(dll);
        var type = assembly.GetTypes().First(t => typeof(IIncrementalGenerator).IsAssignableFrom(t) && !t.IsAbstract);
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    }

    /// <summary>Compiles <paramref name="source"/> (as a console program when it has top-level statements) through both generators.</summary>
    internal static (Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics) Compile(string source, bool program = false)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "DocSample",
            [CSharpSyntaxTree.ParseText(source, parse, "Sample.cs")],
            AllReferences.Value,
            new CSharpCompilationOptions(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var generators = new List<ISourceGenerator> { new PipelineGenerator().AsSourceGenerator() };
        if (JsonGenerator() is { } json) generators.Add(json);
        var driver = CSharpGeneratorDriver.Create(generators, parseOptions: parse).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var run = driver.GetRunResult();
        Assert.True(generators.Count == 2, "System.Text.Json's generator was not found");
        foreach (var r in run.Results) Assert.True(r.Exception is null, r.Generator.GetGeneratorType().Name + ": " + r.Exception);
        return (output, run.Diagnostics);
    }

    internal static void AssertNoErrors(string source, bool program = false, bool implicitUsings = false)
    {
        if (implicitUsings) source = "global using System; global using System.IO; global using System.Linq; global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks; global using System.Collections.Generic;\n" + source;
        var (output, generatorDiagnostics) = Compile(source, program);
        var errors = generatorDiagnostics.Concat(output.GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "Errors:\n" + string.Join("\n", errors));
    }










    // README.md:25-53: the "## Example" block, verbatim, as the Program.cs of a console app. Top-level statements
    // (README.md:42-50) follow the type declarations (README.md:28-39), which C# refuses (CS8803 "Top-level statements must precede namespace and type declarations").
    // Nothing else is wrong with it: with the statements moved into a Main (or above the declarations) it compiles through both generators.
    [Fact]
    public void Readme_example_verbatim_as_program_compiles()
    {
        AssertNoErrors("""
            using System.Text.Json.Serialization;
            using ApiPipeline;

            public sealed record Issue(long Id, int Number, string Title, DateTimeOffset UpdatedAt);
            public sealed record RepoRef(string Owner, string Repo, [property: Query] string? State = null); // {owner}, {repo}, ?state=

            [JsonSerializable(typeof(Issue))]
            [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
            internal partial class GitHubJson : JsonSerializerContext;

            [Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(GitHubJson))]
            [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
            public partial class GitHubIssues : IExtractor<RepoRef, Issue>;

            // Stream records...
            await foreach (var issue in new GitHubIssues().ExtractAsync(new RepoRef("dotnet", "runtime")))
                Console.WriteLine(issue.Title);

            // ...or run a pipeline into partitioned JSONL.
            await using var output = new JsonlOutput<Issue>(GitHubJson.Default.Issue,
                new() { Directory = "out", Name = "issues", PartitionBy = i => i.UpdatedAt });
            var result = await new Pipeline<RepoRef, Issue>("issues", new GitHubIssues(), output)
                .ExecuteAsync(new RepoRef("dotnet", "runtime"));
            Console.WriteLine($"{result.Status}: {result.Records} records in {result.Pages} pages, {result.Files.Count} files");
            """, program: true, implicitUsings: true);
    }

    // docs/chains.md:8-45: the first chain sample, verbatim (it starts with its using directives, like a Program.cs), as a console app.
    // Its top-level statements (docs/chains.md:41-44, "Run it for one organisation into JSONL") follow the type declarations
    // (docs/chains.md:11-38), which C# refuses: CS8803 "Top-level statements must precede namespace and type declarations".
    // Nothing else is wrong with it: with the statements moved into a Main it compiles through both generators.
    [Fact]
    public void Chains_first_sample_verbatim_as_program_compiles()
    {
        AssertNoErrors("""
            using System.Text.Json.Serialization;
            using ApiPipeline;

            public sealed record Org(string Login);
            public sealed record Owner(string Login);
            public sealed record Repo(long Id, string Name, Owner Owner);
            public sealed record RepoRef(string Owner, string Repo, [property: Query] string? State = null);
            public sealed record Issue(long Id, int Number, string Title);

            [JsonSerializable(typeof(Repo))]
            [JsonSerializable(typeof(Issue))]
            [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
            internal partial class GitHubJson : JsonSerializerContext;

            [Extractor("https://api.github.com", "/orgs/{login}/repos", Json = typeof(GitHubJson))]
            [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
            public partial class OrgRepos : IExtractor<Org, Repo>;

            [Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(GitHubJson))]
            [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
            public partial class GitHubIssues : IExtractor<RepoRef, Issue>;

            [Chain]
            public partial class OrgIssues
            {
                [Step(1)] public partial OrgRepos Repos { get; }                      // Org -> Repo
                [Step(2, Mode = ProcessingMode.Parallel, MaxConcurrency = 8)]
                [Map("Owner.Login", To = nameof(RepoRef.Owner))]
                [Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))]
                public partial GitHubIssues Issues { get; }                           // RepoRef -> Issue
            }

            // Run it for one organisation into JSONL (records of the last step).
            await using var output = new JsonlOutput<Issue>(GitHubJson.Default.Issue, new() { Directory = "out", Name = "issues" });
            var result = await new OrgIssues().ExecuteAsync(new Org("dotnet"), output);
            Console.WriteLine($"{result.Status}: {result.Records} issues; step 2 read {result.Steps[1].Pages} pages");
            """, program: true, implicitUsings: true);
    }
}
