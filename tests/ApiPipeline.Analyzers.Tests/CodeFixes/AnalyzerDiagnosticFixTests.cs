using ApiPipeline.CodeFixes;
using Microsoft.CodeAnalysis.Testing;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>Fixes for the analyzers' diagnostics.</summary>
public class AnalyzerDiagnosticFixTests
{
    [Fact]
    public Task Add_JsonSerializable_for_the_record_type_next_to_the_others() => new CodeFixTest<JsonContextAnalyzer, AddJsonSerializableCodeFixProvider>(
        Code.With("""
            public sealed record Order(long Id);

            [Extractor("https://api.example.com", "/orders", Json = {|APP1201:typeof(ShopJson)|})]
            public partial class Orders : IExtractor<NoInput, Order>;
            """),
        Code.Usings + """
            public sealed record Order(long Id);

            [Extractor("https://api.example.com", "/orders", Json = typeof(ShopJson))]
            public partial class Orders : IExtractor<NoInput, Order>;

            public sealed record Item(long Id, string Name);

            public sealed record RepoRef(string Owner, string Repo);

            [JsonSerializable(typeof(Item))]
            [JsonSerializable(typeof(Order))]
            internal partial class ShopJson : JsonSerializerContext;

            """).RunAsync();

    [Fact]
    public Task Add_JsonSerializable_for_the_fields_type_of_a_passthrough_extractor() => new CodeFixTest<JsonContextAnalyzer, AddJsonSerializableCodeFixProvider>(
        Code.Alone("""
            public sealed record OrderKeys(long Id);

            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = {|APP1201:typeof(OrderJson)|})]
            public partial class Orders : IExtractor<NoInput, RawRecord<OrderKeys>>;
            """),
        Code.Alone("""
            public sealed record OrderKeys(long Id);

            [JsonSerializable(typeof(OrderKeys))]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            public partial class Orders : IExtractor<NoInput, RawRecord<OrderKeys>>;
            """)).RunAsync();

    [Fact]
    public Task Add_JsonSerializable_to_a_context_without_attributes() => new CodeFixTest<JsonContextAnalyzer, AddJsonSerializableCodeFixProvider>(
        Code.Alone("""
            public sealed record Order(long Id);

            [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = {|APP1201:typeof(OrderJson)|})]
            public partial class Orders : IExtractor<NoInput, Order>;
            """),
        Code.Alone("""
            public sealed record Order(long Id);

            [JsonSerializable(typeof(Order))]
            [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
            internal partial class OrderJson : JsonSerializerContext;

            [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
            public partial class Orders : IExtractor<NoInput, Order>;
            """)).RunAsync();

    [Fact]
    public Task Add_JsonSerializable_for_the_record_type_of_a_hand_written_extractor() => new CodeFixTest<JsonContextAnalyzer, AddJsonSerializableCodeFixProvider>(
        Code.Alone("""
            public sealed record Order(long Id);

            internal partial class OrderJson : JsonSerializerContext;

            [RegisteredExtractor("file_orders", Json = {|APP1201:typeof(OrderJson)|})]
            public sealed class FileOrders : IExtractor<NoInput, Order>
            {
                public string Name => "file_orders";

                public System.Collections.Generic.IAsyncEnumerable<Page<Order>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, System.Threading.CancellationToken cancellationToken = default) => throw new System.NotImplementedException();
            }
            """),
        Code.Alone("""
            public sealed record Order(long Id);

            [JsonSerializable(typeof(Order))]
            internal partial class OrderJson : JsonSerializerContext;

            [RegisteredExtractor("file_orders", Json = typeof(OrderJson))]
            public sealed class FileOrders : IExtractor<NoInput, Order>
            {
                public string Name => "file_orders";

                public System.Collections.Generic.IAsyncEnumerable<Page<Order>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, System.Threading.CancellationToken cancellationToken = default) => throw new System.NotImplementedException();
            }
            """)).RunAsync();

    [Fact]
    public Task Remove_a_secret_from_the_path_and_say_where_it_belongs() => new CodeFixTest<SecretLiteralAnalyzer, RemoveSecretCodeFixProvider>(
        Code.With("""
            /// <summary>Items.</summary>
            [Extractor("https://api.example.com", {|APP1401:"/items?state=all&api_key=abc123"|}, Json = typeof(ShopJson))]
            public partial class Items : IExtractor<NoInput, Item>;
            """),
        Code.With("""
            /// <summary>Items.</summary>
            // Secret removed from the URL (api_key): read it from configuration at run time and send it through an input member with [Query("api_key")] or ExtractorOptions.Headers.
            [Extractor("https://api.example.com", "/items?state=all", Json = typeof(ShopJson))]
            public partial class Items : IExtractor<NoInput, Item>;
            """)).RunAsync();

    [Fact]
    public Task Remove_user_info_and_a_token_from_the_base_url() => new CodeFixTest<SecretLiteralAnalyzer, RemoveSecretCodeFixProvider>(
        Code.With("""
            [Extractor({|APP1401:"https://bot:pa55@api.example.com/v1?token=xyz"|}, "/items", Json = typeof(ShopJson))]
            public partial class Items : IExtractor<NoInput, Item>;
            """),
        Code.With("""
            // Secret removed from the URL (user info, token): read it from configuration at run time and send it through an input member with [Query("token")] or ExtractorOptions.Headers.
            [Extractor("https://api.example.com/v1", "/items", Json = typeof(ShopJson))]
            public partial class Items : IExtractor<NoInput, Item>;
            """)).RunAsync();

    [Fact]
    public Task Remove_secrets_from_both_urls_with_fix_all()
    {
        var test = new CodeFixTest<SecretLiteralAnalyzer, RemoveSecretCodeFixProvider>(
            Code.With("""
                [Extractor({|APP1401:"https://api.example.com?token=t"|}, {|APP1401:"/items?client_secret=s&page=1"|}, Json = typeof(ShopJson))]
                public partial class Items : IExtractor<NoInput, Item>;
                """),
            Code.With("""
                // Secret removed from the URL (token): read it from configuration at run time and send it through an input member with [Query("token")] or ExtractorOptions.Headers.
                // Secret removed from the URL (client_secret): read it from configuration at run time and send it through an input member with [Query("client_secret")] or ExtractorOptions.Headers.
                [Extractor("https://api.example.com", "/items?page=1", Json = typeof(ShopJson))]
                public partial class Items : IExtractor<NoInput, Item>;
                """));
        test.NumberOfIncrementalIterations = 2;
        test.NumberOfFixAllIterations = 1;
        return test.RunAsync();
    }

    [Fact]
    public Task Start_the_path_with_a_slash() => new CodeFixTest<EndpointAnalyzer, AddLeadingSlashCodeFixProvider>(
        Code.With("""
            [Extractor("https://api.example.com/v2", {|APP1003:"items"|}, Json = typeof(ShopJson))]
            public partial class Items : IExtractor<NoInput, Item>;
            """),
        Code.With("""
            [Extractor("https://api.example.com/v2", "/items", Json = typeof(ShopJson))]
            public partial class Items : IExtractor<NoInput, Item>;
            """)).RunAsync();

    [Fact]
    public Task Remove_ignored_settings_with_fix_all()
    {
        var test = new CodeFixTest<PaginationAnalyzer, RemoveIgnoredSettingCodeFixProvider>(
            Code.With("""
                [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                [Paginated(Pagination.Offset, {|APP1102:CursorPath = "next"|}, PageSize = 10, {|APP1102:TotalPagesPath = "pages"|})]
                public partial class Items : IExtractor<NoInput, Item>;
                """),
            Code.With("""
                [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                [Paginated(Pagination.Offset, PageSize = 10)]
                public partial class Items : IExtractor<NoInput, Item>;
                """));
        test.NumberOfFixAllIterations = 1;
        test.NumberOfIncrementalIterations = 2;
        return test.RunAsync();
    }

    [Fact]
    public Task Removing_ignored_settings_keeps_the_comments_of_the_settings_that_stay()
    {
        var test = new CodeFixTest<PaginationAnalyzer, RemoveIgnoredSettingCodeFixProvider>(
            Code.With("""
                [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                [Paginated(Pagination.Offset,
                    PageSize = 100, // the API's maximum
                    {|APP1102:CursorPath = "next"|},
                    TotalPath = "meta.total", // reported by every page
                    {|APP1102:PageParam = "p"|})]
                public partial class Items : IExtractor<NoInput, Item>;
                """),
            Code.With("""
                [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
                [Paginated(Pagination.Offset,
                    PageSize = 100, // the API's maximum
                    TotalPath = "meta.total" // reported by every page
                    )]
                public partial class Items : IExtractor<NoInput, Item>;
                """));
        test.NumberOfFixAllIterations = 1;
        return test.RunAsync();
    }

    [Fact]
    public Task Repair_a_malformed_path() => new CodeFixTest<PaginationAnalyzer, RepairPathCodeFixProvider>(
        Code.With("""
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            [Paginated(Pagination.Cursor, CursorPath = {|APP1105:"meta..next_cursor."|}, RecordsPath = {|APP1105:"$..data"|})]
            public partial class Items : IExtractor<NoInput, Item>;
            """),
        Code.With("""
            [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
            [Paginated(Pagination.Cursor, CursorPath = "meta.next_cursor", RecordsPath = "$.data")]
            public partial class Items : IExtractor<NoInput, Item>;
            """)).RunAsync();

    [Fact]
    public Task Add_Query_to_an_unused_record_parameter_and_property() => new CodeFixTest<UnusedInputMemberAnalyzer, AddQueryAttributeCodeFixProvider>(
        Code.With("""
            public sealed record Search(string Owner, string? {|APP1301:Label|} = null);

            public sealed class Filter
            {
                public string Name { get; init; } = "";

                public int? {|APP1301:Limit|} { get; init; }
            }

            [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
            public partial class Issues : IExtractor<Search, Item>;

            [Extractor("https://api.example.com", "/{name}/items", Json = typeof(ShopJson))]
            public partial class Items : IExtractor<Filter, Item>;
            """),
        Code.With("""
            public sealed record Search(string Owner, [property: Query] string? Label = null);

            public sealed class Filter
            {
                public string Name { get; init; } = "";

                [Query]
                public int? Limit { get; init; }
            }

            [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
            public partial class Issues : IExtractor<Search, Item>;

            [Extractor("https://api.example.com", "/{name}/items", Json = typeof(ShopJson))]
            public partial class Items : IExtractor<Filter, Item>;
            """)).RunAsync();

    [Fact]
    public Task Set_PartitionByDateTime_instead_of_PartitionBy_keeping_the_lambda()
    {
        var test = new CodeFixTest<PartitionByDateTimeAnalyzer, UsePartitionByDateTimeCodeFixProvider>(
            Code.With("""
                public sealed record Order(long Id, System.DateTime CreatedAt, System.DateTime? ShippedAt);

                public static class Outputs
                {
                    public static JsonlOutputOptions<Order> Created() => new() { Name = "orders", PartitionBy = o => {|APP1801:o.CreatedAt|} };

                    public static JsonlOutputOptions<Order> Shipped() => new()
                    {
                        Name = "orders",
                        PartitionBy = o =>
                        {
                            if (o.ShippedAt is { } shipped)
                            {
                                return {|APP1801:shipped|};
                            }

                            return o.Id == 0 ? null : {|APP1801:o.CreatedAt|};
                        },
                    };
                }
                """),
            Code.With("""
                public sealed record Order(long Id, System.DateTime CreatedAt, System.DateTime? ShippedAt);

                public static class Outputs
                {
                    public static JsonlOutputOptions<Order> Created() => new() { Name = "orders", PartitionByDateTime = o => o.CreatedAt };

                    public static JsonlOutputOptions<Order> Shipped() => new()
                    {
                        Name = "orders",
                        PartitionByDateTime = o =>
                        {
                            if (o.ShippedAt is { } shipped)
                            {
                                return shipped;
                            }

                            return o.Id == 0 ? null : o.CreatedAt;
                        },
                    };
                }
                """));
        test.NumberOfFixAllIterations = 1;
        return test.RunAsync();
    }

    [Fact]
    public Task No_PartitionByDateTime_fix_when_the_lambda_would_not_compile_or_it_is_set_already()
    {
        var source = Code.With("""
            public sealed record Order(long Id, System.DateTime CreatedAt, System.DateTimeOffset UpdatedAt);

            public static class Outputs
            {
                public static JsonlOutputOptions<Order> Cast() => new() { Name = "orders", PartitionBy = o => {|APP1801:(System.DateTimeOffset)o.CreatedAt|} };

                public static JsonlOutputOptions<Order> Mixed() => new() { Name = "orders", PartitionBy = o => o.Id == 0 ? o.UpdatedAt : {|APP1801:o.CreatedAt|} };

                public static JsonlOutputOptions<Order> Typed() => new() { Name = "orders", PartitionBy = System.DateTimeOffset? (Order o) => {|APP1801:o.CreatedAt|} };

                public static JsonlOutputOptions<Order> Both() => new() { Name = "orders", PartitionBy = o => {|APP1801:o.CreatedAt|}, PartitionByDateTime = o => o.CreatedAt };

                // In a with expression the copied options' PartitionBy would stay set beside PartitionByDateTime, which JsonlOutput refuses.
                public static JsonlOutputOptions<Order> Copied(JsonlOutputOptions<Order> options) => options with { PartitionBy = o => {|APP1801:o.CreatedAt|} };
            }
            """);
        return new CodeFixTest<PartitionByDateTimeAnalyzer, UsePartitionByDateTimeCodeFixProvider>(source, source).RunAsync();
    }
}
