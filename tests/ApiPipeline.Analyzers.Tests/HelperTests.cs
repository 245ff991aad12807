using Microsoft.CodeAnalysis.CSharp;

namespace ApiPipeline.Analyzers.Tests;

/// <summary>The rules the analyzers and fixes share: text, and an input's members as the generator binds them.</summary>
public class HelperTests
{
    [Theory]
    [InlineData("rpeo", "Repo")]
    [InlineData("ownr", "Owner")]
    [InlineData("repo_nme", "RepoName")]
    public void Closest_finds_a_typo(string placeholder, string expected)
        => Assert.Equal(expected, Names.Closest(placeholder, ["Owner", "Repo", "RepoName"]));

    [Theory]
    [InlineData("x")]          // too far from everything
    [InlineData("state")]      // nothing close
    [InlineData("repo")]       // an exact match is not a typo
    public void Closest_stays_silent_when_unsure(string placeholder)
        => Assert.Null(Names.Closest(placeholder, ["Owner", "Repo", "Labels"]));

    [Fact]
    public void Closest_stays_silent_on_a_tie() => Assert.Null(Names.Closest("cat", ["Bat", "Hat"]));

    [Theory]
    [InlineData("/items?api_key=1", "/items")]
    [InlineData("/items?state=all&api_key=1", "/items?state=all")]
    [InlineData("/items?api_key=1&state=all", "/items?state=all")]
    [InlineData("/items?a=1&token=2&b=3#top", "/items?a=1&b=3#top")]
    [InlineData("/items?token=2#top", "/items#top")]
    public void Remove_drops_secret_pairs(string url, string expected)
        => Assert.Equal(expected, UrlText.Remove(url, UrlText.SecretParameters(url), dropUserInfo: false));

    [Fact]
    public void Remove_drops_user_info() => Assert.Equal(
        "https://api.example.com/v1?page=1",
        UrlText.Remove("https://bot:pa55@api.example.com/v1?page=1", [], dropUserInfo: true));

    [Theory]
    [InlineData("api_key", true)]
    [InlineData("X-Api-Key", true)]
    [InlineData("access_token", true)]
    [InlineData("client_secret", true)]
    [InlineData("Authorization", true)]
    [InlineData("code", true)]
    [InlineData("state", false)]
    [InlineData("keyword", false)]
    [InlineData("page", false)]
    public void IsSensitive_matches_UrlRedactor(string name, bool expected)
    {
        Assert.Equal(expected, UrlText.IsSensitive(name));
        Assert.Equal(UrlRedactor.IsSensitive(name), UrlText.IsSensitive(name));
    }

    [Fact]
    public void InputMembers_of_an_interface_include_its_base_interfaces_members_and_a_new_member_hides_the_one_it_hides()
    {
        // Label is declared by two interfaces, neither extending the other: input.Label is ambiguous, so it is not a member.
        const string source = """
            using ApiPipeline;

            public interface IOwned
            {
                string Owner { get; }

                string Label { get; }
            }

            public interface ITagged { string Label { get; } }

            public interface IPaged { string Page { get; } }

            public interface INumberedPages : IPaged
            {
                new int Page { get; }

                [Query] string? Sort { get; }
            }

            public interface IPageQuery : INumberedPages, IOwned, ITagged { string Repo { get; } }
            """;
        var compilation = CSharpCompilation.Create("Members", [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))], TestReferences.All);

        var members = InputMembers.Of(compilation.GetTypeByMetadataName("IPageQuery")!, KnownTypes.TryCreate(compilation)!);

        Assert.Equal(["Repo", "Page", "Sort", "Owner"], members.Select(m => m.Name));
        Assert.Equal("INumberedPages", members.Single(m => m.Name == "Page").Symbol.ContainingType.Name);
        Assert.Equal("sort", members.Single(m => m.Name == "Sort").QueryName);
    }

    [Theory]
    [InlineData("data..items", "data.items")]
    [InlineData(".data.", "data")]
    [InlineData("$..items", "$.items")]
    [InlineData("a...b", "a.b")]
    public void Repair_removes_empty_segments(string path, string expected)
    {
        Assert.False(JsonPathSyntax.IsValid(path));
        Assert.Equal(expected, JsonPathSyntax.Repair(path));
        Assert.True(JsonPathSyntax.IsValid(expected));
    }
}
