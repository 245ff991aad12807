namespace ApiPipeline.Analyzers.Tests;

public class JsonContextAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<JsonContextAnalyzer>(Code.With(body)).RunAsync();

    [Fact]
    public Task Record_type_missing_from_the_context_is_reported_on_the_Json_argument() => Verify("""
        public sealed record Order(long Id);

        [Extractor("https://api.example.com", "/orders", Json = {|APP1201:typeof(ShopJson)|})]
        public partial class Orders : IExtractor<NoInput, Order>;
        """);

    [Fact]
    public Task A_record_type_reachable_from_a_registered_type_is_silent() => Verify("""
        public sealed record Order(long Id, Customer Who);

        public sealed record Customer(string Name);

        public sealed record Refund(long Id);

        public sealed record Ledger(System.Collections.Generic.Dictionary<string, Refund[]> Refunds);

        [JsonSerializable(typeof(System.Collections.Generic.List<Order>))]
        [JsonSerializable(typeof(Ledger))]
        internal partial class OrderJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
        public partial class Orders : IExtractor<NoInput, Order>;

        [Extractor("https://api.example.com", "/customers", Json = typeof(OrderJson))]
        public partial class Customers : IExtractor<NoInput, Customer>;

        [Extractor("https://api.example.com", "/refunds", Json = typeof(OrderJson))]
        public partial class Refunds : IExtractor<NoInput, Refund>;

        [Extractor("https://api.example.com", "/items", Json = {|APP1201:typeof(OrderJson)|})]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Derived_types_and_included_fields_of_a_registered_type_are_silent() => Verify("""
        [JsonDerivedType(typeof(Dog), "dog")]
        public record Animal(long Id);

        public sealed record Dog(long Id, string Breed) : Animal(Id);

        public sealed class Kennel
        {
            public Collar? Collar;

            [JsonInclude]
            internal Tag? Tag { get; set; }
        }

        public sealed record Collar(long Id);

        public sealed record Tag(long Id);

        [JsonSerializable(typeof(Animal))]
        [JsonSerializable(typeof(Kennel))]
        internal partial class PetJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/dogs", Json = typeof(PetJson))]
        public partial class Dogs : IExtractor<NoInput, Dog>;

        [Extractor("https://api.example.com", "/collars", Json = typeof(PetJson))]
        public partial class Collars : IExtractor<NoInput, Collar>;

        [Extractor("https://api.example.com", "/tags", Json = typeof(PetJson))]
        public partial class Tags : IExtractor<NoInput, Tag>;
        """);

    [Fact]
    public Task Registered_record_type_is_silent() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Registration_in_another_part_of_a_partial_context_counts() => Verify("""
        public sealed record Order(long Id);

        [JsonSerializable(typeof(Order))]
        internal partial class ShopJson;

        [Extractor("https://api.example.com", "/orders", Json = typeof(ShopJson))]
        public partial class Orders : IExtractor<NoInput, Order>;
        """);

    [Fact]
    public Task A_hand_written_extractors_Json_context_without_the_record_type_is_reported_on_the_Json_argument() => Verify("""
        public sealed record Order(long Id);

        [RegisteredExtractor("file_orders", Json = {|APP1201:typeof(ShopJson)|})]
        public sealed class FileOrders : IExtractor<NoInput, Order>
        {
            public string Name => "file_orders";

            public System.Collections.Generic.IAsyncEnumerable<Page<Order>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, System.Threading.CancellationToken cancellationToken = default) => throw new System.NotImplementedException();
        }
        """);
}
