namespace ApiPipeline.Analyzers.Tests;

public class DurationAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<DurationAnalyzer>(Code.With(body)).RunAsync();

    [Fact]
    public Task Durations_that_do_not_parse_are_reported_on_the_value() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Retry(BaseDelay = {|APP1501:"5 minutes"|}, MaxDelay = {|APP1501:"1x"|}, MaxRetryAfter = {|APP1501:""|})]
        [Timeouts(PerAttempt = {|APP1501:"1.5s"|}, Total = {|APP1501:"30s2m"|})]
        [CircuitBreaker(SamplingDuration = {|APP1501:"30 s"|}, BreakDuration = {|APP1501:"soon"|})]
        [RateLimited(10, RecoveryInterval = {|APP1501:"5M"|})]
        public partial class Items : IExtractor<NoInput, Item>;

        public sealed record Order(long Id, System.DateTimeOffset UpdatedAt);

        [JsonSerializable(typeof(Order))]
        internal partial class OrderJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
        [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = {|APP1501:"2 hours ago"|}, AllowedLateness = {|APP1501:"-1m"|})]
        public partial class Orders : IExtractor<NoInput, Order>;

        [Extractor("https://api.example.com", "/windows", Json = typeof(OrderJson))]
        [Watermark(nameof(Order.UpdatedAt), Param = "since", UntilParam = "until")]
        [TimeWindows(Size = {|APP1501:"1 day"|}, Offset = {|APP1501:"6 hours"|})]
        public partial class WindowedOrders : IExtractor<NoInput, Order>;
        """);

    [Fact]
    public Task A_numeric_watermark_counts_its_lag_in_units_and_is_not_a_duration() => Verify("""
        public sealed record Entry([property: Key] string Id, long Sequence, int? Version);

        [JsonSerializable(typeof(Entry))]
        internal partial class EntryJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/entries", Json = typeof(EntryJson))]
        [Watermark(nameof(Entry.Sequence), Param = "after_id", Lag = "100", AllowedLateness = "50")]
        public partial class Entries : IExtractor<NoInput, Entry>;

        [Extractor("https://api.example.com", "/versions", Json = typeof(EntryJson))]
        [Watermark(nameof(Entry.Version), Lag = "3")]
        public partial class Versions : IExtractor<NoInput, Entry>;
        """);

    [Fact]
    public Task Valid_but_non_canonical_durations_are_info() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Retry(BaseDelay = {|APP1502:"1500ms"|}, MaxDelay = {|APP1502:"90s"|}, MaxRetryAfter = {|APP1502:"0s"|})]
        [Timeouts(Total = {|APP1502:"24h"|})]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Canonical_durations_and_unset_settings_are_silent() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Retry(3, BaseDelay = "500ms", MaxDelay = "1m30s", MaxRetryAfter = "0")]
        [Timeouts(PerAttempt = "10s", Total = "1d2h3m4s5ms")]
        [CircuitBreaker(SamplingDuration = "30s")]
        [RateLimited(10)]
        public partial class Items : IExtractor<NoInput, Item>;
        """);
}

public class ResilienceRangeAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<ResilienceRangeAnalyzer>(Code.With(body)).RunAsync();

    [Fact]
    public Task Out_of_range_numbers_are_reported_on_the_value() => Verify("""
        [Extractor("https://api.example.com", "/a", Json = typeof(ShopJson))]
        [Retry(MaxRetries = {|APP1511:-1|})]
        [RateLimited(RequestsPerSecond = {|APP1512:-5|}, Burst = {|APP1512:-1|}, MaxConcurrent = {|APP1512:-2|}, QuotaReserve = {|APP1512:-3|})]
        [CircuitBreaker(FailureRatio = {|APP1513:1.5|}, MinimumThroughput = {|APP1513:1|})]
        public partial class A : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/b", Json = typeof(ShopJson))]
        [Retry({|APP1511:-3|})]
        [RateLimited({|APP1512:0.0001|})]
        [CircuitBreaker(FailureRatio = {|APP1513:0|})]
        public partial class B : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Values_in_range_are_silent() => Verify("""
        [Extractor("https://api.example.com", "/a", Json = typeof(ShopJson))]
        [Retry(MaxRetries = 0)]
        [RateLimited(RequestsPerSecond = 0.5, Burst = 0, MaxConcurrent = 4, QuotaReserve = 0)]
        [CircuitBreaker(FailureRatio = 1, MinimumThroughput = 2)]
        public partial class A : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/b", Json = typeof(ShopJson))]
        [Retry(10)]
        [RateLimited(0, MaxConcurrent = 2)]
        [CircuitBreaker]
        public partial class B : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task A_named_setting_overrides_the_constructor_value_so_only_it_is_checked() => Verify("""
        [Extractor("https://api.example.com", "/a", Json = typeof(ShopJson))]
        [Retry(-1, MaxRetries = 3)]
        [RateLimited(-5, RequestsPerSecond = 10)]
        public partial class A : IExtractor<NoInput, Item>;

        [Extractor("https://api.example.com", "/b", Json = typeof(ShopJson))]
        [Retry(3, MaxRetries = {|APP1511:-1|})]
        [RateLimited(10, RequestsPerSecond = {|APP1512:-5|})]
        public partial class B : IExtractor<NoInput, Item>;
        """);
}

public class AuthSecretAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<AuthSecretAnalyzer>(Code.With(body)).RunAsync();

    [Theory]
    [InlineData("ghp_16C7e42F292c6912E7710c838347Ae178B4a")]
    [InlineData("sk-proj-abc123")]
    [InlineData("Bearer abc")]
    [InlineData("xoxb-1234-5678")]
    [InlineData("dXNlcjpwYXNzd29yZA==")]
    [InlineData("a3f9c0d1e2b44c5d6e7f8a9b")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9")]
    public Task A_secret_value_is_reported_on_the_value(string secret) => Verify($$"""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Auth(AuthKind.Bearer, Secret = {|APP1402:"{{secret}}"|})]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Fact]
    public Task Client_id_and_secret_values_are_both_reported() => Verify("""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Auth(AuthKind.OAuth2ClientCredentials, Id = {|APP1402:"0oa1b2c3d4e5f6g7h8i9j0k"|}, Secret = {|APP1402:"sk_live_51Habc"|}, TokenUrl = "https://auth.example.com/token")]
        public partial class Items : IExtractor<NoInput, Item>;
        """);

    [Theory]
    [InlineData("GITHUB_TOKEN")]
    [InlineData("SHOP_API_KEY_2")]
    [InlineData("Shop:Credentials:ApiKey1234")]
    [InlineData("skyline_token")]
    [InlineData("my_service_api_token")]
    public Task Names_of_secrets_are_silent(string name) => Verify($$"""
        [Extractor("https://api.example.com", "/items", Json = typeof(ShopJson))]
        [Auth(AuthKind.Bearer, Secret = "{{name}}")]
        public partial class Items : IExtractor<NoInput, Item>;
        """);
}
