using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests;

/// <summary>Each generator diagnostic: exact ID, where it points, and that nothing is generated for the class it blames.</summary>
public sealed class DiagnosticsTests
{
    [Fact]
    public void APP0001_NotPartial()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/items", Json = typeof(TestJson))]
            public class Items : IExtractor<RepoRef, Item>;
            """;

        var diagnostic = AssertOnlyDiagnostic(source, "APP0001", "public class Items", "Items");
        Assert.Contains("'Items'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0002_NoExtractorInterface()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/items", Json = typeof(TestJson))]
            public partial class Items;
            """;

        AssertOnlyDiagnostic(source, "APP0002", "public partial class Items", "Items");
    }

    [Fact]
    public void APP0003_PlaceholderWithoutMember()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            public sealed record Input(string Repo);

            [Extractor(
                "https://api.example.com",
                "/repos/{owner}/{repo}",
                Json = typeof(TestJson))]
            public partial class RepoItems : IExtractor<Input, Item>;
            """;

        var diagnostic = AssertOnlyDiagnostic(source, "APP0003", "\"/repos/{owner}/{repo}\"", "\"/repos/{owner}/{repo}\"");
        string message = diagnostic.GetMessage();
        Assert.Contains("'{owner}'", message, StringComparison.Ordinal);
        Assert.Contains("'RepoItems'", message, StringComparison.Ordinal);
        Assert.Contains("'Input'", message, StringComparison.Ordinal);
        Assert.Contains("'Owner'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("{repo}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void APP0003_and_APP0006_land_on_their_own_arguments_when_the_arguments_are_named()
    {
        string placeholder = TestSources.Usings + """
            namespace Demo;

            [Extractor(path: "/repos/{nope}", baseUrl: "https://api.example.com", Json = typeof(TestJson))]
            public partial class RepoItems : IExtractor<RepoRef, Item>;
            """;
        string badBase = TestSources.Usings + """
            namespace Demo;

            [Extractor(path: "/items", baseUrl: "/api", Json = typeof(TestJson))]
            public partial class Items : IExtractor<RepoRef, Item>;
            """;

        AssertOnlyDiagnostic(placeholder, "APP0003", "[Extractor(path:", "\"/repos/{nope}\"");
        AssertOnlyDiagnostic(badBase, "APP0006", "[Extractor(path:", "\"/api\"");
    }

    [Fact]
    public void APP0004_NoJsonContext()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/items")]
            public partial class Items : IExtractor<RepoRef, Item>;
            """;

        var diagnostic = AssertOnlyDiagnostic(source, "APP0004", "Extractor(\"https", "Extractor(\"https://api.example.com\", \"/items\")");
        Assert.Contains("typeof(Item)", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0004_JsonIsNotAContext()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/items",
                Name = "items", Json = typeof(string))]
            public partial class Items : IExtractor<RepoRef, Item>;
            """;

        var diagnostic = AssertOnlyDiagnostic(source, "APP0004", "Json = typeof(string)", "Json = typeof(string)");
        Assert.Contains("'items'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0005_GenericClass()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/items", Json = typeof(TestJson))]
            public partial class Items<T> : IExtractor<RepoRef, Item>;
            """;

        var diagnostic = AssertOnlyDiagnostic(source, "APP0005", "public partial class Items<T>", "Items");
        Assert.Contains("is generic", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""
        [Extractor("https://api.example.com", "/items", Json = typeof(TestJson))]
        file sealed partial class Items : IExtractor<RepoRef, Item>;
        """)]
    [InlineData("""
        file partial class Api
        {
            [Extractor("https://api.example.com", "/items", Json = typeof(TestJson))]
            public partial class Items : IExtractor<RepoRef, Item>;
        }
        """)]
    public void APP0005_FileLocal(string declaration)
    {
        // The generated part is in another file, so it cannot complete a file-local class: without APP0005 the user sees only CS0535.
        var diagnostic = AssertOnlyDiagnostic(TestSources.Usings + "namespace Demo;\n\n" + declaration, "APP0005", "class Items", "Items");
        Assert.Contains("'Items' is file-local", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0005_PrimaryConstructor()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/items", Json = typeof(TestJson))]
            public partial class Items(string tag) : IExtractor<RepoRef, Item>
            {
                public string Tag => tag;
            }
            """;

        var diagnostic = AssertOnlyDiagnostic(source, "APP0005", "public partial class Items(string tag) : IExtractor<RepoRef, Item>", "Items");
        Assert.Contains("has a primary constructor", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0005_NestedInNonPartialClass()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            public partial class Outer
            {
                public class Middle
                {
                    [Extractor("https://api.example.com", "/items", Json = typeof(TestJson))]
                    public partial class Items : IExtractor<RepoRef, Item>;
                }
            }
            """;

        var diagnostic = AssertOnlyDiagnostic(source, "APP0005", "public partial class Items", "Items");
        Assert.Contains("'Middle'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api", "\"/api\"")]
    [InlineData("ftp://files.example.com", "\"ftp://files.example.com\"")]
    public void APP0006_BaseUrlNotAbsoluteHttp(string baseUrl, string span)
    {
        string source = TestSources.Usings + $$"""
            namespace Demo;

            [Extractor("{{baseUrl}}", "/items", Json = typeof(TestJson))]
            public partial class Items : IExtractor<RepoRef, Item>;
            """;

        var diagnostic = AssertOnlyDiagnostic(source, "APP0006", "[Extractor(", span);
        Assert.Contains($"'{baseUrl}'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/repos/{owner/items", "malformed placeholder at position 7")]
    [InlineData("/repos/owner}/items", "'}' without a matching '{' at position 12")]
    [InlineData("/repos/{}/items", "malformed placeholder at position 7")]
    [InlineData("/repos/{own er}", "malformed placeholder at position 7")]
    public void APP0006_UnbalancedPath(string path, string problem)
    {
        string source = TestSources.Usings + $$"""
            namespace Demo;

            [Extractor("https://api.example.com",
                "{{path}}", Json = typeof(TestJson))]
            public partial class Items : IExtractor<RepoRef, Item>;
            """;

        var diagnostic = AssertOnlyDiagnostic(source, "APP0006", "\"" + path, "\"" + path + "\"");
        Assert.Contains(problem, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidExtractorDoesNotStopTheOthers()
    {
        string source = TestSources.Usings + """
            namespace Demo;

            [Extractor("https://api.example.com", "/items/{nope}", Json = typeof(TestJson))]
            public partial class Broken : IExtractor<RepoRef, Item>;

            [Extractor("https://api.example.com", "/items/{owner}", Json = typeof(TestJson))]
            public partial class Fine : IExtractor<RepoRef, Item>;
            """;

        var result = GeneratorHarness.Run(TestSources.Common, source);

        Assert.Equal("APP0003", Assert.Single(result.GeneratorDiagnostics).Id);
        Assert.Equal("Demo.Fine.g.cs", Assert.Single(result.Sources).HintName);

        // Only the broken class lacks its implementation.
        Assert.All(result.OutputErrors, e => Assert.Equal("CS0535", e.Id));
        Assert.All(result.OutputErrors, e => Assert.Contains("'Broken'", e.GetMessage(), StringComparison.Ordinal));
        Assert.NotEmpty(result.OutputErrors);
    }

    /// <summary>
    /// Feeds half-written code, as an editor does on every keystroke: the generator must neither throw nor report that it failed.
    /// </summary>
    [Theory]
    [InlineData("[Extractor] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\")] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a/{owner}\"")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a/{owner}\", Json = typeof(TestJson))] public partial class")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a\", Json = typeof(Missing))] public partial class A : IExtractor<Nope, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a\", Json = typeof(TestJson))] public partial class A : IExtractor<RepoRef, Nope>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a\", Json = typeof(TestJson))] public partial class A : IExtractor<RepoRef>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"\", Json = typeof(TestJson))] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(null, null, Json = typeof(TestJson))] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(1, 2, Json = typeof(TestJson))] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/{\", Json = typeof(TestJson))] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"}\", Json = typeof(TestJson), Name = null)] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a\", Json = typeof(TestJson))] [Paginated] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a\", Json = typeof(TestJson))] [Paginated(Pagination.Bogus, PageSize = \"x\")] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a\", Json = typeof(TestJson))] [Paginated((Pagination)42)] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a\", Json = typeof(TestJson))] [Paginated((Pagination)(-1))] public partial class A : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a/{class}\", Json = typeof(TestJson))] public partial class @class : IExtractor<In, Item>; public record In(string @class);")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a\", Json = typeof(TestJson))] public partial class A : IExtractor<RepoRef, Item>, IExtractor<Item, RepoRef>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a\", Json = typeof(TestJson))] public partial struct S : IExtractor<RepoRef, Item>;")]
    [InlineData("[Extractor(\"https://api.example.com\", \"/a/{x}\", Json = typeof(TestJson))] public partial class A : IExtractor<int[], Item>;")]
    [InlineData("public partial class Outer<T> { [Extractor(\"https://api.example.com\", \"/a\", Json = typeof(TestJson))] public partial class A : IExtractor<RepoRef, Item>; }")]
    public void MalformedSourceNeverBreaksTheGenerator(string code)
    {
        var result = GeneratorHarness.Run(TestSources.Common, TestSources.Usings + "namespace Demo;\n\n" + code + "\n");

        Assert.Null(result.RunResult.Exception);
        Assert.DoesNotContain(result.GeneratorDiagnostics, d => d.Id is "CS8784" or "CS8785" or "AD0001");
        Assert.All(result.GeneratorDiagnostics, d => Assert.StartsWith("APP", d.Id, StringComparison.Ordinal));

        // Whatever was generated compiles: every remaining error is in the user's (broken) code, none in a generated file.
        var generatedTrees = result.Output.SyntaxTrees.Except(result.Input.SyntaxTrees).ToHashSet();
        Assert.Equal(result.AllSources.Length, generatedTrees.Count);
        Assert.DoesNotContain(result.OutputErrors, e => e.Location.SourceTree is { } tree && generatedTrees.Contains(tree));
    }

    private static Diagnostic AssertOnlyDiagnostic(string source, string id, string lineMarker, string spanText)
    {
        var result = GeneratorHarness.Run(TestSources.Common, source);

        Assert.Null(result.RunResult.Exception);
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Empty(result.Sources);

        var location = diagnostic.Location;
        Assert.Equal("Source1.cs", location.GetLineSpan().Path);
        Assert.Equal(GeneratorHarness.LineOf(source, lineMarker), location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal(spanText, source.Substring(location.SourceSpan.Start, location.SourceSpan.Length));
        return diagnostic;
    }
}
