namespace ApiPipeline.Generators.Tests;

/// <summary>User code shared by the tests.</summary>
internal static class TestSources
{
    /// <summary>
    /// Records, inputs and a hand-written <c>JsonSerializerContext</c> (the System.Text.Json generator does not run in test
    /// compilations), in namespace <c>Demo</c>. A separate file, so line numbers of the file under test do not depend on it.
    /// </summary>
    public const string Common = """
        using System;
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using System.Text.Json.Serialization.Metadata;

        namespace Demo;

        public sealed record Item(long Id, string Name);

        public sealed record RepoRef(string Owner, string Repo);

        internal sealed class TestJson : JsonSerializerContext
        {
            public TestJson()
                : base(null)
            {
            }

            public static TestJson Default { get; } = new();

            protected override JsonSerializerOptions? GeneratedSerializerOptions => null;

            public override JsonTypeInfo? GetTypeInfo(Type type) => null;
        }
        """;

    /// <summary>The usings a file under test starts with.</summary>
    public const string Usings = """
        using System;
        using ApiPipeline;
        using Demo;

        """;

    /// <summary>A valid extractor of <c>Item</c> with input <c>RepoRef</c> in namespace <c>Demo</c>, on one page.</summary>
    /// <summary>A stub <c>JsonSerializerContext</c> named <paramref name="name"/> under <paramref name="options"/> (an attribute line, or empty).</summary>
    public static string JsonContext(string name, string options = "") => $$"""
        {{options}}
        internal sealed class {{name}} : JsonSerializerContext
        {
            public {{name}}() : base(null) { }
            public static {{name}} Default { get; } = new();
            protected override System.Text.Json.JsonSerializerOptions? GeneratedSerializerOptions => null;
            public override System.Text.Json.Serialization.Metadata.JsonTypeInfo? GetTypeInfo(Type type) => null;
        }
        """;

    public static string Extractor(string name = "Items", string path = "/repos/{owner}/{repo}/items") => Usings + $$"""
        namespace Demo;

        [Extractor("https://api.example.com", "{{path}}", Json = typeof(TestJson))]
        public partial class {{name}} : IExtractor<RepoRef, Item>;
        """;
}
