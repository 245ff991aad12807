namespace ApiPipeline.Analyzers.Tests;

public class EndpointAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<EndpointAnalyzer>(Code.With(body)).RunAsync();

    [Fact]
    public Task Full_url_in_the_path_is_reported() => Verify("""
        [Extractor("https://api.example.com", {|APP1002:"https://api.example.com/items"|}, Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", {|APP1002:"//cdn.example.com/items"|}, Json = typeof(ShopJson))]
        public partial class Cdn : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Path_without_slash_after_a_base_path_is_reported() => Verify("""
        [Extractor("https://api.example.com/v2", {|APP1003:"items"|}, Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Base_url_with_a_fragment_is_reported_and_one_with_a_query_is_not() => Verify("""
        [Extractor("https://api.example.com/v2?format=json", "/items", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor({|APP1004:"https://api.example.com/v2#top"|}, "/items", Json = typeof(ShopJson))]
        public partial class Top : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Ordinary_endpoints_are_silent() => Verify("""
        [Extractor("https://api.example.com/v2", "/items?state=all", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "items", Json = typeof(ShopJson))]
        public partial class NoBasePath : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com/v2/", "?page=1", Json = typeof(ShopJson))]
        public partial class QueryOnly : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/repos/{owner}/{repo}/issues", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<RepoRef, Item>;
        """);
}
