namespace ApiPipeline.Tests;

public sealed class UrlBuilderTests
{
    [Fact]
    public void A_collection_is_sent_once_per_element_in_order_escaped_and_without_nulls()
    {
        string url = new UrlBuilder()
            .Literal("/items")
            .QueryEach("tag", ["a b", null, "c&d"])
            .QueryEach<long>("id", [3, 1, 2])
            .QueryEach<DateTimeOffset>("at", [new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)])
            .QueryEach("none", (IEnumerable<string?>?)null)
            .ToString();

        Assert.Equal("/items?tag=a%20b&tag=c%26d&id=3&id=1&id=2&at=2026-01-02T03%3A04%3A05.0000000%2B00%3A00", url);
    }
}
