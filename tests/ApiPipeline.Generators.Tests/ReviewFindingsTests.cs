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
}
