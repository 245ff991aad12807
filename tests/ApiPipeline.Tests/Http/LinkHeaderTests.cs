namespace ApiPipeline.Tests;

public sealed class LinkHeaderTests
{
    [Theory]
    [InlineData("<https://a/1>; rel=\"next\"", "https://a/1")]
    [InlineData("<https://a/1>; rel=next", "https://a/1")]
    [InlineData("<https://a/0>; rel=\"prev\", <https://a/2>; rel=\"next\", <https://a/9>; rel=\"last\"", "https://a/2")]
    [InlineData("<https://a/0>;rel=\"prev\", <https://a/2> ; rel = \"next\"", "https://a/2")]
    [InlineData("<https://a/0>;rel=\"prev\",<https://a/2>;rel=\"next\"", "https://a/2")]
    [InlineData("<https://a/9>; rel=\"next last\"", "https://a/9")]
    [InlineData("<https://a/9>; rel=\"last next\"", "https://a/9")]
    [InlineData("<https://a/9>; REL=\"NEXT\"", "https://a/9")]
    [InlineData("< https://a/2 >; rel=\"next\"", "https://a/2")]
    [InlineData("<https://a/2?x=1;y=2,z>; rel=\"next\"", "https://a/2?x=1;y=2,z")]
    [InlineData("<https://a/1>; title=\"a, <b>\"; rel=\"prev\", <https://a/2>; rel=\"next\"", "https://a/2")]
    [InlineData("<https://a/1>; type=\"text/html\"; rel=\"next\"; title=\"x\"", "https://a/1")]
    [InlineData("</relative?page=2>; rel=\"next\"", "/relative?page=2")]
    [InlineData("<https://a/1>; rel=\"prev\"; title=\"back; rel=next\", <https://a/2>; rel=\"next\"", "https://a/2")]
    [InlineData("<https://a/1>; title=\"a \\\"; rel=next\"; rel=\"prev\", <https://a/2>; rel=\"next\"", "https://a/2")]
    [InlineData("<https://a/1>; rel=\"prev\"; rel=\"next\", <https://a/3>; rel=\"next\"", "https://a/3")] // a link's second rel is ignored
    public void Finds_the_next_link(string header, string expected)
        => Assert.Equal(expected, LinkHeader.Find(header.AsSpan(), "next"));

    [Theory]
    [InlineData("")]
    [InlineData("<https://a/0>; rel=\"prev\", <https://a/9>; rel=\"last\"")]
    [InlineData("<https://a/0>; rel=\"nextpage\"")]
    [InlineData("<https://a/0>; rel=\"prev next-ish\"")]
    [InlineData("<https://a/0>; rel=\"prev\"; rel=\"next\"")]
    [InlineData("<https://a/0>")]
    [InlineData("<https://a/0; rel=\"next\"")]
    [InlineData("garbage")]
    public void Finds_no_next_link(string header)
        => Assert.Null(LinkHeader.Find(header.AsSpan(), "next"));

    [Fact]
    public void Searches_every_header_value()
    {
        string[] values = ["<https://a/1>; rel=\"first\"", "<https://a/0>; rel=\"prev\", <https://a/2>; rel=\"next\""];

        Assert.Equal("https://a/2", LinkHeader.Find(values, "next"));
        Assert.Equal("https://a/1", LinkHeader.Find(values, "first"));
        Assert.Null(LinkHeader.Find(values, "last"));
        Assert.Null(LinkHeader.Find(Array.Empty<string>(), "next"));
    }
}
