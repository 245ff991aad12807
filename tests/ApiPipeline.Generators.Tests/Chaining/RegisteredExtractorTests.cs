using ApiPipeline.Generators.Chaining;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>
/// Hand-written extractors (<c>[RegisteredExtractor]</c>) in the generated registry: listed with their name, record metadata and the
/// constructor the registry calls; APP0119 on the attribute, with nothing of the class in the registry, when it cannot be listed.
/// </summary>
public sealed class RegisteredExtractorTests
{
    private const string Custom = TestSources.Usings + """
        using System.Collections.Generic;
        using System.Net.Http;
        using System.Runtime.CompilerServices;
        using System.Threading;
        using System.Threading.Tasks;

        namespace Demo;

        public abstract class CustomBase : IExtractor<RepoRef, Item>
        {
            public string Name => "custom";

            public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(RepoRef input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
            {
                await Task.Yield();
                yield break;
            }
        }

        [RegisteredExtractor("custom_api", Json = typeof(TestJson))]
        public sealed class CustomItems : CustomBase
        {
            public CustomItems() { }
            public CustomItems(ExtractorOptions? options) { }
        }
        """;

    [Fact]
    public void Registry_lists_a_hand_written_extractor_by_its_name_with_the_preferred_constructor()
    {
        var result = GeneratorHarness.Run(TestSources.Common, Custom);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains(
            "new global::ApiPipeline.ExtractorRegistration<global::Demo.RepoRef, global::Demo.Item>( \"custom_api\", \"Demo.CustomItems\", "
            + "static () => global::ApiPipeline.ExtractorJson.GetTypeInfo<global::Demo.Item>(global::Demo.TestJson.Default, \"custom_api\"), "
            + "static (_, options) => new global::Demo.CustomItems(options), Shape0, Shape1),",
            System.Text.RegularExpressions.Regex.Replace(registry, @"\s+", " "),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Moving_a_hand_written_extractor_reparses_it_but_does_not_rewrite_the_registry()
    {
        var compilation = GeneratorHarness.CreateCompilation(TestSources.Common, Custom);
        var first = GeneratorHarness.Run(compilation);
        var tree = compilation.SyntaxTrees[1];
        string moved = Custom.Replace("namespace Demo;", "namespace Demo;\n\n// A comment pushes the class down.\n", StringComparison.Ordinal);

        var second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(tree, GeneratorHarness.Parse(moved, tree.FilePath)), first.Driver);

        var run = second.RunResult;
        Assert.All(run.TrackedSteps[TrackingNames.RegisteredExtractors].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        Assert.All(run.TrackedSteps[TrackingNames.Registry].SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.Equal(
            Assert.Single(first.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString(),
            Assert.Single(second.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString());
    }

    [Theory]
    [InlineData("public CustomItems() { }\n    public CustomItems(ExtractorOptions? options) { }", "public CustomItems(HttpClient? httpClient, ExtractorOptions? options) { }", "static (httpClient, options) => new global::Demo.CustomItems(httpClient, options)")]
    [InlineData("public CustomItems(ExtractorOptions? options) { }", "public CustomItems(HttpClient? client) { }", "static (httpClient, _) => new global::Demo.CustomItems(httpClient)")]
    [InlineData("public CustomItems() { }\n    public CustomItems(ExtractorOptions? options) { }", "public CustomItems(in HttpClient? httpClient, in ExtractorOptions? options) { }", "static (httpClient, options) => new global::Demo.CustomItems(httpClient, options)")]
    [InlineData("public CustomItems() { }\n    public CustomItems(ExtractorOptions? options) { }", "public CustomItems(in ExtractorOptions? options) { }", "static (_, options) => new global::Demo.CustomItems(options)")]
    public void The_registry_calls_the_most_capable_constructor(string replaced, string by, string factory)
        => AssertListedWith(Custom.Replace(replaced, by, StringComparison.Ordinal), factory);

    [Theory]
    [InlineData("public CustomItems(HttpClient httpClient) { }")]
    [InlineData("public CustomItems(out ExtractorOptions? options) { options = null; }")]
    [InlineData("public CustomItems(ref ExtractorOptions? options) { }")]
    [InlineData("public CustomItems(ref readonly ExtractorOptions? options) { }")]
    [InlineData("[Obsolete(\"use the other\", true)] public CustomItems(ExtractorOptions? options) { }")]
    public void The_registry_passes_over_a_preferred_constructor_it_cannot_call_for_one_it_can(string preferred)
        => AssertListedWith(
            Custom.Replace("public CustomItems(ExtractorOptions? options) { }", preferred, StringComparison.Ordinal),
            "static (_, _) => new global::Demo.CustomItems()");

    [Fact]
    public void The_registry_passes_over_a_preferred_constructor_that_does_not_set_the_required_members()
        => AssertListedWith(
            Custom.Replace(
                "public CustomItems() { }",
                "public required string Folder { get; init; }\n    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers] public CustomItems() { Folder = \"in\"; }",
                StringComparison.Ordinal),
            "static (_, _) => new global::Demo.CustomItems()");

    [Theory]
    [InlineData("public sealed class CustomItems : CustomBase", "public sealed class CustomItems", "does not implement IExtractor<TIn, TOut>")]
    [InlineData("public sealed class CustomItems : CustomBase", "public abstract class CustomItems : CustomBase", "is not a concrete class")]
    [InlineData("public sealed class CustomItems : CustomBase", "public sealed class CustomItems<T> : CustomBase", "is generic")]
    [InlineData(", Json = typeof(TestJson)", "", "needs Json = typeof(a JsonSerializerContext with [JsonSerializable(typeof(Item))])")]
    [InlineData("\"custom_api\"", "\" custom\"", "which is empty or starts or ends with white space")]
    [InlineData("public CustomItems() { }\n    public CustomItems(ExtractorOptions? options) { }", "public CustomItems(string path) { }", "has no public constructor the registry can call; declare one of (HttpClient? httpClient, ExtractorOptions? options)")]
    [InlineData("public CustomItems() { }\n    public CustomItems(ExtractorOptions? options) { }", "public CustomItems(HttpClient httpClient) { }", "has no public constructor the registry can call: CustomItems(HttpClient httpClient) takes 'httpClient' as non-nullable, but the registry passes null when the host has no HttpClient to give (declare it HttpClient?)")]
    [InlineData("public CustomItems() { }\n    public CustomItems(ExtractorOptions? options) { }", "public CustomItems(out ExtractorOptions? options) { options = null; }", "has no public constructor the registry can call: CustomItems(out ExtractorOptions? options) takes 'options' by out, but the registry passes its arguments by value (take it by value or as in)")]
    [InlineData("public CustomItems() { }\n    public CustomItems(ExtractorOptions? options) { }", "[Obsolete(\"use the other\", true)] public CustomItems() { }\n    public CustomItems(HttpClient httpClient) { }", "has no public constructor the registry can call: CustomItems(HttpClient httpClient) takes 'httpClient' as non-nullable, but the registry passes null when the host has no HttpClient to give (declare it HttpClient?); CustomItems() is [Obsolete] as an error")]
    [InlineData("public CustomItems() { }", "public required string Folder { get; init; }\n    public CustomItems() { }", "has no public constructor the registry can call: CustomItems(ExtractorOptions? options) does not set the required member 'Folder' (mark it [SetsRequiredMembers]); CustomItems() does not set the required member 'Folder'")]
    [InlineData("public string Name => \"custom\";", "public string Name => \"custom\";\n    public required string Folder;", "does not set the required member 'Folder'")]
    [InlineData("public sealed class CustomItems : CustomBase", "file sealed class CustomItems : CustomBase", "is file-local")]
    [InlineData("public sealed class CustomItems : CustomBase", "[Obsolete(\"gone\", true)]\npublic sealed class CustomItems : CustomBase", "is [Obsolete] as an error")]
    [InlineData("[RegisteredExtractor(\"custom_api\", Json = typeof(TestJson))]", "[RegisteredExtractor(\"custom_api\", Json = typeof(TestJson))]\n[Extractor(\"https://api.example.com\", \"/items\", Json = typeof(TestJson))]", "is an [Extractor] class, which the registry lists already")]
    public void APP0119_a_class_the_registry_cannot_list(string replaced, string by, string reason)
    {
        string source = Custom.Replace(replaced, by, StringComparison.Ordinal);
        Assert.NotEqual(Custom, source);

        var result = GeneratorHarness.Run(TestSources.Common, source);

        Assert.Null(result.RunResult.Exception);
        var diagnostic = Assert.Single(result.GeneratorDiagnostics, d => d.Id == "APP0119");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.StartsWith("RegisteredExtractor(", source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length), StringComparison.Ordinal);
        Assert.Contains("'Demo.CustomItems", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.EndsWith("/docs/diagnostics/APP0119.md", diagnostic.Descriptor.HelpLinkUri, StringComparison.Ordinal);
        Assert.DoesNotContain(result.AllSources, s => s.HintName == RegistryEmitter.HintName && s.SourceText.ToString().Contains("custom_api", StringComparison.Ordinal));
    }

    private static void AssertListedWith(string source, string factory)
    {
        Assert.NotEqual(Custom, source);

        var result = GeneratorHarness.Run(TestSources.Common, source);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains(factory, registry, StringComparison.Ordinal);
    }
}
