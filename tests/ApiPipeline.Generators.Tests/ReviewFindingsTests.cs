namespace ApiPipeline.Generators.Tests;

/// <summary>Shapes found in review on which the generator writes code that does not compile, or says nothing where it should.</summary>
public sealed class ReviewFindingsTests
{
    [Fact]
    public void A_file_local_extractor_is_reported_instead_of_left_unimplemented()
    {
        // The generated part is a declaration in another file, so it cannot complete a file-local class: the user gets only CS0535
        // ("does not implement interface member") on their own class. The generator should say why (APP0005), as it does for a
        // file-local [RegisteredExtractor] (APP0119) or [Output] (APP0116).
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/repos/{owner}/{repo}", Json = typeof(TestJson))]
            file sealed partial class Items : IExtractor<RepoRef, Item>;
            """);

        Assert.DoesNotContain(result.OutputErrors, e => e.Id == "CS0535");
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal("APP0005", diagnostic.Id);
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
