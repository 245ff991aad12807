namespace ApiPipeline.Analyzers.Tests;

public class DuplicateNameAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<DuplicateNameAnalyzer>(Code.With(body)).RunAsync();

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
    public Task Distinct_names_are_silent() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/v2/items", Json = typeof(ShopJson), Name = "items-v2")]
        public partial class ItemsV2 : IExtractor<NoInput, Item>;
        """);
}
