using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using Xunit;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace ApiPipeline.Hosting.Tests;

public sealed record Item(int Id, string Name, DateTimeOffset UpdatedAt);

public sealed record OwnerRef(string Owner, [property: Query] DateTimeOffset? Since = null, [property: Query] int? Limit = null);

[JsonSerializable(typeof(Item))]
[JsonSerializable(typeof(OwnerRef))]
[JsonSerializable(typeof(IdRange))]
[JsonSerializable(typeof(Group))]
[JsonSerializable(typeof(Member))]
[JsonSerializable(typeof(Detail))]
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

/// <summary>As <see cref="Items"/>, with conditional requests (<c>/conditional</c>).</summary>
[Extractor("http://localhost", "/conditional", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[ConditionalRequests]
public sealed partial class ConditionalItems : IExtractor<NoInput, Item>;


/// <summary>
/// A hand-written extractor (no HTTP): <see cref="Total"/> items in pages of 5, an hour apart from 2026-01-01, resumable from a
/// page's checkpoint, with a watermark on <see cref="Item.UpdatedAt"/>; listed in the registry as <c>countdown</c>.
/// </summary>
[RegisteredExtractor("countdown", Json = typeof(TestJson))]
public sealed class CountdownItems : IExtractor<NoInput, Item>
{
    public const int Total = 12;

    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public string Name => "countdown";

    public WatermarkOptions<Item>? Watermark { get; } = new() { Field = nameof(Item.UpdatedAt), Read = item => item.UpdatedAt, Key = item => item.Id.ToString(CultureInfo.InvariantCulture) };

    public PageCheckpoint? StartAt(NoInput input, WatermarkValue? since, WatermarkValue? until)
        => since is { } from ? new PageCheckpoint("countdown:" + (int)(from.Timestamp - Start).TotalHours, 1, 0) : null;

    public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int first = resumeFrom is null ? 0 : int.Parse(resumeFrom.Url["countdown:".Length..], CultureInfo.InvariantCulture);
        for (int number = resumeFrom?.PageNumber ?? 1; first < Total; number++)
        {
            await Task.Yield();
            var records = Enumerable.Range(first, Math.Min(5, Total - first)).Select(i => new Item(i + 1, "item " + (i + 1), Start.AddHours(i))).ToArray();
            first += records.Length;
            yield return new Page<Item>(number, "countdown:" + (first - records.Length), records, first < Total ? new PageCheckpoint("countdown:" + first, number + 1, first) : null, 0);
        }
    }
}

public sealed record ItemRef(int Id);

/// <summary>
/// A hand-written extractor that reads its input: page 1 of an <see cref="ItemRef"/>, then page 2, which fails (the run dead-letters
/// it, with the input's JSON in the error) until <see cref="Healed"/>.
/// </summary>
[RegisteredExtractor("lettered", Json = typeof(TestJson))]
public sealed class LetteredItems : IExtractor<ItemRef, Item>
{
    public static bool Healed { get; set; }

    public string Name => "lettered";

    public ErrorMode OnError => ErrorMode.DeadLetter;

    public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(ItemRef input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if ((resumeFrom?.PageNumber ?? 1) == 1)
        {
            yield return new Page<Item>(1, "lettered:1", [new Item((input.Id * 10) + 1, "first", CountdownItems.Start)], new PageCheckpoint("lettered:2", 2, 1), 0);
        }

        yield return Healed
            ? new Page<Item>(2, "lettered:2", [new Item((input.Id * 10) + 2, "second", CountdownItems.Start)], null, 0)
            : new Page<Item>(2, "lettered:2", [], null, 0)
            {
                Error = new ExtractionException(ExtractionErrorKind.Transport, Name, 2, "lettered:2", "the source is down")
                {
                    Resume = new PageCheckpoint("lettered:2", 2, 1),
                    Input = $"{{\"id\":{input.Id}}}",
                },
            };
    }
}

/// <summary>
/// A hand-written extractor that owns a resource, as one holding a connection would: it keeps every instance created and counts
/// how often each was disposed, each way, and refuses to extract once disposed. Page 2 fails (dead-lettered) until <see cref="Healed"/>.
/// Listed in the registry as <c>owned</c>.
/// </summary>
[RegisteredExtractor("owned", Json = typeof(TestJson))]
public sealed class OwnedItems : IExtractor<NoInput, Item>, IAsyncDisposable, IDisposable
{
    private static readonly ConcurrentQueue<OwnedItems> Created = new();
    private int _asyncDisposals;
    private int _disposals;

    public OwnedItems() => Created.Enqueue(this);

    /// <summary>The instances created since the last <see cref="Reset"/>.</summary>
    public static IReadOnlyList<OwnedItems> Instances => [.. Created];

    public static bool Healed { get; set; }

    /// <summary>How often <see cref="DisposeAsync"/> and <see cref="Dispose"/> were called on this instance.</summary>
    public (int Async, int Sync) Disposals => (Volatile.Read(ref _asyncDisposals), Volatile.Read(ref _disposals));

    public string Name => "owned";

    public ErrorMode OnError => ErrorMode.DeadLetter;

    public WatermarkOptions<Item>? Watermark { get; } = new() { Field = nameof(Item.UpdatedAt), Read = item => item.UpdatedAt };

    public static void Reset(bool healed)
    {
        Created.Clear();
        Healed = healed;
    }

    public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        ObjectDisposedException.ThrowIf(Disposals != (0, 0), this);
        if ((resumeFrom?.PageNumber ?? 1) == 1)
        {
            yield return new Page<Item>(1, "owned:1", [new Item(1, "first", CountdownItems.Start)], new PageCheckpoint("owned:2", 2, 1), 0);
        }

        ObjectDisposedException.ThrowIf(Disposals != (0, 0), this);
        yield return Healed
            ? new Page<Item>(2, "owned:2", [new Item(2, "second", CountdownItems.Start)], null, 0)
            : new Page<Item>(2, "owned:2", [], null, 0)
            {
                Error = new ExtractionException(ExtractionErrorKind.Transport, Name, 2, "owned:2", "the source is down") { Resume = new PageCheckpoint("owned:2", 2, 1) },
            };
    }

    public ValueTask DisposeAsync()
    {
        Interlocked.Increment(ref _asyncDisposals);
        return default;
    }

    public void Dispose() => Interlocked.Increment(ref _disposals);
}

/// <summary>
/// A hand-written extractor whose constructor takes the host's settings as an <c>in</c> parameter, which the registry passes as it passes
/// a value: one page of one item named after the base URL it was given. Listed in the registry as <c>settled</c>.
/// </summary>
[RegisteredExtractor("settled", Json = typeof(TestJson))]
public sealed class SettledItems : IExtractor<NoInput, Item>
{
    private readonly string _baseUrl;

    public SettledItems(in ExtractorOptions? options) => _baseUrl = options?.BaseUrl ?? "none";

    public string Name => "settled";

    public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        yield return new Page<Item>(1, "settled:1", [new Item(1, _baseUrl, CountdownItems.Start)], null, 0);
    }
}

/// <summary>
/// A shop: the input of the <see cref="ShopChain"/>, with a session id that looks secret and a token under a name that does not (<c>Pat</c>,
/// sent as the secret-looking query parameter <c>access_token</c>); both go to the groups endpoint when given.
/// </summary>
public sealed record Shop(string Owner, [property: Query] string? SessionId = null, [property: Query("access_token")] string? Pat = null);

public sealed record Group(int Id, string Name);

public sealed record GroupRef(string Owner, int Group);

public sealed record Member(int Id, int GroupId);

public sealed record MemberRef(string Owner, [property: Query] int Member, [property: Query] string GroupName);

/// <summary>What the detail endpoint was asked: the member, its group's name and the shop's owner.</summary>
public sealed record Detail(int MemberId, string GroupName, string Owner);

/// <summary>A shop's 3 groups, one page.</summary>
[Extractor("http://localhost", "/shops/{owner}/groups", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 10, RecordsPath = "data")]
[Retry(MaxRetries = 0)]
public sealed partial class ShopGroups : IExtractor<Shop, Group>;

/// <summary>A group's 5 members, 2 per page; a failed page is skipped and dead-lettered.</summary>
[Extractor("http://localhost", "/shops/{owner}/groups/{group}/members", Json = typeof(TestJson))]
[Paginated(Pagination.PageNumber, PageSize = 2, RecordsPath = "data")]
[OnError(ErrorMode.DeadLetter)]
[Retry(MaxRetries = 0)]
public sealed partial class GroupMembers : IExtractor<GroupRef, Member>;

/// <summary>One member's detail.</summary>
[Extractor("http://localhost", "/shops/{owner}/details", Json = typeof(TestJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Retry(MaxRetries = 0)]
public sealed partial class MemberDetails : IExtractor<MemberRef, Detail>;

/// <summary>
/// A shop's groups, their members (one group after the other), and each member's detail (3 at once), which takes the owner from the chain
/// input, the member from step 2 and the group's name from step 1 (its lineage).
/// </summary>
[Chain(Name = "shop")]
public sealed partial class ShopChain
{
    [Step(1)]
    public partial ShopGroups Groups { get; }

    [Step(2)]
    [Map(nameof(Shop.Owner), To = nameof(GroupRef.Owner), From = MapFrom.ChainInput)]
    [Map(nameof(Group.Id), To = nameof(GroupRef.Group))]
    public partial GroupMembers Members { get; }

    [Step(3, Mode = ProcessingMode.Parallel, MaxConcurrency = 3)]
    [Map(nameof(Shop.Owner), To = nameof(MemberRef.Owner), From = MapFrom.ChainInput)]
    [Map(nameof(Member.Id), To = nameof(MemberRef.Member))]
    [Map(nameof(Group.Name), To = nameof(MemberRef.GroupName), FromStep = nameof(Groups))]
    public partial MemberDetails Details { get; }
}
