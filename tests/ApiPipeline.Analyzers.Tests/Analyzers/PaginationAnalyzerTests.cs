using Microsoft.CodeAnalysis.Testing;

namespace ApiPipeline.Analyzers.Tests;

public class PaginationAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<PaginationAnalyzer>(Code.With(body)).RunAsync();

    [Theory]
    [InlineData("Cursor")]
    [InlineData("HeaderCursor")]
    [InlineData("NextUrl")]
    public Task Missing_required_setting_is_reported_on_the_style(string style) => Verify($$"""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated({|APP1101:Pagination.{{style}}|}, RecordsPath = "data")]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Theory]
    [InlineData("Cursor, CursorPath = \"meta.next_cursor\"")]
    [InlineData("HeaderCursor, CursorHeader = \"X-Next-Cursor\"")]
    [InlineData("NextUrl, NextUrlPath = \"links.next\"")]
    [InlineData("LinkHeader, PageSize = 100, PageSizeParam = \"per_page\"")]
    [InlineData("Offset, PageSize = 50, TotalPath = \"meta.total\", LimitParam = \"size\"")]
    [InlineData("PageNumber, PageSize = 2, TotalPagesPath = \"meta.total_pages\", FirstPage = 0, PageParam = \"p\"")]
    [InlineData("None, RecordsPath = \"$.data\"")]
    [InlineData("Cursor, CursorPath = \"next\", CursorParam = \"after\", HasMorePath = \"has_more\", StopOnEmptyPage = false, MaxPages = 3, MaxRecords = 10")]
    public Task Settings_that_fit_the_style_are_silent(string arguments) => Verify($$"""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated(Pagination.{{arguments}})]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Settings_the_style_ignores_are_reported_on_the_argument() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated(Pagination.Offset, PageSize = 10, {|APP1102:CursorPath = "next"|}, {|APP1102:TotalPagesPath = "pages"|}, {|APP1102:StopOnEmptyPage = false|})]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/events", Json = typeof(ShopJson))]
        [Paginated(Pagination.Cursor, CursorPath = "next", {|APP1102:TotalPagesPath = "pages"|}, {|APP1102:PageParam = "p"|}, {|APP1102:CursorHeader = "X-Cursor"|})]
        public partial class Events : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/one", Json = typeof(ShopJson))]
        [Paginated(Pagination.None, {|APP1102:PageSize = 10|}, RecordsPath = "data")]
        public partial class One : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/rows", Json = typeof(ShopJson))]
        [Paginated(Pagination.Offset, PageSize = 10, LimitParam = "size", {|APP1102:PageSizeParam = "limit"|})]
        public partial class Rows : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Parallel_pages_with_a_style_whose_next_page_depends_on_the_response_are_reported() => Verify("""
        [Extractor("https://api.example.com", "/events", Json = typeof(ShopJson))]
        [Paginated(Pagination.Cursor, CursorPath = "next", {|APP1102:MaxConcurrent = 4|})]
        public partial class Events : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/rows", Json = typeof(ShopJson))]
        [Paginated(Pagination.Offset, TotalPath = "total", {|APP1102:MaxConcurrent = 4|})]
        public partial class Rows : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/pages", Json = typeof(ShopJson))]
        [Paginated(Pagination.PageNumber, MaxConcurrent = 8)]
        public partial class Pages : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/sized", Json = typeof(ShopJson))]
        [Paginated(Pagination.Offset, PageSize = 50, MaxConcurrent = 8)]
        public partial class Sized : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/links", Json = typeof(ShopJson))]
        [Paginated(Pagination.LinkHeader, MaxConcurrent = 1)]
        public partial class Links : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Negative_limits_are_reported_on_the_value() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated(Pagination.LinkHeader, PageSize = {|APP1103:-1|}, MaxPages = {|APP1103:-2|}, MaxRecords = {|APP1103:-3|}, MaxConcurrent = {|APP1103:0|})]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Offset_without_page_size_is_reported() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated({|APP1104:Pagination.Offset|}, RecordsPath = "data")]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/rows", Json = typeof(ShopJson))]
        [Paginated(Pagination.Offset, PageSize = {|APP1104:0|})]
        public partial class Rows : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Offset_with_page_size_or_a_total_is_silent() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated(Pagination.Offset, PageSize = 100)]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/rows", Json = typeof(ShopJson))]
        [Paginated(Pagination.Offset, TotalPath = "total")]
        public partial class Rows : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/more", Json = typeof(ShopJson))]
        [Paginated(Pagination.Offset, HasMorePath = "has_more")]
        public partial class More : IExtractor<NoInput, Item>;
        """);

    [Theory]
    [InlineData("data..items")]
    [InlineData(".data")]
    [InlineData("data.")]
    [InlineData("$..items")]
    [InlineData(".")]
    public Task Malformed_paths_are_reported_on_the_value(string path) => Verify($$"""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated(Pagination.Cursor, CursorPath = "next", RecordsPath = {|APP1105:"{{path}}"|})]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Theory]
    [InlineData("data")]
    [InlineData("results.list")]
    [InlineData("$")]
    [InlineData("$.data.items")]
    [InlineData("")]
    public Task Well_formed_paths_are_silent(string path) => Verify($$"""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated(Pagination.Cursor, CursorPath = "meta.next", HasMorePath = "meta.has_more", RecordsPath = "{{path}}")]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Paginated_without_Extractor_is_reported() => Verify("""
        [{|APP1106:Paginated|}(Pagination.Cursor, CursorPath = "next")]
        public class NotAnExtractor;
        """);

    [Fact]
    public Task Conditional_requests_with_pages_fetched_ahead_are_reported_on_MaxConcurrent() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated(Pagination.PageNumber, PageSize = 100, MaxConcurrent = {|APP1107:4|})]
        [ConditionalRequests]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Conditional_requests_with_sequential_pages_and_pages_fetched_ahead_without_them_are_silent() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Paginated(Pagination.PageNumber, PageSize = 100, MaxConcurrent = 1)]
        [ConditionalRequests]
        public partial class Items : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/rows", Json = typeof(ShopJson))]
        [Paginated(Pagination.Cursor, CursorPath = "next")]
        [ConditionalRequests]
        public partial class Rows : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/more", Json = typeof(ShopJson))]
        [Paginated(Pagination.PageNumber, PageSize = 100, MaxConcurrent = 4)]
        public partial class More : IExtractor<NoInput, Item>;
        """);
}
