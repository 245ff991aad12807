using System.Collections.Immutable;
using System.Reflection;
using ApiPipeline.CodeFixes;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>Every analyzer and code-fix provider the two assemblies export, found the way the compiler and the IDE find them.</summary>
internal static class AllComponents
{
    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } =
    [
        .. typeof(PaginationAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!),
    ];

    public static ImmutableArray<CodeFixProvider> CodeFixes { get; } =
    [
        .. typeof(AddPartialCodeFixProvider).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t) && t.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!),
    ];

    /// <summary>The repository root (the folder holding ApiPipeline.Generated.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ApiPipeline.Generated.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ApiPipeline.Generated.sln not found above " + AppContext.BaseDirectory);
    }
}
