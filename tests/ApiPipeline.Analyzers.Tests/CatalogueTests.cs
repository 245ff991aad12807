using System.Text.RegularExpressions;
using ApiPipeline.CodeFixes;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>The diagnostic catalogue is consistent: IDs, categories, help links, docs pages, release tracking, fixers.</summary>
public partial class CatalogueTests
{
    private static readonly string[] Categories =
    [
        DiagnosticCategories.Extractor, DiagnosticCategories.Endpoint, DiagnosticCategories.Pagination,
        DiagnosticCategories.Json, DiagnosticCategories.Binding, DiagnosticCategories.Security,
        DiagnosticCategories.Resilience, DiagnosticCategories.State, DiagnosticCategories.Chain,
        DiagnosticCategories.Output,
    ];

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var id in Descriptors().Select(d => d.Id))
        {
            data.Add(id);
        }

        return data;
    }

    [Fact]
    public void Every_analyzer_is_found_and_ids_are_unique()
    {
        Assert.True(AllComponents.Analyzers.Length >= 7, "analyzers found: " + AllComponents.Analyzers.Length);
        var ids = Descriptors().Select(d => d.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_follows_the_conventions(string id)
    {
        var descriptor = Descriptors().Single(d => d.Id == id);
        Assert.Matches(IdPattern(), id);
        Assert.Contains(descriptor.Category, Categories);
        Assert.EndsWith("/docs/diagnostics/" + id + ".md", descriptor.HelpLinkUri, StringComparison.Ordinal);
        Assert.True(descriptor.IsEnabledByDefault);
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString()));

        // The ID range names the area: 10xx extractor/endpoint, 11xx pagination, 12xx JSON, 13xx binding, 14xx security,
        // 15xx resilience, 16xx state, 17xx chains, 18xx outputs.
        string expectedArea = id[..5] switch
        {
            "APP10" => descriptor.Category == DiagnosticCategories.Extractor ? DiagnosticCategories.Extractor : DiagnosticCategories.Endpoint,
            "APP11" => DiagnosticCategories.Pagination,
            "APP12" => DiagnosticCategories.Json,
            "APP13" => DiagnosticCategories.Binding,
            "APP14" => DiagnosticCategories.Security,
            "APP15" => DiagnosticCategories.Resilience,
            "APP16" => DiagnosticCategories.State,
            "APP17" => DiagnosticCategories.Chain,
            "APP18" => DiagnosticCategories.Output,
            _ => "unknown range",
        };
        Assert.Equal(expectedArea, descriptor.Category);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_has_a_docs_page_with_bad_and_good_examples(string id)
    {
        var descriptor = Descriptors().Single(d => d.Id == id);
        string page = Path.Combine(AllComponents.RepoRoot, "docs", "diagnostics", id + ".md");
        Assert.True(File.Exists(page), "missing " + page);
        string text = File.ReadAllText(page);
        Assert.StartsWith("# " + id + ": " + descriptor.Title, text, StringComparison.Ordinal);
        Assert.Contains("## Bad", text, StringComparison.Ordinal);
        Assert.Contains("## Good", text, StringComparison.Ordinal);
        Assert.Contains("**Category:** " + descriptor.Category, text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_is_release_tracked(string id)
    {
        var descriptor = Descriptors().Single(d => d.Id == id);
        string releases = File.ReadAllText(Path.Combine(AllComponents.RepoRoot, "analyzers", "ApiPipeline.Analyzers", "AnalyzerReleases.Unshipped.md"))
            + File.ReadAllText(Path.Combine(AllComponents.RepoRoot, "analyzers", "ApiPipeline.Analyzers", "AnalyzerReleases.Shipped.md"));
        Assert.Contains($"{id} | {descriptor.Category} | {descriptor.DefaultSeverity} | {descriptor.Title}", releases, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_fixer_fixes_a_known_diagnostic()
    {
        var known = Descriptors().Select(d => d.Id)
            .Concat(typeof(GeneratorDiagnosticIds).GetFields().Select(f => (string)f.GetRawConstantValue()!))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(AllComponents.CodeFixes.Length >= 6, "code fixes found: " + AllComponents.CodeFixes.Length);
        foreach (var fixer in AllComponents.CodeFixes)
        {
            Assert.NotEmpty(fixer.FixableDiagnosticIds);
            Assert.All(fixer.FixableDiagnosticIds, id => Assert.Contains(id, known));
        }
    }

    private static IEnumerable<DiagnosticDescriptor> Descriptors()
        => AllComponents.Analyzers.SelectMany(a => a.SupportedDiagnostics).OrderBy(d => d.Id, StringComparer.Ordinal);

    [GeneratedRegex(@"^APP1[0-8]\d{2}$")]
    private static partial Regex IdPattern();
}
