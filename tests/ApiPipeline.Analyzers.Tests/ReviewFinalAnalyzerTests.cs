namespace ApiPipeline.Analyzers.Tests;

public class ReviewFinalAnalyzerTests
{
    private const string Order = """
        public sealed record Order(long Id, System.DateTime CreatedAt, System.DateTime? ShippedAt, System.DateTimeOffset UpdatedAt, System.DateTimeOffset? ClosedAt, long CreatedUnix);


        """;

    private static Task Verify(string body) => new AnalyzerTest<PartitionByDateTimeAnalyzer>(Code.With(Order + body)).RunAsync();

    // False positive: PartitionByDateTimeAnalyzer.IsUtc matches SpecifyKind's arguments by position ([_, { ConstantValue: 1 }]), but
    // IInvocationOperation.Arguments are in source (evaluation) order, so named arguments in the other order (kind: first) put the
    // DateTimeKind.Utc constant at index 0 and the exemption is missed. Match the argument by its Parameter (Name "kind" / ordinal 1).
    [Fact]
    public Task SpecifyKind_to_Utc_with_named_arguments_in_another_order_is_silent() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Created() => new() { Name = "orders", PartitionBy = o => System.DateTime.SpecifyKind(kind: System.DateTimeKind.Utc, value: o.CreatedAt) };
        }
        """);

    // False positive against the documented rule "a DateTime of the UTC kind on every machine is not reported": IsUtc only knows the two
    // syntactic shapes DateTime.UtcNow and SpecifyKind(…, Utc). DateTime.UnixEpoch.AddSeconds(…) (the usual Unix-timestamp conversion) and
    // DateTimeOffset.UtcDateTime are UTC-kind on every machine, so the implicit conversion to DateTimeOffset does not depend on the time
    // zone, yet APP1801 says it does. Fix: treat UnixEpoch, DateTimeOffset.UtcDateTime/UtcNow.UtcDateTime, and kind-preserving members
    // (Date, Add*) of a UTC-kind receiver as UTC (or narrow the doc's claim).
    [Fact]
    public Task A_DateTime_of_the_UTC_kind_from_UnixEpoch_or_UtcDateTime_is_silent() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Epoch() => new() { Name = "orders", PartitionBy = o => System.DateTime.UnixEpoch.AddSeconds(o.CreatedUnix) };

            public static JsonlOutputOptions<Order> Updated() => new() { Name = "orders", PartitionBy = o => o.UpdatedAt.UtcDateTime };
        }
        """);
}
