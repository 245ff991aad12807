using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>
/// Compile references for test sources, offline: the SDK's net10.0 reference pack (or, without one, the running runtime's
/// assemblies) plus the ApiPipeline runtime assembly. Loaded once per test run.
/// </summary>
internal static class TestReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> Lazy = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    public static ImmutableArray<MetadataReference> All => Lazy.Value;

    private static ImmutableArray<MetadataReference> Load()
    {
        var files = FrameworkFiles();
        var references = files.Select(f => (MetadataReference)MetadataReference.CreateFromFile(f)).ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(ExtractorAttribute).Assembly.Location));
        return [.. references];
    }

    private static IEnumerable<string> FrameworkFiles()
    {
        string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var runtimeVersion = new DirectoryInfo(runtimeDirectory).Name;
        string dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        string packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        if (Directory.Exists(packs))
        {
            var candidates = Directory.GetDirectories(packs)
                .Select(d => Path.Combine(d, "ref", "net10.0"))
                .Where(Directory.Exists)
                .OrderByDescending(d => d.Contains(Path.DirectorySeparatorChar + runtimeVersion + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .ThenByDescending(d => d, StringComparer.Ordinal)
                .ToList();
            if (candidates.Count > 0)
            {
                return Directory.GetFiles(candidates[0], "*.dll");
            }
        }

        // No ref pack: the runtime's own assemblies (implementation assemblies compile just as well for tests).
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll");
    }
}
