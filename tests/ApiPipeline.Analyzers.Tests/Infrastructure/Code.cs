namespace ApiPipeline.Analyzers.Tests;

/// <summary>Test sources: usings on top, the test's own code, then the record and input types most tests use.</summary>
internal static class Code
{
    public const string Usings = """
        using System.Text.Json.Serialization;
        using ApiPipeline;


        """;

    public const string Types = """


        public sealed record Item(long Id, string Name);

        public sealed record RepoRef(string Owner, string Repo);

        [JsonSerializable(typeof(Item))]
        internal partial class ShopJson : JsonSerializerContext;

        """;

    /// <summary><paramref name="body"/> between <see cref="Usings"/> and <see cref="Types"/>.</summary>
    public static string With(string body) => Usings + body + Types;

    /// <summary><paramref name="body"/> after <see cref="Usings"/> only.</summary>
    public static string Alone(string body) => Usings + body + "\n";
}
