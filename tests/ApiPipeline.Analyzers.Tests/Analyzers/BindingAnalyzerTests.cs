namespace ApiPipeline.Analyzers.Tests;

public class UnusedInputMemberAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<UnusedInputMemberAnalyzer>(Code.With(body)).RunAsync();

    [Fact]
    public Task A_generic_input_records_unsent_member_is_reported() => Verify("""
        public sealed record Search<T>(string Owner, T {|APP1301:Label|});

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<Search<string>, Item>;
        """);

    [Fact]
    public Task Member_no_extractor_sends_is_reported_on_the_member() => Verify("""
        public sealed record Search(string Owner, string {|APP1301:Label|}, [property: Query] string? State = null);

        public sealed class Filter
        {
            public string Name { get; init; } = "";

            public int {|APP1301:Limit|} { get; init; }

            public string {|APP1301:Sort|} = "";

            internal string Hidden { get; init; } = "";
        }

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<Search, Item>;

        [Extractor("https://api.example.com", "/{name}/items", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<Filter, Item>;
        """);

    [Fact]
    public Task Member_used_by_any_extractor_sharing_the_input_is_silent() => Verify("""
        [Extractor("https://api.example.com", "/repos/{owner}", Json = typeof(ShopJson))]
        public partial class Repos : IExtractor<RepoRef, Item>;

        [Extractor("https://api.example.com", "/repos/{owner}/{repo}/issues", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<RepoRef, Item>;

        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task An_input_a_hand_written_extractor_takes_is_silent_as_it_may_read_any_member() => Verify("""
        public sealed record FolderRef(string Owner, string Folder);

        [Extractor("https://api.example.com", "/owners/{owner}/items", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<FolderRef, Item>;

        [RegisteredExtractor("file_items", Json = typeof(ShopJson))]
        public sealed class FileItems : IExtractor<FolderRef, Item>
        {
            public string Name => "file_items";

            public async System.Collections.Generic.IAsyncEnumerable<Page<Item>> ExtractPagesAsync(FolderRef input, PageCheckpoint? resumeFrom = null, [System.Runtime.CompilerServices.EnumeratorCancellation] System.Threading.CancellationToken cancellationToken = default)
            {
                await System.Threading.Tasks.Task.Yield();
                _ = input.Folder;
                yield break;
            }
        }
        """);
}

public class QueryBindingAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<QueryBindingAnalyzer>(Code.With(body)).RunAsync();

    [Fact]
    public Task Query_on_a_base_records_positional_parameter_is_checked_for_a_derived_input() => Verify("""
        public record BaseSearch([Query({|APP1302:"page"|})] int? Page);

        public sealed record Search(string Owner, int? Page) : BaseSearch(Page);

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
        [Paginated(Pagination.PageNumber, PageSize = 50)]
        public partial class Issues : IExtractor<Search, Item>;
        """);

    [Fact]
    public Task Query_named_like_a_pagination_parameter_is_reported() => Verify("""
        public sealed record Search(string Owner, [property: Query({|APP1302:"page"|})] int? Page = null, [property: {|APP1302:Query|}] int? PerPage = null);

        public sealed class Feed
        {
            [Query({|APP1302:"limit"|})]
            public int? Limit { get; init; }
        }

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
        [Paginated(Pagination.PageNumber, PageSize = 50)]
        public partial class Issues : IExtractor<Search, Item>;

        [Extractor("https://api.example.com", "/feed", Json = typeof(ShopJson))]
        [Paginated(Pagination.HeaderCursor, CursorHeader = "X-Next", CursorParam = "after", PageSize = 100)]
        public partial class Events : IExtractor<Feed, Item>;
        """);

    [Fact]
    public Task A_cursor_to_start_from_is_silent() => Verify("""
        public sealed class Feed
        {
            [Query("after")]
            public string? After { get; init; }
        }

        [Extractor("https://api.example.com", "/feed", Json = typeof(ShopJson))]
        [Paginated(Pagination.HeaderCursor, CursorHeader = "X-Next", CursorParam = "after")]
        public partial class Events : IExtractor<Feed, Item>;
        """);

    [Fact]
    public Task Query_the_style_does_not_send_is_silent() => Verify("""
        public sealed record Search(string Owner, [property: Query("page")] int? Page = null, [property: Query] int? Limit = null);

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
        [Paginated(Pagination.Cursor, CursorPath = "next")]
        public partial class Issues : IExtractor<Search, Item>;
        """);

    [Fact]
    public Task Member_in_the_path_and_the_query_is_reported() => Verify("""
        public sealed record Search(string Owner, [property: {|APP1303:Query|}] string Repo);

        [Extractor("https://api.example.com", "/{owner}/{repo}/issues", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<Search, Item>;
        """);

    [Fact]
    public Task Same_query_parameter_from_two_sources_is_reported() => Verify("""
        public sealed record Search(string Owner, [property: Query("state")] string? State = null, [property: Query({|APP1304:"state"|})] string? Status = null, [property: Query({|APP1304:"sort"|})] string? Sort = null);

        [Extractor("https://api.example.com", "/{owner}/issues?sort=updated", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<Search, Item>;
        """);

    [Fact]
    public Task A_member_sent_as_its_inherited_ToString_is_reported() => Verify("""
        public sealed record Range(int From, int To);
        public sealed class Filter { }
        public sealed class Named { public override string ToString() => "named"; }
        public readonly struct Code : System.IFormattable { public string ToString(string? format, System.IFormatProvider? provider) => "c"; }

        public sealed record Search(
            Filter {|APP1305:Owner|},
            [property: Query({|APP1305:"range"|})] Range? Window = null,
            [property: Query("name")] Named? Label = null,
            [property: Query("codes")] System.Collections.Generic.IReadOnlyList<Code>? Codes = null,
            [property: Query("ids")] long[]? Ids = null,
            [property: Query({|APP1305:"filters"|})] System.Collections.Generic.List<Filter>? Filters = null);

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<Search, Item>;
        """);

    [Fact]
    public Task A_member_whose_type_is_an_abstract_record_is_reported() => Verify("""
        // Every value of an abstract record is a record, and a derived record writes its own ToString() (the member list,
        // "DayRange { From = 1, To = 5 }") unless a record of the hierarchy declares one: the URL gets the member list all the same.
        public abstract record Range(int From, int To);
        public sealed record DayRange(int From, int To) : Range(From, To);

        public sealed record Search(string Owner, [property: Query({|APP1305:"range"|})] Range? Window = null);

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<Search, Item>;
        """);

    [Fact]
    public Task A_member_whose_type_is_object_an_interface_or_abstract_is_not_reported() => Verify("""
        // The generated ?.ToString() is a virtual call: the URL gets the text of the value's own type.
        public abstract class Filter { }
        public interface ITag { }

        public sealed record Search(
            string Owner,
            [property: Query("filter")] object? Any = null,
            [property: Query("tag")] ITag? Tag = null,
            [property: Query("kind")] Filter? Kind = null);

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<Search, Item>;
        """);
}
