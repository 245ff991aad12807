using System.Text;
using System.Text.Json;

namespace ApiPipeline.Tests;

/// <summary>The one-pass page parser: records, cursor and totals wherever they sit in the body.</summary>
public sealed class PageParserTests
{
    private static readonly PaginationOptions Cursor = new() { Style = Pagination.Cursor, RecordsPath = "data", CursorPath = "meta.next_cursor", HasMorePath = "meta.has_more" };

    private static (PageScan Scan, long[] Ids) Parse(string json, PaginationOptions options)
    {
        var records = new List<Item>();
        var scan = PageParser.Parse(Encoding.UTF8.GetBytes(json), new PageLayout(options), TestJson.Default.Item, records);
        return (scan, [.. records.Select(r => r.Id)]);
    }

    private static PageShapeException Fails(string json, PaginationOptions options)
        => Assert.Throws<PageShapeException>(() => Parse(json, options));

    [Fact]
    public void A_body_starting_with_a_utf8_byte_order_mark_is_read()
    {
        var (scan, ids) = Parse("\uFEFF" + $$$"""{"meta":{"next_cursor":"c2"},"data":{{{Body.Items(1, 2)}}}}""", Cursor);

        Assert.Equal([1, 2], ids);
        Assert.Equal("c2", scan.Cursor);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\uFEFF")]
    public void Notes_where_the_records_array_lies_in_the_body_as_sent(string bom)
    {
        string array = Body.Items(1, 2);
        foreach (var (json, options) in new[]
        {
            (bom + $$$"""{"meta":{"next_cursor":"c2"},"data": {{{array}}} }""", Cursor),
            (bom + array, new PaginationOptions { Style = Pagination.Cursor }),
        })
        {
            var body = Encoding.UTF8.GetBytes(json);
            var scan = PageParser.Parse(body, new PageLayout(options), TestJson.Default.Item, new List<Item>());

            Assert.Equal(array, Encoding.UTF8.GetString(body.AsSpan(scan.RecordsStart, scan.RecordsLength)));
        }
    }

    [Fact]
    public void Reads_the_cursor_before_the_records()
    {
        var (scan, ids) = Parse($$$"""{"meta":{"next_cursor":"c2","has_more":true},"data":{{{Body.Items(1, 2)}}}}""", Cursor);

        Assert.Equal([1, 2], ids);
        Assert.Equal("c2", scan.Cursor);
        Assert.True(scan.HasMore);
        Assert.True(scan.RecordsFound);
    }

    [Fact]
    public void Reads_the_cursor_after_the_records()
    {
        var (scan, ids) = Parse($$$"""{"data":{{{Body.Items(1, 2)}}},"meta":{"has_more":false,"next_cursor":"c2"}}""", Cursor);

        Assert.Equal([1, 2], ids);
        Assert.Equal("c2", scan.Cursor);
        Assert.False(scan.HasMore);
    }

    [Fact]
    public void Skips_deeply_nested_unrelated_values()
    {
        string deep = string.Concat(Enumerable.Repeat("{\"a\":[", 100)) + "1" + string.Concat(Enumerable.Repeat("]}", 100));
        string json = $$$"""{"junk":{{{deep}}},"meta":{"other":{{{deep}}},"next_cursor":"c9","x":[{"next_cursor":"wrong"}]},"data":[{"id":1,"name":"a","extra":{{{deep}}}}],"tail":{{{deep}}}}""";

        var (scan, ids) = Parse(json, Cursor);

        Assert.Equal([1], ids);
        Assert.Equal("c9", scan.Cursor);
    }

    [Fact]
    public void Ignores_same_named_properties_at_other_depths()
    {
        string json = $$$"""{"next_cursor":"top","other":{"data":[{"id":99,"name":"x"}],"meta":{"next_cursor":"nested"}},"data":{{{Body.Items(1)}}},"meta":{"next_cursor":"right"}}""";

        var (scan, ids) = Parse(json, Cursor);

        Assert.Equal([1], ids);
        Assert.Equal("right", scan.Cursor);
    }

    [Fact]
    public void Matches_escaped_property_names()
    {
        string json = """{"\u0064ata":[{"\u0069d":7,"name":"a\u0062"}],"m\u0065ta":{"next\u005fcursor":"c\u0032"}}""";

        var records = new List<Item>();
        var scan = PageParser.Parse(Encoding.UTF8.GetBytes(json), new PageLayout(Cursor), TestJson.Default.Item, records);

        Assert.Equal(new Item(7, "ab"), Assert.Single(records));
        Assert.Equal("c2", scan.Cursor);
    }

    [Fact]
    public void Accepts_a_path_written_with_a_dollar_prefix()
    {
        var options = Cursor with { RecordsPath = "$.data", CursorPath = "$.meta.next_cursor" };

        var (scan, ids) = Parse("{\"data\":" + Body.Items(1) + ", \"meta\":{\"next_cursor\":\"c2\"}}", options);

        Assert.Equal([1], ids);
        Assert.Equal("c2", scan.Cursor);
    }

    [Fact]
    public void A_body_with_comments_is_not_json()
        => Assert.ThrowsAny<System.Text.Json.JsonException>(() => Parse("/* page */ {\"data\":" + Body.Items(1) + "}", Cursor with { RecordsPath = "data" }));

    [Fact]
    public void Reads_totals_as_numbers_or_numeric_strings()
    {
        var offset = new PaginationOptions { Style = Pagination.Offset, RecordsPath = "data", TotalPath = "meta.total" };
        var pages = new PaginationOptions { Style = Pagination.PageNumber, RecordsPath = "data", TotalPagesPath = "meta.total_pages" };

        Assert.Equal(120, Parse("""{"data":[],"meta":{"total":120}}""", offset).Scan.Total);
        Assert.Equal(120, Parse("""{"data":[],"meta":{"total":"120"}}""", offset).Scan.Total);
        Assert.Null(Parse("""{"data":[],"meta":{"total":null}}""", offset).Scan.Total);
        Assert.Equal(4, Parse("""{"meta":{"total_pages":4},"data":[]}""", pages).Scan.TotalPages);
    }

    [Fact]
    public void A_cursor_that_is_not_a_string_or_number_is_an_unexpected_shape()
    {
        var ex = Fails("""{"data":[],"meta":{"next_cursor":{"id":"c2"}}}""", Cursor);

        Assert.Equal(ExtractionErrorKind.UnexpectedShape, ex.Kind);
        Assert.Contains("'meta.next_cursor'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("an object", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_has_more_that_is_not_a_boolean_is_an_unexpected_shape()
    {
        var ex = Fails($$$"""{"data":{{{Body.Items(1)}}},"meta":{"has_more":"yes"}}""", Cursor);

        Assert.Equal(ExtractionErrorKind.UnexpectedShape, ex.Kind);
        Assert.Contains("'meta.has_more'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_total_is_an_unexpected_shape()
    {
        var ex = Fails("""{"data":[],"meta":{"total":-1}}""", new PaginationOptions { Style = Pagination.Offset, RecordsPath = "data", TotalPath = "meta.total" });

        Assert.Contains("non-negative", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_of_the_wrong_shape_names_its_index_and_json_path()
    {
        var ex = Fails("""{"data":[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3,"name":{"first":"c"}}]}""", Cursor);

        Assert.Equal(ExtractionErrorKind.RecordMismatch, ex.Kind);
        Assert.Contains("record 2 of 'data'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("$.name", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(ex.InnerException);
    }

    [Fact]
    public void Invalid_json_surfaces_as_a_json_exception()
        => Assert.ThrowsAny<JsonException>(() => Parse("""{"data":[{"id":1,"name":"a"}""", Cursor));
}
