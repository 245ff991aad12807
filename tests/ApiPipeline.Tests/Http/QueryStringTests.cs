using Microsoft.AspNetCore.WebUtilities;

namespace ApiPipeline.Tests;

public sealed class QueryStringTests
{
    [Fact]
    public void Appends_to_a_url_without_a_query()
        => Assert.Equal("http://h/p?cursor=abc", QueryString.Set(new Uri("http://h/p"), "cursor", "abc").AbsoluteUri);

    [Fact]
    public void Appends_after_existing_parameters()
        => Assert.Equal("http://h/p?state=all&page=2", QueryString.Set(new Uri("http://h/p?state=all"), "page", "2").AbsoluteUri);

    [Fact]
    public void Replaces_an_existing_parameter_and_keeps_the_others()
    {
        var uri = QueryString.Set(new Uri("http://h/p?a=1&cursor=old&b=2&cursor=older"), "cursor", "new");

        Assert.Equal("http://h/p?a=1&b=2&cursor=new", uri.AbsoluteUri);
    }

    [Fact]
    public void Replaces_a_parameter_whose_name_was_escaped()
        => Assert.Equal("http://h/p?x=1&page%5Bnumber%5D=3", QueryString.Set(new Uri("http://h/p?page%5Bnumber%5D=2&x=1"), "page[number]", "3").AbsoluteUri);

    [Fact]
    public void Does_not_replace_a_parameter_that_only_shares_a_prefix()
        => Assert.Equal("http://h/p?pages=9&page=2", QueryString.Set(new Uri("http://h/p?pages=9"), "page", "2").AbsoluteUri);

    [Fact]
    public void Sets_several_parameters_at_once()
    {
        var uri = QueryString.Set(new Uri("http://h/p?offset=9&q=x"), [new("offset", "0"), new("limit", "50")]);

        Assert.Equal("http://h/p?q=x&offset=0&limit=50", uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("a+b/c==")]
    [InlineData("x&y=z#frag?")]
    [InlineData("é☃")]
    [InlineData("%41")]
    public void Escapes_values_so_they_round_trip(string value)
    {
        var uri = QueryString.Set(new Uri("http://h/p?keep=1"), "cursor", value);

        var query = QueryHelpers.ParseQuery(uri.Query);
        Assert.Equal(value, query["cursor"].ToString());
        Assert.Equal("1", query["keep"].ToString());
        Assert.Equal(2, query.Count);
        Assert.Equal("", uri.Fragment);
    }

    [Fact]
    public void Keeps_the_path_port_and_fragment()
    {
        var uri = QueryString.Set(new Uri("http://h:8080/a%20b/c?x=1#top"), "y", "2");

        Assert.Equal("http://h:8080/a%20b/c?x=1&y=2#top", uri.AbsoluteUri);
    }
}
