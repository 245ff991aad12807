using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline.Tests;

/// <summary>
/// The generated <see cref="RawFieldsReader{TFields}"/> of passthrough extractors: used whenever it agrees with the context, reads
/// exactly what <c>System.Text.Json</c> would, and fails a record with the missing or mistyped field named.
/// </summary>
public sealed class PassthroughFieldsReaderTests
{
    private static readonly PageLayout RootArray = new(new PaginationOptions { Style = Pagination.None });

    /// <summary>Records of <see cref="RichKeys"/> in snake_case, each a different mix of present, absent, null, nested and unknown members.</summary>
    private static readonly string[] SnakeRecords =
    [
        """{"id":1,"modified":"2026-01-01T10:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""",
        """{"id":2,"modified":"2026-01-02T00:00:00+02:00","count":7,"title":"t","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff","level":0,"flag":true,"amount":12.50,"day":"2026-03-04","score":1.5e3}""",
        """{"nested":{"id":99,"modified":"1999-01-01T00:00:00Z"},"list":[{"id":98},[1,2],"x"],"id":3,"modified":"2026-01-03T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff","count":null,"title":null,"flag":null,"amount":null,"day":null}""",
        "{ \"id\" : 4 , \"modified\" : \"2026-01-04T00:00:00Z\" ,\n  \"tenant\" : \"6f9619ff-8b86-d011-b42d-00c04fc964ff\" , \"extra\" : { \"a\" : [ 1 , { \"b\" : null } ] } }",
        """{"\u0069d":5,"modifi\u0065d":"2026-01-05T00:00:00Z","t\u0065nant":"6f9619ff-8b86-d011-b42d-00c04fc964ff","fl\u0061g":false}""",
        """{"id":6,"id":7,"modified":"2026-01-06T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff","Id":8,"ID":9}""",
        """{"id":-9223372036854775808,"modified":"2026-01-07T00:00:00.1234567-05:30","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff","title":"\u00e9\n\"q\"","amount":-0.0,"score":-1E-2}""",
    ];

    private static RawFieldsReader<T>? GeneratedReader<T>(JsonTypeInfo<RawRecord<T>> typeInfo)
        => ((RawRecordConverter<T>)typeInfo.Converter).Reader;

    private static List<RawRecord<T>> Parse<T>(JsonTypeInfo<RawRecord<T>> typeInfo, string body)
    {
        var records = new List<RawRecord<T>>();
        PageParser.Parse(Encoding.UTF8.GetBytes(body), RootArray, RecordReader<RawRecord<T>>.For(typeInfo), new ListSink<RawRecord<T>>(records));
        return records;
    }

    private static PageShapeException Fails<T>(JsonTypeInfo<RawRecord<T>> typeInfo, string body)
        => Assert.Throws<PageShapeException>(() => Parse(typeInfo, body));

    [Fact]
    public void Every_passthrough_extractor_in_the_tests_gets_a_generated_reader_that_agrees_with_its_context()
    {
        Assert.NotNull(GeneratedReader(RawCursorItems.Definition.RecordTypeInfo()));
        Assert.NotNull(GeneratedReader(RawLinkItems.Definition.RecordTypeInfo()));
        Assert.NotNull(GeneratedReader(RawChanges.Definition.RecordTypeInfo()));
        Assert.NotNull(GeneratedReader(RawRichItems.Definition.RecordTypeInfo()));
        Assert.NotNull(GeneratedReader(RawPlainRichItems.Definition.RecordTypeInfo()));

        var rich = GeneratedReader(RawRichItems.Definition.RecordTypeInfo())!;
        Assert.Equal(["id", "modified", "count", "title", "tenant", "level", "flag", "amount", "day", "score"], rich.Fields.Select(f => f.Name));
        var plain = GeneratedReader(RawPlainRichItems.Definition.RecordTypeInfo())!;
        Assert.Equal(["Id", "modified", "Count", "Title", "Tenant", "Level", "Flag", "Amount", "Day", "Score"], plain.Fields.Select(f => f.Name));
    }

    [Fact]
    public void A_stored_record_nested_deeper_than_64_reads_back_as_it_was_parsed_by_either_reader()
    {
        // As a chain's stored page is read back (ChainStateStore reads with the page parser's depth).
        string deep = new string('[', 100) + new string(']', 100);
        AssertReadsBack(RawRichItems.Definition.RecordTypeInfo(), "{\"id\":3,\"modified\":\"2026-01-01T00:00:00Z\",\"tenant\":\"6f9619ff-8b86-d011-b42d-00c04fc964ff\",\"x\":" + deep + "}");
        AssertReadsBack(RawCaseInsensitiveChanges.Definition.RecordTypeInfo(), "{\"id\":3,\"updated_at\":\"2026-01-01T00:00:00Z\",\"x\":" + deep + "}");

        static void AssertReadsBack<T>(JsonTypeInfo<RawRecord<T>> typeInfo, string record)
        {
            Assert.Equal(record, Assert.Single(Parse(typeInfo, "[" + record + "]")).ToString());
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(record), new JsonReaderOptions { MaxDepth = PageParser.MaxDepth });
            Assert.Equal(record, JsonSerializer.Deserialize(ref reader, typeInfo).ToString());
        }
    }

    [Fact]
    public void The_runtime_path_reads_a_field_nested_deeper_than_64_as_deep_as_a_page_may_nest()
    {
        // No generated reader: the selected members are copied into a scratch object and deserialized from there, to the page's depth.
        var typeInfo = RawRecord.TypeInfo(PassthroughJson.Default.DeepKeys);
        Assert.Null(GeneratedReader(typeInfo));
        string deep = new string('[', 200) + new string(']', 200);

        var read = Assert.Single(Parse(typeInfo, "[{\"id\":1,\"skipped\":true,\"payload\":" + deep + "}]"));

        Assert.Equal(1, read.Fields.Id);
        Assert.Equal(deep, read.Fields.Payload.GetRawText());
        Assert.Equal("{\"id\":1,\"skipped\":true,\"payload\":" + deep + "}", read.ToString());
    }

    [Fact]
    public void A_case_insensitive_context_keeps_the_runtime_path()
    {
        var typeInfo = RawCaseInsensitiveChanges.Definition.RecordTypeInfo();
        Assert.Null(GeneratedReader(typeInfo));

        var read = Assert.Single(Parse(typeInfo, """[{"ID":4,"Updated_At":"2026-01-01T00:00:00Z","x":1}]"""));
        Assert.Equal(new ChangeKeys(4, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), read.Fields);
    }

    [Fact]
    public void A_reader_that_disagrees_with_the_context_at_run_time_is_not_used()
    {
        // The generated reader expects snake_case names; the same fields under the member names must be read with the context's metadata.
        var generated = GeneratedReader(RawRichItems.Definition.RecordTypeInfo())!;
        var typeInfo = RawRecord.TypeInfo(PlainPassthroughJson.Default.RichKeys, generated);
        Assert.Null(GeneratedReader(typeInfo));

        var read = Assert.Single(Parse(typeInfo, """[{"Id":1,"modified":"2026-01-01T00:00:00Z","Tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff","Score":2}]"""));
        Assert.Equal(1, read.Fields.Id);
        Assert.Equal(2, read.Fields.Score);
    }

    [Fact]
    public void Fields_read_by_the_generated_reader_equal_System_Text_Json_deserialization_and_bytes_equal_the_runtime_path()
    {
        var generated = RawRichItems.Definition.RecordTypeInfo();
        var runtime = RawRecord.TypeInfo(PassthroughJson.Default.RichKeys);
        Assert.NotNull(GeneratedReader(generated));
        Assert.Null(GeneratedReader(runtime));

        string body = "[" + string.Join(",", SnakeRecords) + "]";
        var fast = Parse(generated, body);
        var slow = Parse(runtime, body);

        Assert.Equal(SnakeRecords.Length, fast.Count);
        for (int i = 0; i < SnakeRecords.Length; i++)
        {
            var expected = JsonSerializer.Deserialize(SnakeRecords[i], PassthroughJson.Default.RichKeys);
            Assert.Equal(expected, fast[i].Fields);
            Assert.Equal(expected, slow[i].Fields);
            Assert.Equal(slow[i].ToString(), fast[i].ToString());
        }

        // Spot checks of what the comparison above covers: defaults, initializers, nulls, escapes, duplicates, nested look-alikes.
        Assert.Equal(5, fast[0].Fields.Count);
        Assert.Equal(Level.High, fast[0].Fields.Level);
        Assert.Equal(Level.Low, fast[1].Fields.Level);
        Assert.Equal(new DateOnly(2026, 3, 4), fast[1].Fields.Day);
        Assert.Equal(12.50m, fast[1].Fields.Amount);
        Assert.Equal(3, fast[2].Fields.Id);
        Assert.Null(fast[2].Fields.Count);
        Assert.Equal(5, fast[4].Fields.Id);
        Assert.False(fast[4].Fields.Flag);
        Assert.Equal(7, fast[5].Fields.Id);
        Assert.Equal("é\n\"q\"", fast[6].Fields.Title);
    }

    [Fact]
    public void A_struct_of_fields_gets_a_generated_reader_that_fills_it_as_System_Text_Json_does()
    {
        var generated = RawStructItems.Definition.RecordTypeInfo();
        Assert.NotNull(GeneratedReader(generated));
        string[] records =
        [
            """{"id":1,"updated_at":"2026-01-01T10:00:00Z","title":"t","count":7}""",
            """{"updated_at":"2026-01-02T00:00:00+02:00","extra":{"count":9},"id":2}""",
            """{"id":3,"title":null,"count":0,"updated_at":"2026-01-03T00:00:00Z"}""",
        ];

        var read = Parse(generated, "[" + string.Join(",", records) + "]");

        Assert.Equal(records.Length, read.Count);
        for (int i = 0; i < records.Length; i++)
        {
            Assert.Equal(JsonSerializer.Deserialize(records[i], PassthroughJson.Default.StructKeys), read[i].Fields);
        }

        Assert.Equal(0, read[1].Fields.Count); // absent: zero, as System.Text.Json leaves it (the initializer does not run)
        Assert.Equal("t", read[0].Fields.Title);
        Assert.Equal(records[1], read[1].ToString());

        var readonlyStruct = RawReadonlyStructItems.Definition.RecordTypeInfo();
        Assert.NotNull(GeneratedReader(readonlyStruct));
        var same = Parse(readonlyStruct, "[" + string.Join(",", records) + "]");
        for (int i = 0; i < records.Length; i++)
        {
            Assert.Equal(JsonSerializer.Deserialize(records[i], PassthroughJson.Default.ReadonlyStructKeys), same[i].Fields);
        }
    }

    [Fact]
    public void A_class_of_init_only_properties_gets_a_generated_reader_that_fills_it_as_System_Text_Json_does()
    {
        var generated = RawInitItems.Definition.RecordTypeInfo();
        Assert.NotNull(GeneratedReader(generated));
        string[] records =
        [
            """{"id":1,"updated_at":"2026-01-01T10:00:00Z","title":"t","count":7}""",
            """{"updated_at":"2026-01-02T00:00:00+02:00","extra":{"title":"no"},"id":2}""",
            """{"id":3,"title":null,"count":null,"updated_at":"2026-01-03T00:00:00Z"}""",
        ];

        var read = Parse(generated, "[" + string.Join(",", records) + "]");

        Assert.Equal(records.Length, read.Count);
        for (int i = 0; i < records.Length; i++)
        {
            var expected = JsonSerializer.Deserialize(records[i], PassthroughJson.Default.InitKeys)!;
            Assert.Equal((expected.Id, expected.UpdatedAt, expected.Title, expected.Count), (read[i].Fields.Id, read[i].Fields.UpdatedAt, read[i].Fields.Title, read[i].Fields.Count));
        }

        Assert.Equal((1L, "t", (int?)7), (read[0].Fields.Id, read[0].Fields.Title, read[0].Fields.Count));
        Assert.Null(read[1].Fields.Title); // absent: the default, not the property initializer's value, as System.Text.Json sets it
        Assert.Equal(records[1], read[1].ToString());
    }

    [Fact]
    public void Escaped_property_names_in_the_json_still_match()
    {
        var read = Parse(RawChanges.Definition.RecordTypeInfo(), """[{"\u0069d":1,"upd\u0061ted_at":"2026-01-01T00:00:00Z","updated_at_x":"no"}]""");

        Assert.Equal(new ChangeKeys(1, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), Assert.Single(read).Fields);
        Assert.Equal("""{"\u0069d":1,"upd\u0061ted_at":"2026-01-01T00:00:00Z","updated_at_x":"no"}""", read[0].ToString());
    }

    [Fact]
    public void A_missing_required_field_names_the_record_and_every_missing_json_field()
    {
        var typeInfo = RawRichItems.Definition.RecordTypeInfo();
        var error = Fails(typeInfo, """[{"id":1,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"},{"id":2,"modified":"2026-01-01T00:00:00Z","nested":{"tenant":"x"}}]""");

        Assert.Equal(ExtractionErrorKind.RecordMismatch, error.Kind);
        Assert.Equal(
            "record 1 of '$' does not fit RichKeys: JSON deserialization for type 'ApiPipeline.Tests.RichKeys' was missing required properties including: 'tenant'.",
            error.Message);
    }

    [Theory]
    [InlineData("""{"id":"1","modified":"2026-01-01T00:00:00Z"}""", "the JSON property 'id' is a string; expected a number (Int64)")]
    [InlineData("""{"id":1.5,"modified":"2026-01-01T00:00:00Z"}""", "the JSON property 'id' is a number that is not a valid Int64")]
    [InlineData("""{"id":null,"modified":"2026-01-01T00:00:00Z"}""", "the JSON property 'id' is null; expected a number (Int64)")]
    [InlineData("""{"id":1,"modified":"yesterday"}""", "the JSON property 'modified' is a string that is not a valid DateTimeOffset")]
    [InlineData("""{"id":1,"modified":"2026-01-01T00:00:00Z","count":[]}""", "the JSON property 'count' is an array; expected a number or null (Int32)")]
    [InlineData("""{"id":1,"modified":"2026-01-01T00:00:00Z","title":5}""", "the JSON property 'title' is a number; expected a string or null (String)")]
    [InlineData("""{"id":1,"modified":"2026-01-01T00:00:00Z","flag":"yes"}""", "the JSON property 'flag' is a string; expected true or false or null (Boolean)")]
    [InlineData("""{"id":1,"modified":"2026-01-01T00:00:00Z","count":2147483648}""", "the JSON property 'count' is a number that is not a valid Int32")]
    [InlineData("""{"id":1,"modified":"2026-01-01T00:00:00Z","title":"\ud83d"}""", "the JSON property 'title' is a string that is not valid UTF-16 text (Cannot read incomplete UTF-16 JSON text as string with missing low surrogate.)")]
    public void A_field_of_the_wrong_json_type_names_the_field_and_the_expected_type(string record, string message)
    {
        var error = Fails(RawRichItems.Definition.RecordTypeInfo(), "[" + record.Replace("}", ""","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""", StringComparison.Ordinal) + "]");

        Assert.Equal(ExtractionErrorKind.RecordMismatch, error.Kind);
        Assert.Equal("record 0 of '$' does not fit RichKeys: " + message, error.Message);
    }

    [Fact]
    public void Members_read_through_their_metadata_report_System_Text_Json_errors()
    {
        var error = Fails(RawRichItems.Definition.RecordTypeInfo(), """[{"id":1,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff","day":"March"}]""");

        Assert.Equal(ExtractionErrorKind.RecordMismatch, error.Kind);
        Assert.StartsWith("record 0 of '$' does not fit RichKeys: The JSON value could not be converted to ", error.Message, StringComparison.Ordinal);
        Assert.Contains("DateOnly", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_with_a_byte_order_mark_keeps_each_record_as_sent()
    {
        const string record = """{"id":1,"updated_at":"2026-01-01T00:00:00Z"}""";

        var records = Parse(RawChanges.Definition.RecordTypeInfo(), "\uFEFF[" + record + "]");

        Assert.Equal(record, Encoding.UTF8.GetString(Assert.Single(records).Json.Span));
    }

    [Fact]
    public void Broken_json_inside_a_record_is_still_invalid_json()
    {
        var error = Fails(RawChanges.Definition.RecordTypeInfo(), """[{"id":1,"updated_at":"2026-01-01T00:00:00Z","x":[1,}]""");

        Assert.Equal(ExtractionErrorKind.InvalidJson, error.Kind);
    }

    [Fact]
    public void Stored_raw_records_are_read_back_with_the_generated_reader()
    {
        var typeInfo = RawRichItems.Definition.RecordTypeInfo();
        var read = JsonSerializer.Deserialize("""{ "id": 3, "modified": "2026-01-01T00:00:00Z", "tenant": "6f9619ff-8b86-d011-b42d-00c04fc964ff", "x": [ 1 ] }""", typeInfo);

        Assert.Equal(3, read.Fields.Id);
        Assert.Equal(5, read.Fields.Count);
        Assert.Equal("""{"id":3,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff","x":[1]}""", read.ToString());
    }

    [Theory]
    [InlineData("""{"id":1,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""", true)]
    [InlineData("""{"id":1,"title":"spaces in a top-level string","modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""", true)]
    [InlineData("""{"id":1,"x":{"a":[1,{"b":null}],"c":"d"},"l":[],"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""", true)]
    [InlineData("""{"id":1, "modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""", false)]
    [InlineData("""{"id" :1,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""", false)]
    [InlineData("""{"id": 1,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""", false)]
    [InlineData("""{"id":1,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff" }""", false)]
    [InlineData("{\"id\":1,\"x\":{\"a\":[1,\n\t{\"b\":null}]},\"modified\":\"2026-01-01T00:00:00Z\",\"tenant\":\"6f9619ff-8b86-d011-b42d-00c04fc964ff\"}", false)]
    [InlineData("""{"id":1,"x":{"a":"a space inside a nested string"},"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}""", false)]
    public void The_scan_calls_a_record_compact_only_when_it_has_no_whitespace_outside_strings(string json, bool compact)
    {
        // Whitespace inside a nested value counts as not compact even inside a string (the record is then compacted exactly, at a cost).
        var fieldsReader = GeneratedReader(RawRichItems.Definition.RecordTypeInfo())!;
        var bytes = Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(bytes);
        reader.Read();
        var scan = new RawJsonScan(ref reader, bytes);

        var fields = fieldsReader.Read(ref reader, ref scan);

        Assert.Equal(1, fields.Id);
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        Assert.Equal(bytes.Length, reader.BytesConsumed);
        Assert.Equal(compact, scan.IsCompact);
    }

    [Fact]
    public void A_compact_record_handed_to_a_consuming_sink_points_into_the_body_and_a_loose_one_is_compacted()
    {
        var body = Encoding.UTF8.GetBytes("""[{"id":1,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"},{"id":2, "modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}]""");
        var reader = RecordReader<RawRecord<RichKeys>>.For(RawRichItems.Definition.RecordTypeInfo());
        reader.RecordsKept = false;
        var records = new List<RawRecord<RichKeys>>();

        PageParser.Parse(body, RootArray, reader, new ListSink<RawRecord<RichKeys>>(records));

        // The second record is the last one compacted into the reader's buffer, so both are still readable here.
        var seen = records.Select(r => (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(r.Json, out var segment) && segment.Array == body, r.ToString()));
        Assert.Equal(
            [
                (true, """{"id":1,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}"""),
                (false, """{"id":2,"modified":"2026-01-01T00:00:00Z","tenant":"6f9619ff-8b86-d011-b42d-00c04fc964ff"}"""),
            ],
            seen);
    }
}
