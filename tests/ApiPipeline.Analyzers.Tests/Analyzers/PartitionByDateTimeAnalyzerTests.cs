namespace ApiPipeline.Analyzers.Tests;

public class PartitionByDateTimeAnalyzerTests
{
    private const string Order = """
        public sealed record Order(long Id, System.DateTime CreatedAt, System.DateTime? ShippedAt, System.DateTimeOffset UpdatedAt, System.DateTimeOffset? ClosedAt, long CreatedUnix);


        """;

    private static Task Verify(string body) => new AnalyzerTest<PartitionByDateTimeAnalyzer>(Code.With(Order + body)).RunAsync();

    [Fact]
    public Task DateTime_and_nullable_DateTime_members_are_reported() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Created() => new() { Name = "orders", PartitionBy = o => {|APP1801:o.CreatedAt|} };

            // ToUniversalTime takes a DateTime without a kind as local too: its result is machine-dependent all the same.
            public static JsonlOutputOptions<Order> Universal() => new() { Name = "orders", PartitionBy = o => {|APP1801:o.CreatedAt.ToUniversalTime()|} };

            public static JsonlOutputOptions<Order> Shipped() => new JsonlOutputOptions<Order> { Name = "orders", PartitionBy = (Order o) => {|APP1801:o.ShippedAt|} };

            public static JsonlOutputOptions<Order> Renamed(JsonlOutputOptions<Order> options) => options with { PartitionBy = o => {|APP1801:o.CreatedAt|} };

            public static JsonlOutput<Order> Output() => new(null!, new() { Name = "orders", PartitionBy = o => o.Id > 0 ? {|APP1801:o.CreatedAt|} : null });
        }
        """);

    [Fact]
    public Task Every_DateTime_a_block_lambda_returns_is_reported() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Lambda() => new()
            {
                Name = "orders",
                PartitionBy = o =>
                {
                    if (o.ShippedAt is { } shipped)
                    {
                        return {|APP1801:shipped|};
                    }

                    System.Func<System.DateTimeOffset?> nested = () => o.CreatedAt; // another delegate's return, not PartitionBy's
                    return o.Id == 0 ? null : {|APP1801:o.CreatedAt|};
                },
            };

            public static JsonlOutputOptions<Order> AnonymousMethod() => new() { Name = "orders", PartitionBy = delegate (Order o) { return {|APP1801:o.CreatedAt|}; } };
        }
        """);

    [Fact]
    public Task A_cast_is_the_same_conversion_and_is_reported() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Cast() => new() { Name = "orders", PartitionBy = o => {|APP1801:(System.DateTimeOffset)o.CreatedAt|} };
        }
        """);

    [Fact]
    public Task The_hosting_factorys_partitionBy_is_reported() => Verify("""
        public static class Outputs
        {
            public static JsonlOutput<Order> Output(ApiPipeline.Hosting.JsonlOutputFactory factory)
                => factory.Create<Order>(null!, "orders", o => {|APP1801:o.CreatedAt|});

            public static JsonlOutput<Order> Offset(ApiPipeline.Hosting.JsonlOutputFactory factory)
                => factory.Create<Order>(null!, "orders", partitionBy: o => o.UpdatedAt);

            public static JsonlOutput<Order> ByDateTime(ApiPipeline.Hosting.JsonlOutputFactory factory)
                => factory.Create<Order>(null!, "orders", partitionByDateTime: o => o.CreatedAt);
        }

        // The signature of ApiPipeline.Hosting's factory (src/ApiPipeline.Hosting/ServiceCollectionExtensions.cs); the assembly itself is
        // not referenced here, since it brings a newer System.Text.Json than the reference pack's.
        namespace ApiPipeline.Hosting
        {
            public sealed class JsonlOutputFactory
            {
                public JsonlOutput<T> Create<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string name, System.Func<T, System.DateTimeOffset?>? partitionBy = null, System.Func<T, System.DateTime?>? partitionByDateTime = null)
                    => new(typeInfo, new JsonlOutputOptions<T> { Name = name, PartitionBy = partitionBy, PartitionByDateTime = partitionByDateTime });
            }
        }
        """);

    [Fact]
    public Task DateTimeOffset_members_PartitionByDateTime_explicit_offsets_and_other_PartitionBy_properties_are_silent() => Verify("""
        public sealed class Partitioning
        {
            public System.Func<Order, System.DateTimeOffset?>? PartitionBy { get; init; }
        }

        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Updated() => new() { Name = "orders", PartitionBy = o => o.UpdatedAt };

            public static JsonlOutputOptions<Order> Closed() => new() { Name = "orders", PartitionBy = o => o.ClosedAt ?? o.UpdatedAt };

            public static JsonlOutputOptions<Order> ByDateTime() => new() { Name = "orders", PartitionByDateTime = o => o.ShippedAt ?? o.CreatedAt };

            public static JsonlOutputOptions<Order> AtUtc() => new() { Name = "orders", PartitionBy = o => new System.DateTimeOffset(o.CreatedAt, System.TimeSpan.Zero) };

            public static Partitioning Other() => new() { PartitionBy = o => o.CreatedAt };
        }
        """);

    [Fact]
    public Task A_nullable_DateTime_coalesced_with_a_DateTimeOffset_is_reported() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Shipped() => new() { Name = "orders", PartitionBy = o => {|APP1801:o.ShippedAt|} ?? o.UpdatedAt };
        }
        """);

    [Fact]
    public Task The_one_argument_DateTimeOffset_constructor_is_the_same_conversion_and_is_reported() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Created() => new() { Name = "orders", PartitionBy = o => new System.DateTimeOffset({|APP1801:o.CreatedAt|}) };
        }
        """);

    [Fact]
    public Task A_DateTime_of_the_UTC_kind_on_every_machine_is_silent() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Created() => new() { Name = "orders", PartitionBy = o => System.DateTime.SpecifyKind(o.CreatedAt, System.DateTimeKind.Utc) };

            public static JsonlOutputOptions<Order> Now() => new() { Name = "orders", PartitionBy = o => System.DateTime.UtcNow };

            public static JsonlOutputOptions<Order> Today() => new() { Name = "orders", PartitionBy = o => System.DateTime.UtcNow.Date };
        }
        """);

    [Fact]
    public Task SpecifyKind_to_Utc_with_named_arguments_in_another_order_is_silent() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Created() => new() { Name = "orders", PartitionBy = o => System.DateTime.SpecifyKind(kind: System.DateTimeKind.Utc, value: o.CreatedAt) };
        }
        """);

    [Fact]
    public Task A_DateTime_of_the_UTC_kind_from_UnixEpoch_or_UtcDateTime_is_silent() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Epoch() => new() { Name = "orders", PartitionBy = o => System.DateTime.UnixEpoch.AddSeconds(o.CreatedUnix) };

            public static JsonlOutputOptions<Order> Updated() => new() { Name = "orders", PartitionBy = o => o.UpdatedAt.UtcDateTime };
        }
        """);
}
