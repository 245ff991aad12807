namespace ApiPipeline.Generators.Tests;

/// <summary>[Watermark] and [Key]: the generated WatermarkOptions, and APP0007 for fields that cannot be a watermark.</summary>
public sealed class WatermarkTests
{
    private const string Records = """
        namespace Demo;

        public sealed record Change([property: Key] long Id, string Name, System.DateTimeOffset UpdatedAt, System.DateTime? SeenAt, int Count, decimal Amount);

        public sealed record Event([property: Key] string Id, long Sequence, int? Version);

        public sealed record Plain(string Code, System.DateTimeOffset UpdatedAt);
        """;

    [Fact]
    public void WatermarkWithKeyAndAllSettings()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}/changes", Json = typeof(TestJson))]
            [Paginated(Pagination.PageNumber, PageSize = 10)]
            [Watermark(nameof(Change.UpdatedAt), Param = "since", UntilParam = "until", Lag = "5m", Initial = "2024-01-01T00:00:00Z", AllowedLateness = "1h", Late = LateRecordPolicy.Drop)]
            public partial class Changes : IExtractor<RepoRef, Change>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        Snapshot.Verify(nameof(WatermarkWithKeyAndAllSettings), Assert.Single(result.Sources).SourceText.ToString());
    }

    [Fact]
    public void DateTimeFieldAndKeyNamedOnTheAttribute()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/plain", Json = typeof(TestJson))]
            [Watermark("SeenAt", Key = "Name")]
            public partial class Plains : IExtractor<NoInput, Change>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string text = Assert.Single(result.Sources).SourceText.ToString();
        Assert.Contains("Read = static r => global::ApiPipeline.RecordTime.FromDateTime(r.SeenAt),", text, StringComparison.Ordinal); // a DateTime without a kind is UTC
    }

    [Theory]
    [InlineData("[Key] public long Id;", "Key = static r => r.Id.ToString(null, global::System.Globalization.CultureInfo.InvariantCulture),")] // a field
    [InlineData("[Key] public Kind Id { get; init; }", "Key = static r => r.Id.ToString(),")] // an enum: its name
    [InlineData("[Key] public Code Id { get; init; }", "Key = static r => ((global::System.IFormattable)r.Id).ToString(null, global::System.Globalization.CultureInfo.InvariantCulture),")] // IFormattable only explicitly
    [InlineData("[Key] public OrderId Id { get; init; }", "Key = static r => r.Id.ToString() ?? string.Empty,")] // a strongly typed id
    [InlineData("[Key] public bool Id { get; init; }", "Key = static r => r.Id.ToString() ?? string.Empty,")]
    [InlineData("[Key] public OrderId? Id { get; init; }", "Key = static r => r.Id?.ToString(),")]
    public void KeyOfEveryKindOfMember(string member, string key)
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            namespace Demo;

            public enum Kind { A, B }

            public readonly struct Code : System.IFormattable
            {
                string System.IFormattable.ToString(string? format, System.IFormatProvider? provider) => "code";
            }

            public readonly record struct OrderId(long Value);

            public sealed class Rec
            {
                {{member}}

                public System.DateTimeOffset UpdatedAt { get; set; }
            }

            [Extractor("https://api.example.com", "/recs", Json = typeof(TestJson))]
            [Watermark(nameof(Rec.UpdatedAt), Param = "since", Lag = "5m")]
            public partial class Recs : IExtractor<NoInput, Rec>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        Assert.Contains(key, Assert.Single(result.Sources).SourceText.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"Missing\"", "'Missing' is not a public property or field of the record type 'Change'")]
    [InlineData("nameof(Change.Amount)", "'Change.Amount' is a decimal, not a DateTimeOffset, DateTime, long or int")]
    [InlineData("nameof(Change.Name)", "'Change.Name' is a string, not a DateTimeOffset, DateTime, long or int")]
    public void APP0007_FieldThatCannotBeAWatermark(string field, string problem)
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + $$"""

            [Extractor("https://api.example.com", "/changes", Json = typeof(TestJson))]
            [Watermark({{field}})]
            public partial class Changes : IExtractor<NoInput, Change>;
            """);

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0007", diagnostic.Id);
        Assert.Contains(problem, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("'Changes'", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void NumericWatermarkWithLagInitialAndLateness()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/events", Json = typeof(TestJson))]
            [Paginated(Pagination.PageNumber, PageSize = 10)]
            [Watermark(nameof(Event.Sequence), Param = "after_id", Lag = "100", Initial = "1000", AllowedLateness = "50", Late = LateRecordPolicy.DeadLetter)]
            public partial class Events : IExtractor<NoInput, Event>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        Snapshot.Verify(nameof(NumericWatermarkWithLagInitialAndLateness), Assert.Single(result.Sources).SourceText.ToString());
    }

    [Fact]
    public void NullableIntWatermark()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/events", Json = typeof(TestJson))]
            [Watermark(nameof(Event.Version))]
            public partial class Versions : IExtractor<NoInput, Event>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string text = Assert.Single(result.Sources).SourceText.ToString();
        Assert.Contains("Read = static r => (long?)r.Version,", text, StringComparison.Ordinal);
        Assert.Contains("Kind = global::ApiPipeline.WatermarkKind.Number,", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Lag = \"5m\"", "so Lag counts its units and must be a whole number of zero or more, not \"5m\"")]
    [InlineData("AllowedLateness = \"-3\"", "so AllowedLateness counts its units and must be a whole number of zero or more, not \"-3\"")]
    [InlineData("Initial = \"2024-01-01\"", "so Initial must be a whole number, not \"2024-01-01\"")]
    public void APP0007_NumericWatermarkSettingThatIsNotANumber(string setting, string problem)
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + $$"""

            [Extractor("https://api.example.com", "/events", Json = typeof(TestJson))]
            [Watermark(nameof(Event.Sequence), {{setting}})]
            public partial class Events : IExtractor<NoInput, Event>;
            """);

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0007", diagnostic.Id);
        Assert.Contains("'Event.Sequence' is a number, " + problem, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(result.Sources);
    }

    [Fact]
    public void APP0007_KeyThatDoesNotExist()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/changes", Json = typeof(TestJson))]
            [Watermark(nameof(Plain.UpdatedAt), Key = "Id")]
            public partial class Plains : IExtractor<NoInput, Plain>;
            """);

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0007", diagnostic.Id);
        Assert.Contains("the Key 'Id'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_Key_on_a_base_records_positional_parameter_keys_the_derived_record()
    {
        // [Query] on a base record's positional parameter is read for a derived input (EdgeCaseTests); [Key] on one is not: the
        // watermark gets no Key, so a Lag above zero makes every pipeline run fail at its start ("records are read again and must
        // be de-duplicated"), although the record's Id is marked as its key. APP1601.md: "a [Key] constructor parameter counts
        // when a public property has its exact name" - Issue.Id is that property.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            public record Entity([Key] long Id);

            public sealed record Issue(long Id, DateTimeOffset UpdatedAt) : Entity(Id);

            [Extractor("https://api.example.com", "/issues", Json = typeof(TestJson))]
            [Watermark(nameof(Issue.UpdatedAt), Param = "since", Lag = "5m")]
            public partial class Issues : IExtractor<NoInput, Issue>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        Assert.Contains("Key = static r => r.Id.ToString(null, global::System.Globalization.CultureInfo.InvariantCulture),", result.SingleSourceText, StringComparison.Ordinal);
    }
}
