namespace ApiPipeline.Analyzers.Tests;

public class WatermarkKeyAnalyzerTests
{
    private static Task Verify(string body) => new AnalyzerTest<WatermarkKeyAnalyzer>(Code.With(body)).RunAsync();

    [Fact]
    public Task Lag_without_a_key_is_reported_on_the_lag() => Verify("""
        public sealed record Order(long Id, System.DateTimeOffset UpdatedAt);

        public sealed class Invoice
        {
            public string Number { get; set; } = "";

            public System.DateTimeOffset UpdatedAt { get; set; }
        }

        [JsonSerializable(typeof(Order))]
        [JsonSerializable(typeof(Invoice))]
        internal partial class OrderJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
        [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = {|APP1601:"5m"|})]
        public partial class Orders : IExtractor<NoInput, Order>;

        [Extractor("https://api.example.com", "/invoices", Json = typeof(OrderJson))]
        [Watermark(nameof(Invoice.UpdatedAt), Param = "since", Lag = {|APP1601:"1h"|})]
        public partial class Invoices : IExtractor<NoInput, Invoice>;

        [Extractor("https://api.example.com", "/raw", Json = typeof(OrderJson))]
        [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = {|APP1601:"2m"|})]
        public partial class RawOrders : IExtractor<NoInput, RawRecord<Order>>;
        """);

    [Fact]
    public Task A_Key_on_a_base_records_positional_parameter_is_a_key() => Verify("""
        public record Entity([Key] long Id);

        public sealed record Order(long Id, System.DateTimeOffset UpdatedAt) : Entity(Id);

        [JsonSerializable(typeof(Order))]
        internal partial class OrderJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
        [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = "5m")]
        public partial class Orders : IExtractor<NoInput, Order>;
        """);

    [Fact]
    public Task A_key_the_generator_would_not_take_is_no_key() => Verify("""
        public sealed class Order
        {
            public Order([Key] long id, System.DateTimeOffset at) => (Number, UpdatedAt) = (id, at);

            public long Number { get; }

            public System.DateTimeOffset UpdatedAt { get; }
        }

        public sealed record Refund(long Id, System.DateTimeOffset UpdatedAt)
        {
            [Key]
            internal long K => Id;
        }

        public sealed class Payment
        {
            public Payment([Key] long Id, System.DateTimeOffset UpdatedAt) => (this.Id, this.UpdatedAt) = (Id, UpdatedAt);

            public long Id;

            public System.DateTimeOffset UpdatedAt { get; }
        }

        [JsonSerializable(typeof(Order))]
        [JsonSerializable(typeof(Refund))]
        [JsonSerializable(typeof(Payment))]
        internal partial class OrderJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
        [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = {|APP1601:"5m"|})]
        public partial class Orders : IExtractor<NoInput, Order>;

        [Extractor("https://api.example.com", "/refunds", Json = typeof(OrderJson))]
        [Watermark(nameof(Refund.UpdatedAt), Param = "since", Lag = {|APP1601:"5m"|}, Key = null)]
        public partial class Refunds : IExtractor<NoInput, Refund>;

        [Extractor("https://api.example.com", "/payments", Json = typeof(OrderJson))]
        [Watermark(nameof(Payment.UpdatedAt), Param = "since", Lag = {|APP1601:"5m"|})]
        public partial class Payments : IExtractor<NoInput, Payment>;
        """);

    [Fact]
    public Task A_numeric_lag_above_zero_without_a_key_is_reported_and_zero_is_silent() => Verify("""
        public sealed record Entry(string Id, long Sequence);

        [JsonSerializable(typeof(Entry))]
        internal partial class EntryJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/entries", Json = typeof(EntryJson))]
        [Watermark(nameof(Entry.Sequence), Param = "after_id", Lag = {|APP1601:"100"|})]
        public partial class Entries : IExtractor<NoInput, Entry>;

        [Extractor("https://api.example.com", "/entries0", Json = typeof(EntryJson))]
        [Watermark(nameof(Entry.Sequence), Param = "after_id", Lag = "0")]
        public partial class EntriesNoLag : IExtractor<NoInput, Entry>;
        """);

    [Fact]
    public Task A_key_or_no_lag_is_silent() => Verify("""
        public sealed record Order([property: Key] long Id, System.DateTimeOffset UpdatedAt);

        public sealed record Refund(long Id, System.DateTimeOffset UpdatedAt);

        public sealed record Payout([property: System.ComponentModel.DataAnnotations.Key] long Id, System.DateTimeOffset UpdatedAt);

        public sealed class Invoice
        {
            [Key]
            public string Number { get; set; } = "";

            public System.DateTimeOffset UpdatedAt { get; set; }
        }

        [JsonSerializable(typeof(Order))]
        [JsonSerializable(typeof(Refund))]
        [JsonSerializable(typeof(Invoice))]
        [JsonSerializable(typeof(Payout))]
        internal partial class OrderJson : JsonSerializerContext;

        [Extractor("https://api.example.com", "/orders", Json = typeof(OrderJson))]
        [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = "5m")]
        public partial class Orders : IExtractor<NoInput, Order>;

        [Extractor("https://api.example.com", "/payouts", Json = typeof(OrderJson))]
        [Watermark(nameof(Payout.UpdatedAt), Param = "since", Lag = "5m")]
        public partial class Payouts : IExtractor<NoInput, Payout>;

        [Extractor("https://api.example.com", "/invoices", Json = typeof(OrderJson))]
        [Watermark(nameof(Invoice.UpdatedAt), Param = "since", Lag = "1h")]
        public partial class Invoices : IExtractor<NoInput, Invoice>;

        [Extractor("https://api.example.com", "/refunds", Json = typeof(OrderJson))]
        [Watermark(nameof(Refund.UpdatedAt), Param = "since", Lag = "5m", Key = nameof(Refund.Id))]
        public partial class Refunds : IExtractor<NoInput, Refund>;

        [Extractor("https://api.example.com", "/refunds2", Json = typeof(OrderJson))]
        [Watermark(nameof(Refund.UpdatedAt), Param = "since", Lag = "0")]
        public partial class RefundsNoLag : IExtractor<NoInput, Refund>;

        [Extractor("https://api.example.com", "/raw", Json = typeof(OrderJson))]
        [Watermark(nameof(Order.UpdatedAt), Param = "since", Lag = "5m")]
        public partial class RawOrders : IExtractor<NoInput, RawRecord<Order>>;

        [Extractor("https://api.example.com", "/refunds3", Json = typeof(OrderJson))]
        [Watermark(nameof(Refund.UpdatedAt), Param = "since")]
        public partial class RefundsDefault : IExtractor<NoInput, Refund>;
        """);
}

public class ParallelStepRateLimitAnalyzerTests
{
    internal const string Model = """
        public sealed record Org(string Login);

        public sealed record Repo(long Id, string Name, string Owner);

        public sealed record Issue(long Id, string Title);

        public sealed record RepoRef(string Owner, string Repo);

        [JsonSerializable(typeof(Repo))]
        [JsonSerializable(typeof(Issue))]
        internal partial class GhJson : JsonSerializerContext;

        [Extractor("https://api.github.com", "/orgs/{login}/repos", Json = typeof(GhJson))]
        public partial class OrgRepos : IExtractor<Org, Repo>;

        """;

    private static Task Verify(string body) => new AnalyzerTest<ParallelStepRateLimitAnalyzer>(Code.Alone(Model + body)).RunAsync();

    [Fact]
    public Task Parallel_step_on_an_extractor_without_RateLimited_is_reported_on_the_property() => Verify("""
        [Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(GhJson))]
        public partial class RepoIssues : IExtractor<RepoRef, Issue>;

        [Chain]
        public partial class OrgIssues
        {
            [Step(1)] public partial OrgRepos Repos { get; }

            [Step(2, Mode = ProcessingMode.Parallel, MaxConcurrency = 8)]
            [Map(nameof(Repo.Owner), To = nameof(RepoRef.Owner))]
            [Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))]
            public partial RepoIssues {|APP1701:Issues|} { get; }
        }
        """);

    [Fact]
    public Task Sequential_steps_and_rate_limited_extractors_are_silent() => Verify("""
        [Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(GhJson))]
        [RateLimited(RequestsPerSecond = 10)]
        public partial class RepoIssues : IExtractor<RepoRef, Issue>;

        [Extractor("https://api.github.com", "/repos/{owner}/{repo}/pulls", Json = typeof(GhJson))]
        public partial class RepoPulls : IExtractor<RepoRef, Issue>;

        [Chain]
        public partial class OrgIssues
        {
            [Step(1)] public partial OrgRepos Repos { get; }

            [Step(2, Mode = ProcessingMode.Parallel, MaxConcurrency = 8)]
            [Map(nameof(Repo.Owner), To = nameof(RepoRef.Owner))]
            [Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))]
            public partial RepoIssues Issues { get; }
        }

        [Chain]
        public partial class OrgPulls
        {
            [Step(1)] public partial OrgRepos Repos { get; }

            [Step(2, Mode = ProcessingMode.Sequential)]
            [Map(nameof(Repo.Owner), To = nameof(RepoRef.Owner))]
            [Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))]
            public partial RepoPulls Pulls { get; }
        }
        """);
}
