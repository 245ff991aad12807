using System.Text.Json.Serialization;

namespace ApiPipeline.Tests;

/// <summary>The only fields a passthrough pipeline reads from an item: its key (required) and an optional date.</summary>
public sealed record RawItemKeys([property: JsonRequired] long Id, DateTimeOffset? CreatedAt = null);

/// <summary>The fields a passthrough change pipeline needs: key and watermark.</summary>
public sealed record ChangeKeys([property: Key] long Id, DateTimeOffset UpdatedAt);

/// <summary>Key fields with two dates, only one of which the watermark follows.</summary>
public sealed record DatedChangeKeys([property: Key] long Id, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A level read through its metadata (an enum), not by a direct getter.</summary>
public enum Level
{
    Low,
    High,
}

/// <summary>
/// Every way the generated fields reader reads and assigns a member: constructor parameters with and without defaults,
/// <c>[JsonPropertyName]</c>, the naming policy, nullable and reference types, a required init property, settable properties, an enum
/// and a date through the context's metadata, and a computed property that is not read.
/// </summary>
public sealed record RichKeys(
    [property: Key] long Id,
    [property: JsonPropertyName("modified")] DateTimeOffset UpdatedAt,
    int? Count = 5,
    string? Title = null)
{
    [JsonRequired]
    public required Guid Tenant { get; init; }

    public Level Level { get; set; } = Level.High;

    public bool? Flag { get; set; }

    public decimal? Amount { get; set; }

    public DateOnly? Day { get; set; }

    public double Score { get; set; }

    public string Display => Title ?? "untitled";
}

/// <summary>
/// Fields as a struct (nothing allocated per record). System.Text.Json makes a struct with its parameterless constructor, a
/// positional record struct's too, and then sets the members present: an absent member stays zero, its initializer does not run.
/// </summary>
public record struct StructKeys([property: Key] long Id, DateTimeOffset UpdatedAt)
{
    public string? Title { get; set; }

    public int Count { get; set; } = 5;
}

/// <summary>
/// Fields as a class of init-only properties, the usual C# style for data. System.Text.Json's generated metadata sets every init-only
/// member in the object initializer, so an absent one is its default: the property initializer does not survive.
/// </summary>
public sealed class InitKeys
{
    public long Id { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public string? Title { get; init; } = "untitled";

    public int? Count { get; init; }
}

/// <summary>The same as a readonly record struct: its init-only members are set in its object initializer.</summary>
public readonly record struct ReadonlyStructKeys([property: Key] long Id, DateTimeOffset UpdatedAt)
{
    public string? Title { get; init; }
}

/// <summary>Fields with a member of any JSON, however deep (as far as a page may nest).</summary>
public sealed record DeepKeys(long Id, System.Text.Json.JsonElement Payload);

[JsonSerializable(typeof(RawItemKeys))]
[JsonSerializable(typeof(ChangeKeys))]
[JsonSerializable(typeof(DatedChangeKeys))]
[JsonSerializable(typeof(RichKeys))]
[JsonSerializable(typeof(StructKeys))]
[JsonSerializable(typeof(ReadonlyStructKeys))]
[JsonSerializable(typeof(InitKeys))]
[JsonSerializable(typeof(DeepKeys))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class PassthroughJson : JsonSerializerContext;

/// <summary>The same fields record without a naming policy: JSON names are the member names.</summary>
[JsonSerializable(typeof(RichKeys))]
internal sealed partial class PlainPassthroughJson : JsonSerializerContext;

/// <summary>A case-insensitive context: no generated reader, the fields are read with the context's metadata.</summary>
[JsonSerializable(typeof(ChangeKeys))]
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class CaseInsensitivePassthroughJson : JsonSerializerContext;

/// <summary><c>{"data":[…],"next":"…"}</c> cursor pages, landed as sent.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(PassthroughJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public sealed partial class RawCursorItems : IExtractor<Scenario, RawRecord<RawItemKeys>>;

/// <summary>A bare array per page, next page in the Link header.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(PassthroughJson))]
[Paginated(Pagination.LinkHeader, PageSize = 2)]
public sealed partial class RawLinkItems : IExtractor<Scenario, RawRecord<RawItemKeys>>;

/// <summary>The incremental change endpoint, passthrough: watermark and key read through <c>.Fields</c>.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(PassthroughJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(ChangeKeys.UpdatedAt), Param = "since", Lag = "5m", AllowedLateness = "2m")]
public sealed partial class RawChanges : IExtractor<Scenario, RawRecord<ChangeKeys>>;

/// <summary>Passthrough changes with a creation and an update date; the watermark follows the update.</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(PassthroughJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(DatedChangeKeys.UpdatedAt), Param = "since", Lag = "5m")]
public sealed partial class RawDatedChanges : IExtractor<Scenario, RawRecord<DatedChangeKeys>>;

/// <summary>Passthrough of <see cref="RichKeys"/> under snake_case names.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(PassthroughJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public sealed partial class RawRichItems : IExtractor<Scenario, RawRecord<RichKeys>>;

/// <summary>Passthrough of <see cref="RichKeys"/> under the member names.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(PlainPassthroughJson))]
public sealed partial class RawPlainRichItems : IExtractor<Scenario, RawRecord<RichKeys>>;

/// <summary>Passthrough of <see cref="StructKeys"/>.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(PassthroughJson))]
[Paginated(Pagination.Cursor, RecordsPath = "data", CursorPath = "next")]
public sealed partial class RawStructItems : IExtractor<Scenario, RawRecord<StructKeys>>;

/// <summary>Passthrough of <see cref="InitKeys"/>.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(PassthroughJson))]
public sealed partial class RawInitItems : IExtractor<Scenario, RawRecord<InitKeys>>;

/// <summary>Passthrough of <see cref="ReadonlyStructKeys"/>.</summary>
[Extractor("http://localhost", "/{name}/items", Json = typeof(PassthroughJson))]
public sealed partial class RawReadonlyStructItems : IExtractor<Scenario, RawRecord<ReadonlyStructKeys>>;

/// <summary>Passthrough through a case-insensitive context (the runtime path).</summary>
[Extractor("http://localhost", "/{name}/changes", Json = typeof(CaseInsensitivePassthroughJson))]
public sealed partial class RawCaseInsensitiveChanges : IExtractor<Scenario, RawRecord<ChangeKeys>>;
