namespace ApiPipeline.Generators.Tests;

/// <summary>Passthrough extractors (<c>IExtractor&lt;TIn, RawRecord&lt;TFields&gt;&gt;</c>): type info of TFields, watermark and key through <c>.Fields</c>.</summary>
public sealed class PassthroughTests
{
    private const string Records = """
        namespace Demo;

        public sealed record IssueKeys([property: Key] long Id, System.DateTimeOffset UpdatedAt);
        """;

    [Fact]
    public void PassthroughWithWatermarkAndKey()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}/issues", Json = typeof(TestJson))]
            [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
            [Watermark(nameof(IssueKeys.UpdatedAt), Param = "since", Lag = "5m")]
            public partial class IssuesRaw : IExtractor<RepoRef, RawRecord<IssueKeys>>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string source = Assert.Single(result.Sources).SourceText.ToString();
        Assert.Contains("var fields = global::ApiPipeline.ExtractorJson.GetTypeInfo<global::Demo.IssueKeys>(", source, StringComparison.Ordinal);
        Assert.Contains("global::ApiPipeline.RawRecord.TypeInfo(fields, new ApiPipelineFieldsReader(fields.Options))", source, StringComparison.Ordinal);
        Assert.Contains("static r => r.Fields.UpdatedAt", source, StringComparison.Ordinal);
        Assert.Contains("static r => r.Fields.Id.ToString(", source, StringComparison.Ordinal);
        Snapshot.Verify(nameof(PassthroughWithWatermarkAndKey), source);
    }

    [Fact]
    public void PassthroughFieldsReader()
    {
        // Every way a member is read and assigned: constructor parameters (with and without a default), [JsonPropertyName], the
        // context's naming policy, nullable and reference types, a required init property, a settable property, an enum through its
        // metadata, and a read-only property that is not read.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            using System.Text.Json.Serialization;

            namespace Demo;

            public enum Priority { Low, High }

            public sealed record Keys(
                [property: Key] long Id,
                [property: JsonPropertyName("modified")] DateTimeOffset UpdatedAt,
                int? Count = 5,
                string? Title = null)
            {
                [JsonRequired]
                public required Guid Tenant { get; init; }

                public Priority Priority { get; set; } = Priority.High;

                public bool? Flag { get; set; }

                public string Display => Title ?? string.Empty;
            }

            {{TestSources.JsonContext("SnakeJson", "[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]")}}

            [Extractor("https://api.example.com", "/keys", Json = typeof(SnakeJson))]
            [Watermark(nameof(Keys.UpdatedAt))]
            public partial class KeysRaw : IExtractor<NoInput, RawRecord<Keys>>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string source = result.SingleSourceText;
        Assert.Contains("global::System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(\"Id\")", source, StringComparison.Ordinal);
        Assert.Contains("Name1 = \"modified\";", source, StringComparison.Ordinal);
        Assert.DoesNotContain("Display", source, StringComparison.Ordinal);
        Snapshot.Verify(nameof(PassthroughFieldsReader), source);
    }

    [Fact]
    public void PassthroughFieldsReaderForAStruct()
    {
        // A positional readonly record struct: System.Text.Json makes it with the parameterless constructor and sets what is present;
        // init-only members are set in its object initializer (their default when absent, as System.Text.Json's metadata does).
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            using System.Text.Json.Serialization;

            namespace Demo;

            public readonly record struct Keys([property: Key] long Id, DateTimeOffset UpdatedAt)
            {
                public string? Title { get; init; }
            }

            {{TestSources.JsonContext("SnakeJson", "[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]")}}

            [Extractor("https://api.example.com", "/keys", Json = typeof(SnakeJson))]
            [Watermark(nameof(Keys.UpdatedAt))]
            public partial class KeysRaw : IExtractor<NoInput, RawRecord<Keys>>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string source = result.SingleSourceText;
        Assert.Contains("var fields = new global::Demo.Keys()", source, StringComparison.Ordinal);
        Assert.Contains("UpdatedAt = value1,", source, StringComparison.Ordinal);
        Assert.DoesNotContain("fields with {", source, StringComparison.Ordinal);
        Snapshot.Verify(nameof(PassthroughFieldsReaderForAStruct), source);
    }

    [Fact]
    public void PassthroughFieldsReaderSetsInitOnlyMembersOfAClassInItsInitializer()
    {
        // System.Text.Json's generated metadata sets init-only members in the object initializer, to their default when the JSON lacks
        // them (the property initializer does not survive); the generated reader does the same, inherited members included.
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            using System.Text.Json.Serialization;

            namespace Demo;

            public class Stamped
            {
                public DateTimeOffset UpdatedAt { get; init; }
            }

            public sealed class Keys : Stamped
            {
                public long @Id { get; init; }

                public string Title { get; init; } = "untitled";
            }

            {{TestSources.JsonContext("SnakeJson", "[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]")}}

            [Extractor("https://api.example.com", "/keys", Json = typeof(SnakeJson))]
            public partial class KeysRaw : IExtractor<NoInput, RawRecord<Keys>>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string source = result.SingleSourceText;
        Assert.Contains("RawRecord.TypeInfo(fields, new ApiPipelineFieldsReader(fields.Options))", source, StringComparison.Ordinal);
        Assert.Contains("var fields = new global::Demo.Keys()\n", source, StringComparison.Ordinal);
        Assert.Contains("Id = value0,\n", source, StringComparison.Ordinal);
        Assert.Contains("Title = value1!,\n", source, StringComparison.Ordinal);
        Assert.Contains("UpdatedAt = value2,\n", source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]", "public sealed record Keys(long Id);")]
    [InlineData("[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]", "public sealed record Keys(long Id);")]
    [InlineData("[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]", "public sealed record Keys(long Id);")]
    [InlineData("", "public sealed record Keys(long Id) { [JsonExtensionData] public System.Collections.Generic.Dictionary<string, object>? Rest { get; set; } }")]
    [InlineData("", "public sealed record Keys([property: JsonConverter(typeof(JsonStringEnumConverter))] System.DayOfWeek Day);")]
    [InlineData("", "[JsonPolymorphic] public record Keys(long Id);")]
    public void PassthroughFieldsReaderFallsBackToTheRuntimePath(string options, string record)
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + $$"""
            using System.Text.Json.Serialization;

            namespace Demo;

            {{record}}

            {{TestSources.JsonContext("OtherJson", options)}}

            [Extractor("https://api.example.com", "/keys", Json = typeof(OtherJson))]
            public partial class KeysRaw : IExtractor<NoInput, RawRecord<Keys>>;
            """);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string source = result.SingleSourceText;
        Assert.Contains("RecordTypeInfo = static () => global::ApiPipeline.RawRecord.TypeInfo(global::ApiPipeline.ExtractorJson.GetTypeInfo<global::Demo.Keys>(", source, StringComparison.Ordinal);
        Assert.DoesNotContain("RawFieldsReader", source, StringComparison.Ordinal);
    }

    [Fact]
    public void PassthroughWatermarkOnAMissingFieldReportsApp0007()
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + Records + """

            [Extractor("https://api.example.com", "/issues", Json = typeof(TestJson))]
            [Watermark("CreatedAt")]
            public partial class IssuesRaw : IExtractor<NoInput, RawRecord<IssueKeys>>;
            """);

        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0007", diagnostic.Id);
        Assert.Contains("IssueKeys", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}
