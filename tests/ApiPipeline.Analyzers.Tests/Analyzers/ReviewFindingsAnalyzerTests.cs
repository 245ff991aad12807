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
}
