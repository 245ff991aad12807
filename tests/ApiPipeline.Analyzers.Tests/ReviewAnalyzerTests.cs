using ApiPipeline.CodeFixes;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>
/// Failing tests found reviewing APP1801 (feature/partition-datetime): each states the expected behaviour; the comment above it says
/// what is wrong and where.
/// </summary>
public class ReviewAnalyzerTests
{
    private const string Order = """
        public sealed record Order(long Id, System.DateTime CreatedAt, System.DateTime? ShippedAt, System.DateTimeOffset UpdatedAt, System.DateTimeOffset? ClosedAt);


        """;

    private static Task Verify(string body) => new AnalyzerTest<PartitionByDateTimeAnalyzer>(Code.With(Order + body)).RunAsync();

    // False negative. PartitionByDateTimeAnalyzer.cs:108-111 (Leaves) and :162 only look for IConversionOperation nodes. In
    // `DateTime? ?? DateTimeOffset` the result type is DateTimeOffset and C# converts the left operand with DateTimeOffset's implicit
    // operator from DateTime (the local-time conversion), but Roslyn records that conversion as ICoalesceOperation.ValueConversion, not as
    // an IConversionOperation child: the DateTime is never reported. Fix: in Leaves, for ICoalesceOperation check
    // coalesce.ValueConversion.MethodSymbol with IsDateTimeToDateTimeOffset's test and report the Value.
    [Fact]
    public Task A_nullable_DateTime_coalesced_with_a_DateTimeOffset_is_reported() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Shipped() => new() { Name = "orders", PartitionBy = o => {|APP1801:o.ShippedAt|} ?? o.UpdatedAt };
        }
        """);

    // False negative. PartitionByDateTimeAnalyzer.cs:12-16 exempts constructor calls as "the user's own choice", but the one-argument
    // constructor new DateTimeOffset(DateTime) is exactly what the implicit operator calls: it takes a DateTime without a kind as the
    // machine's local time (only the two-argument one with an explicit offset is a choice). Fix: also report a returned
    // IObjectCreationOperation of DateTimeOffset whose constructor has the single DateTime parameter.
    [Fact]
    public Task The_one_argument_DateTimeOffset_constructor_which_is_the_same_local_conversion_is_reported() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Created() => new() { Name = "orders", PartitionBy = o => new System.DateTimeOffset({|APP1801:o.CreatedAt|}) };
        }
        """);

    // Code fix producing broken code. UsePartitionByDateTimeCodeFixProvider.cs:54-58 accepts any InitializerExpressionSyntax, including a
    // `with` expression's. There, renaming PartitionBy to PartitionByDateTime leaves the copied options' PartitionBy in place: options
    // that had one (the usual reason to override it with `with`) now carry both, and new JsonlOutput<T>(…) throws "Set PartitionBy or
    // PartitionByDateTime, not both" (JsonlOutput.cs:97-100) where the original code ran. (The existing fix test
    // Set_PartitionByDateTime_instead_of_PartitionBy_keeping_the_lambda enshrines this output.) Fix: in a with-initializer also set
    // PartitionBy = null (or offer no fix there).
    [Fact]
    public Task The_fix_in_a_with_expression_clears_the_copied_PartitionBy()
    {
        var test = new CodeFixTest<PartitionByDateTimeAnalyzer, UsePartitionByDateTimeCodeFixProvider>(
            Code.With("""
                public sealed record Order(long Id, System.DateTime CreatedAt);

                public static class Outputs
                {
                    public static JsonlOutputOptions<Order> Created(JsonlOutputOptions<Order> options) => options with { PartitionBy = o => {|APP1801:o.CreatedAt|} };
                }
                """),
            Code.With("""
                public sealed record Order(long Id, System.DateTime CreatedAt);

                public static class Outputs
                {
                    public static JsonlOutputOptions<Order> Created(JsonlOutputOptions<Order> options) => options with { PartitionBy = null, PartitionByDateTime = o => o.CreatedAt };
                }
                """));
        return test.RunAsync();
    }

    // False positive. PartitionByDateTimeAnalyzer.cs:92-105 reports every DateTime converted, but a DateTime whose kind is set to UTC
    // (DateTime.SpecifyKind(…, DateTimeKind.Utc), DateTime.UtcNow) is converted with offset zero on every machine: the message's "the
    // partition date depends on the machine's time zone" is false there, and the warning pushes a user who already handled the kind.
    // Fix: skip operands that are DateTime.SpecifyKind(x, DateTimeKind.Utc) or DateTime.UtcNow.
    [Fact]
    public Task A_DateTime_given_the_UTC_kind_is_not_reported() => Verify("""
        public static class Outputs
        {
            public static JsonlOutputOptions<Order> Created() => new() { Name = "orders", PartitionBy = o => System.DateTime.SpecifyKind(o.CreatedAt, System.DateTimeKind.Utc) };
        }
        """);
}
