using System.Collections.Immutable;
using System.Reflection;
using ApiPipeline.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>Documentation samples compiled with the ApiPipeline generator, System.Text.Json's generator and every analyzer.</summary>
public sealed class ReviewDocsTests
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
        [.. ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !Path.GetFileName(p).StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase))
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .Select(g => (MetadataReference)MetadataReference.CreateFromFile(g.First()))]);

    private static ISourceGenerator JsonGenerator()
    {
        string dir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string root = Path.GetFullPath(Path.Combine(dir, "..", "..", "..", "packs", "Microsoft.NETCore.App.Ref"));
        string dll = Directory.GetFiles(root, "System.Text.Json.SourceGeneration.dll", SearchOption.AllDirectories)
            .Where(p => p.Contains(Path.Combine("analyzers", "dotnet", "cs"), StringComparison.Ordinal)).OrderByDescending(p => p).First();
        var type = Assembly.LoadFrom(dll).GetTypes().First(t => typeof(IIncrementalGenerator).IsAssignableFrom(t) && !t.IsAbstract);
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    }

    private const string Prelude = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using System.Text.Json.Serialization;
        global using ApiPipeline;

        """;

    /// <summary>The ApiPipeline diagnostics (APP…) and errors of <paramref name="source"/>: generator, compiler and analyzers.</summary>
    internal static async Task<List<Diagnostic>> DiagnosticsOf(string source)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "DocSample",
            [CSharpSyntaxTree.ParseText(Prelude, parse, "Usings.cs"), CSharpSyntaxTree.ParseText(source, parse, "Sample.cs")],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var driver = CSharpGeneratorDriver.Create([new PipelineGenerator().AsSourceGenerator(), JsonGenerator()], parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var all = driver.GetRunResult().Diagnostics.Concat(await output.WithAnalyzers(AllComponents.Analyzers).GetAllDiagnosticsAsync());
        return [.. all.Where(d => d.Id.StartsWith("APP", StringComparison.Ordinal) || d.Severity == DiagnosticSeverity.Error)];
    }

    internal static async Task AssertNoDiagnostics(string source)
    {
        var found = await DiagnosticsOf(source);
        Assert.True(found.Count == 0, "Diagnostics:\n" + string.Join("\n", found.Select(d => $"{d.Id} ({d.Severity}) {d.GetMessage()} at {d.Location.GetLineSpan()}")));
    }


    // docs/chains.md:8-45, the first chain sample (its statements moved into a Main). docs/chains.md:33 declares
    // "[Step(2, Mode = ProcessingMode.Parallel, MaxConcurrency = 8)]" on GitHubIssues, which has no [RateLimited]: the project's own
    // analyzer reports APP1701 (warning, "Parallel step calls an extractor without [RateLimited]"; docs/diagnostics/APP1701.md uses
    // this very shape as its Bad example). The flagship sample does not build warning-free as written.
    [Fact]
    public Task Chains_first_sample_has_no_diagnostics() => AssertNoDiagnostics("""

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

public static class Program
{
    public static async Task Main()
    {
        await using var output = new JsonlOutput<Issue>(GitHubJson.Default.Issue, new() { Directory = "out", Name = "issues" });
        var result = await new OrgIssues().ExecuteAsync(new Org("dotnet"), output);
        Console.WriteLine($"{result.Status}: {result.Records} issues; step 2 read {result.Steps[1].Pages} pages");
    }
}
""");
}
