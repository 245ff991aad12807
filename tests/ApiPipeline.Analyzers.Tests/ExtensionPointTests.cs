using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>The API a check for a new attribute is written against (see analyzers/README.md): find the attribute, read a setting, locate its argument.</summary>
public class ExtensionPointTests
{
    [Fact]
    public void FindAttribute_reads_settings_and_locates_arguments()
    {
        const string source = """
            using System.Text.Json.Serialization;
            using ApiPipeline;

            public sealed record Item(long Id);

            [JsonSerializable(typeof(Item))]
            internal partial class ShopJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson), Name = "items")]
            [Paginated(Pagination.Cursor, CursorPath = "meta.next", PageSize = 50)]
            public partial class Items : IExtractor<NoInput, Item>;
            """;
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest));
        var compilation = CSharpCompilation.Create("Ext", [tree], TestReferences.All, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var known = KnownTypes.TryCreate(compilation)!;
        var type = compilation.GetTypeByMetadataName("Items")!;
        var reported = new List<Diagnostic>();

        var extractor = ExtractorContext.TryCreate(type, known, compilation, reported.Add, CancellationToken.None)!;
        Assert.Equal("items", extractor.Name);
        Assert.Equal("Item", extractor.OutputType!.Name);
        Assert.Equal(PaginationStyle.Cursor, extractor.Style);

        var paginated = extractor.FindAttribute("ApiPipeline.PaginatedAttribute")!;
        Assert.Equal("meta.next", paginated.Setting<string>("CursorPath"));
        Assert.Equal(50, paginated.Setting<int>("PageSize"));
        Assert.Equal(1, paginated.ConstructorValue<int>(0));
        Assert.Equal("\"meta.next\"", paginated.ValueLocation("CursorPath")!.SourceTree!.GetText().ToString(paginated.ValueLocation("CursorPath")!.SourceSpan));
        Assert.Null(extractor.FindAttribute("ApiPipeline.NoSuchAttribute"));

        // With no location, a report lands on the class name.
        extractor.Report(PaginationAnalyzer.IgnoredSetting, null, "X", "Cursor", "why");
        Assert.Equal("Items", tree.GetText().ToString(Assert.Single(reported).Location.SourceSpan));
    }

    [Fact]
    public void ExtractorIndex_lists_every_extractor_once_per_compilation()
    {
        const string source = """
            using System.Text.Json.Serialization;
            using ApiPipeline;

            public sealed record Item(long Id);
            public sealed record In(string Name);

            [JsonSerializable(typeof(Item))]
            internal partial class ShopJson : JsonSerializerContext;

            namespace A { [Extractor("https://x.example", "/a", Json = typeof(ShopJson))] public partial class One : IExtractor<In, Item>; }
            namespace B { public static partial class Outer { [Extractor("https://x.example", "/b", Json = typeof(ShopJson))] public partial class Two : IExtractor<In, Item>; } }
            """;
        var compilation = CSharpCompilation.Create("Idx", [CSharpSyntaxTree.ParseText(source)], TestReferences.All);
        var known = KnownTypes.TryCreate(compilation)!;
        var index = ExtractorIndex.For(compilation, known, CancellationToken.None);
        Assert.Same(index, ExtractorIndex.For(compilation, known, CancellationToken.None));
        Assert.Equal(["One", "Two"], index.Extractors.Select(e => e.Type.Name).Order());
        Assert.Equal(2, index.ByInput[compilation.GetTypeByMetadataName("In")!].Count);
    }
}
