namespace ApiPipeline.Analyzers.Tests;

public class SecretLiteralAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<SecretLiteralAnalyzer>(Code.With(body)).RunAsync();

    [Theory]
    [InlineData("/items?api_key=abc123")]
    [InlineData("/items?api_key=DEMO_KEY")]
    [InlineData("/items?apikey=hqzxkvmlpw")]
    [InlineData("/items?Access-Key=secret.value")]
    [InlineData("/items?key=DEMO_KEY")]
    [InlineData("/items?partner_key=a1b2")]
    [InlineData("/items?state=all&token=abc")]
    [InlineData("/items?client_secret=s3cr3t&page=1")]
    [InlineData("/items?sig=x")]
    [InlineData("/items?X-Amz-Signature=f00")]
    [InlineData("/items?X-Amz-Credential=AKIAEXAMPLE%2F20260101")]
    [InlineData("/items?session_id=abc123")]
    public Task Secret_in_the_path_is_reported_on_the_path(string path) => Verify($$"""
        [Extractor("https://api.example.com", {|APP1401:"{{path}}"|}, Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Secret_or_user_info_in_the_base_url_is_reported_on_the_base_url() => Verify("""
        [Extractor({|APP1401:"https://api.example.com?access_token=abc"|}, "/items", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor({|APP1401:"https://user:pa55@api.example.com"|}, "/items", Json = typeof(ShopJson))]
        public partial class Basic : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Placeholders_empty_values_and_ordinary_names_are_silent() => Verify("""
        public sealed record Keyed(string Key);

        [Extractor("https://api.example.com", "/items?api_key={key}", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<Keyed, Item>;

        [Extractor("https://api.example.com", "/items?token=&state=open&sort=updated&keyword_count=3", Json = typeof(ShopJson))]
        public partial class Open : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/items?sort_key=updated_at&group-key=owner.login", Json = typeof(ShopJson))]
        public partial class Sorted : IExtractor<NoInput, Item>;
        """);
}
