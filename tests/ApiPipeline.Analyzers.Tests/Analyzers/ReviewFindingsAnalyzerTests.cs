namespace ApiPipeline.Analyzers.Tests;

/// <summary>Diagnostics found in review on correct code (false positives) or missing on code a docs page describes.</summary>
public class ReviewFindingsAnalyzerTests
{
    [Fact]
    public Task APP1601_is_silent_when_a_base_records_positional_parameter_carries_Key() => new AnalyzerTest<WatermarkKeyAnalyzer>(Code.With("""
        public record Entity([Key] long Id);

        public sealed record Order(long Id, System.DateTimeOffset UpdatedAt) : Entity(Id);

        [JsonSerializable(typeof(Order))]
        internal partial class OrderJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
        [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = "5m")]
        public partial class Orders : IExtractor<NoInput, Order>;
        """)).RunAsync();

    [Fact]
    public Task APP1305_is_silent_for_an_object_member_whose_value_has_its_own_ToString() => new AnalyzerTest<QueryBindingAnalyzer>(Code.With("""
        // The generated code sends input.Filter?.ToString(): a virtual call, so the URL gets the value's text ("open", "42"), not
        // "System.Object". APP1305 says "the URL gets its type name" and asks to "override ToString() in object".
        public sealed record Search(string Owner, [property: Query("filter")] object? Filter = null);

        [Extractor("https://api.example.com", "/{owner}/issues", Json = typeof(ShopJson))]
        public partial class Issues : IExtractor<Search, Item>;
        """)).RunAsync();
}
