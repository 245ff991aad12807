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

    [Fact]
    public void Dates_are_sent_as_yyyy_MM_dd_and_times_with_seconds_and_only_the_fractions_they_have()
    {
        string url = new UrlBuilder()
            .Literal("/days/")
            .PathValue<DateOnly>(new DateOnly(2026, 1, 15), "day")
            .Query<DateOnly>("since", new DateOnly(2026, 1, 2))
            .Query<TimeOnly>("at", new TimeOnly(14, 30, 15))
            .Query<TimeOnly>("precise", new TimeOnly(9, 5, 0, 250))
            .Query<TimeOnly>("tick", new TimeOnly(1))
            .QueryEach<DateOnly>("on", [new DateOnly(999, 12, 31)])
            .ToString();

        Assert.Equal("/days/2026-01-15?since=2026-01-02&at=14%3A30%3A15&precise=09%3A05%3A00.25&tick=00%3A00%3A00.0000001&on=0999-12-31", url);
    }

    [Fact]
    public void A_collection_in_a_path_placeholder_is_joined_with_commas_each_element_escaped()
    {
        Assert.Equal("/users/al%2Fice,bob/repos", new UrlBuilder().Literal("/users/").PathValues(["al/ice", "bob"], "logins").Literal("/repos").ToString());
        Assert.Equal("/items/3,1,2", new UrlBuilder().Literal("/items/").PathValues<long>([3, 1, 2], "ids").ToString());
    }

    [Theory]
    [InlineData(null, "is null or an empty collection")]
    [InlineData(new string[0], "is null or an empty collection")]
    [InlineData(new[] { "a", "" }, "holds a null or empty element")]
    [InlineData(new[] { ".." }, "a dot segment")]
    public void A_path_collection_that_cannot_make_a_segment_names_the_placeholder(string[]? values, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => new UrlBuilder().Literal("/users/").PathValues(values, "logins"));
        Assert.Contains("'{logins}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }
}
