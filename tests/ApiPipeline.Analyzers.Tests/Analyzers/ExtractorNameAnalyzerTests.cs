using Microsoft.CodeAnalysis.Testing;

namespace ApiPipeline.Analyzers.Tests;

public class ExtractorNameAnalyzerTests
{
    private static Task Verify(string body, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest<ExtractorNameAnalyzer>(Code.With(body));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    [Fact]
    public Task Same_explicit_name_is_reported_on_each_Name_argument() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson), Name = {|APP1001:"items"|})]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/v2/items", Json = typeof(ShopJson), Name = {|APP1001:"items"|})]
        public partial class ItemsV2 : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Class_name_used_as_another_extractor_name_is_reported() => Verify("""
        namespace Shop
        {
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            public partial class {|APP1001:Items|} : IExtractor<NoInput, Item>;
        }

        namespace Archive
        {
            [Extractor("https://api.example.com", "/archive/items", Json = typeof(ShopJson), Name = {|APP1001:"Items"|})]
            public partial class ArchivedItems : IExtractor<NoInput, Item>;
        }
        """);

    [Fact]
    public Task Names_that_differ_only_in_case_are_a_warning_on_each() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson), Name = {|#0:"Items"|})]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/v2/items", Json = typeof(ShopJson), Name = {|#1:"items"|})]
        public partial class ItemsV2 : IExtractor<NoInput, Item>;
        """,
        new DiagnosticResult(ExtractorNameAnalyzer.NamesDifferInCase).WithLocation(0).WithArguments("Items", "items", "ItemsV2"),
        new DiagnosticResult(ExtractorNameAnalyzer.NamesDifferInCase).WithLocation(1).WithArguments("items", "Items", "Items"));

    [Fact]
    public Task A_name_with_a_slash_is_an_error() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson), Name = {|#0:"vendor/items"|})]
        public partial class Items : IExtractor<NoInput, Item>;
        """,
        new DiagnosticResult(ExtractorNameAnalyzer.SlashInName).WithLocation(0).WithArguments("vendor/items"));

    [Fact]
    public Task Distinct_names_are_silent() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/v2/items", Json = typeof(ShopJson), Name = "items-v2")]
        public partial class ItemsV2 : IExtractor<NoInput, Item>;
        """);

    // The rest of a hand-written IExtractor<FolderRef, Item> from its first member on, then its input record.
    private const string HandWritten = """

            public string Name => "files";

            public async System.Collections.Generic.IAsyncEnumerable<Page<Item>> ExtractPagesAsync(FolderRef input, PageCheckpoint? resumeFrom = null, [System.Runtime.CompilerServices.EnumeratorCancellation] System.Threading.CancellationToken cancellationToken = default)
            {
                await System.Threading.Tasks.Task.Yield();
                yield break;
            }
        }

        public sealed record FolderRef(string Folder);
        """;

    [Fact]
    public Task A_hand_written_extractor_registered_under_an_Extractor_class_name_is_reported_on_both() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        public partial class {|APP1001:Items|} : IExtractor<NoInput, Item>;

        [RegisteredExtractor({|APP1001:"Items"|}, Json = typeof(ShopJson))]
        public sealed class FileItems : IExtractor<FolderRef, Item>
        {
        """ + HandWritten);

    [Fact]
    public Task Two_hand_written_extractors_registered_under_one_name_are_reported_on_each_name() => Verify("""
        [RegisteredExtractor({|APP1001:"files"|}, Json = typeof(ShopJson))]
        public sealed class FileItems : IExtractor<FolderRef, Item>
        {
            public string Name => "files";

            public System.Collections.Generic.IAsyncEnumerable<Page<Item>> ExtractPagesAsync(FolderRef input, PageCheckpoint? resumeFrom = null, System.Threading.CancellationToken cancellationToken = default) => throw new System.NotImplementedException();
        }

        [RegisteredExtractor(name: {|APP1001:"files"|}, Json = typeof(ShopJson))]
        public sealed class ArchivedFileItems : IExtractor<FolderRef, Item>
        {
        """ + HandWritten);

    [Fact]
    public Task A_hand_written_extractor_registered_under_a_name_with_a_slash_is_an_error() => Verify("""
        [RegisteredExtractor({|APP1006:"vendor/files"|}, Json = typeof(ShopJson))]
        public sealed class FileItems : IExtractor<FolderRef, Item>
        {
        """ + HandWritten);
}
