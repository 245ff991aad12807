using System.Text.Json.Serialization;
using Xunit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace ApiPipeline.Hosting.Tests;

public sealed record Item(int Id, string Name, DateTimeOffset UpdatedAt);

public sealed record OwnerRef(string Owner, [property: Query] DateTimeOffset? Since = null, [property: Query] int? Limit = null);

[JsonSerializable(typeof(Item))]
[JsonSerializable(typeof(OwnerRef))]
[JsonSerializable(typeof(IdRange))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class TestJson : JsonSerializerContext;

/// <summary>25 items, 10 per page: pages 1, 2 (full) and 3 (5 items, so the last).</summary>
[Extractor("http://localhost", "/items", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
public sealed partial class Items : IExtractor<NoInput, Item>;

/// <summary>As <see cref="Items"/>, but page 2 fails once with 500 first: retried.</summary>
[Extractor("http://localhost", "/metered", Json = typeof(TestJson), Name = "metered")]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Retry(MaxRetries = 2, BaseDelay = "10ms", Jitter = false)]
public sealed partial class MeteredItems : IExtractor<NoInput, Item>;

/// <summary>Page 2 always fails with 503: skipped (a partial success).</summary>
[Extractor("http://localhost", "/flaky", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[OnError(ErrorMode.Continue)]
public sealed partial class FlakyItems : IExtractor<NoInput, Item>;

/// <summary>Always 404: fails.</summary>
[Extractor("http://localhost", "/missing", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
public sealed partial class MissingItems : IExtractor<NoInput, Item>;

/// <summary>An input with a path member and a range member.</summary>
[Extractor("http://localhost", "/owners/{owner}/items", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
public sealed partial class OwnerItems : IExtractor<OwnerRef, Item>;

/// <summary>As <see cref="Items"/>, incremental: the watermark follows <c>UpdatedAt</c> and is sent as <c>?since=</c>.</summary>
[Extractor("http://localhost", "/incremental", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(Item.UpdatedAt), Param = "since", Key = nameof(Item.Id))]
public sealed partial class IncrementalItems : IExtractor<NoInput, Item>;

/// <summary>As <see cref="Items"/>, incremental on the numeric <c>Id</c>, sent as <c>?after_id=</c>.</summary>
[Extractor("http://localhost", "/numbered", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Watermark(nameof(Item.Id), Param = "after_id")]
public sealed partial class NumberedItems : IExtractor<NoInput, Item>;

/// <summary>An input whose range members are numbers.</summary>
public sealed record IdRange([property: Query] long? AfterId = null, [property: Query] long? BeforeId = null);

/// <summary>Takes its id range as input members.</summary>
[Extractor("http://localhost", "/ranged", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
public sealed partial class RangedItems : IExtractor<IdRange, Item>;

