using System.Text.Json.Serialization;

namespace ApiPipeline.Tests.Chaining;

// User-style declarations for the chain tests: a parent endpoint (/{name}/parents, 100 per page) and a child endpoint
// (/{name}/parents/{parent_id}/children, several pages each), a batch endpoint (/{name}/children?ids=1,2,3), a detail endpoint
// (/{name}/details?child_id=…&parent_id=…&parent_name=…, echoing what it was asked), and chains over them.

/// <summary>A parent record.</summary>
public sealed record Parent(long Id, string Name);

/// <summary>A child record: the page it came from is part of it, so tests can check order and exactly-once.</summary>
public sealed record Child(long Id, long ParentId, int Page);

/// <summary>The child endpoint's input: the scenario and the parent's id.</summary>
public sealed record ChildQuery(string Name, long ParentId);

/// <summary>The child endpoint's input as a class of init-only properties, the usual C# style for options; unmapped ones keep their initializers.</summary>
public sealed class ChildRequest
{
    public string Name { get; init; } = "";

    public long ParentId { get; init; }

    [Query("per_page")]
    public int PerPage { get; init; } = 7;
}

/// <summary>The batch endpoint's input: the scenario and a comma-separated list of parent ids (<c>?ids=1,2,3</c>).</summary>
public sealed record ChildBatch(string Name, [property: Query("ids")] string Ids);

/// <summary>The batch endpoint's input with the parent ids as a collection: one <c>ids</c> parameter each (<c>?ids=1&amp;ids=2</c>).</summary>
public sealed record ChildIdList(string Name, [property: Query("ids")] IReadOnlyList<long> Ids);

/// <summary>A detail record: what the detail endpoint was asked for, so tests can check each child was paired with its own parent.</summary>
public sealed record Detail(long ChildId, long ParentId, string ParentName);

/// <summary>The detail endpoint's input: the scenario, a child (step 2) and the parent it belongs to (step 1).</summary>
public sealed record DetailQuery(string Name, [property: Query] long ChildId, [property: Query] long ParentId, [property: Query] string ParentName);

/// <summary>What a passthrough step reads from a parent (its key), for YAML mappings through <c>fields.id</c>.</summary>
public sealed record ParentKeys(long Id);

[JsonSerializable(typeof(Parent))]
[JsonSerializable(typeof(ParentKeys))]
[JsonSerializable(typeof(Child))]
[JsonSerializable(typeof(Detail))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal partial class ChainJson : JsonSerializerContext;

/// <summary>The parents of a scenario, 100 per page.</summary>
[Extractor("https://api.example.invalid", "/{name}/parents", Json = typeof(ChainJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", PageSize = 100, TotalPagesPath = "total_pages")]
public partial class ParentItems : IExtractor<Scenario, Parent>;

/// <summary>The parents, landed as sent (passthrough), with their key read into <see cref="ParentKeys"/>.</summary>
[Extractor("https://api.example.invalid", "/{name}/parents", Json = typeof(ChainJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", PageSize = 100, TotalPagesPath = "total_pages")]
public partial class RawParentItems : IExtractor<Scenario, RawRecord<ParentKeys>>;

/// <summary>The children of one parent, page by page.</summary>
[Extractor("https://api.example.invalid", "/{name}/parents/{parent_id}/children", Json = typeof(ChainJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", TotalPagesPath = "total_pages")]
public partial class ChildItems : IExtractor<ChildQuery, Child>;

/// <summary>The children of one parent, asked with a <see cref="ChildRequest"/>.</summary>
[Extractor("https://api.example.invalid", "/{name}/parents/{parent_id}/children", Json = typeof(ChainJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", TotalPagesPath = "total_pages")]
public partial class ChildItemsByRequest : IExtractor<ChildRequest, Child>;

/// <summary>The children of several parents at once: <c>?ids=1,2,3</c>, one page.</summary>
[Extractor("https://api.example.invalid", "/{name}/children", Json = typeof(ChainJson))]
[Paginated(Pagination.None, RecordsPath = "items")]
public partial class ChildrenByIds : IExtractor<ChildBatch, Child>;

/// <summary>The same endpoint, asked with a collection of ids.</summary>
[Extractor("https://api.example.invalid", "/{name}/children", Json = typeof(ChainJson))]
[Paginated(Pagination.None, RecordsPath = "items")]
public partial class ChildrenByIdList : IExtractor<ChildIdList, Child>;

/// <summary>The detail of one child, one record.</summary>
[Extractor("https://api.example.invalid", "/{name}/details", Json = typeof(ChainJson))]
[Paginated(Pagination.None, RecordsPath = "items")]
public partial class DetailItems : IExtractor<DetailQuery, Detail>;

/// <summary>
/// Three steps: parents, their children (4 parents at once), and each child's detail (4 at once), whose input takes the child from step 2
/// and the parent's id and name from step 1 (the record the child descends from).
/// </summary>
[Chain]
public partial class ChildDetails
{
    [Step(1)]
    public partial ParentItems Parents { get; }

    [Step(2, Mode = ProcessingMode.Parallel, MaxConcurrency = 4)]
    [Map(nameof(Scenario.Name), To = nameof(ChildQuery.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildQuery.ParentId))]
    public partial ChildItems Children { get; }

    [Step(3, Mode = ProcessingMode.Parallel, MaxConcurrency = 4)]
    [Map(nameof(Scenario.Name), To = nameof(DetailQuery.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Child.Id), To = nameof(DetailQuery.ChildId))]
    [Map(nameof(Parent.Id), To = nameof(DetailQuery.ParentId), FromStep = nameof(Parents))]
    [Map(nameof(Parent.Name), To = nameof(DetailQuery.ParentName), FromStep = nameof(Parents))]
    public partial DetailItems Details { get; }
}

/// <summary>Parents, then each parent's children one parent after the other.</summary>
[Chain]
public partial class SequentialChildren
{
    [Step(1)]
    public partial ParentItems Parents { get; }

    [Step(2)]
    [Map(nameof(Scenario.Name), To = nameof(ChildQuery.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildQuery.ParentId))]
    public partial ChildItems Children { get; }
}

/// <summary>A chain input as a class without a <c>ToString</c> override: its text is only its type name.</summary>
public sealed class Tenant
{
    public string Name { get; init; } = "";
}

/// <summary>The parents of a tenant.</summary>
[Extractor("https://api.example.invalid", "/{name}/parents", Json = typeof(ChainJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", PageSize = 100, TotalPagesPath = "total_pages")]
public partial class TenantParents : IExtractor<Tenant, Parent>;

/// <summary>A tenant's parents, then each parent's children one parent after the other.</summary>
[Chain]
public partial class TenantChildren
{
    [Step(1)]
    public partial TenantParents Parents { get; }

    [Step(2)]
    [Map(nameof(Tenant.Name), To = nameof(ChildQuery.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildQuery.ParentId))]
    public partial ChildItems Children { get; }
}

/// <summary>Parents, then up to 8 parents' children at once.</summary>
[Chain(Name = "parallel-children")]
public partial class ParallelChildren
{
    [Step(1)]
    public partial ParentItems Parents { get; }

    [Step(2, Mode = ProcessingMode.Parallel, MaxConcurrency = 8)]
    [Map(nameof(Scenario.Name), To = nameof(ChildQuery.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildQuery.ParentId))]
    public partial ChildItems Children { get; }
}

/// <summary>Parents, then children of up to 8 parents at once; a failing input is recorded and skipped.</summary>
[Chain]
public partial class TolerantChildren
{
    [Step(1)]
    public partial ParentItems Parents { get; }

    [Step(2, Mode = ProcessingMode.Parallel, MaxConcurrency = 8, OnError = ErrorMode.Continue)]
    [Map(nameof(Scenario.Name), To = nameof(ChildQuery.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildQuery.ParentId))]
    public partial ChildItems Children { get; }
}

/// <summary>Parents, then children of 50 parents per request (<c>?ids=…</c>), 3 batches at once.</summary>
[Chain]
public partial class BatchedChildren
{
    [Step(1)]
    public partial ParentItems Parents { get; }

    [Step(2)]
    [Batched(Size = 50, MaxConcurrentBatches = 3)]
    [Map(nameof(Scenario.Name), To = nameof(ChildBatch.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildBatch.Ids))]
    public partial ChildrenByIds Children { get; }
}

/// <summary>Parents (an input that fails is left to the next run), then children of 30 parents per request.</summary>
[Chain]
public partial class ContinuingBatchedChildren
{
    [Step(1, OnError = ErrorMode.Continue)]
    public partial ParentItems Parents { get; }

    [Step(2)]
    [Batched(Size = 30)]
    [Map(nameof(Scenario.Name), To = nameof(ChildBatch.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildBatch.Ids))]
    public partial ChildrenByIds Children { get; }
}

/// <summary>The children of several parents at once, in two pages: the first half of the ids, then the second.</summary>
[Extractor("https://api.example.invalid", "/{name}/paged-children", Json = typeof(ChainJson))]
[Paginated(Pagination.PageNumber, RecordsPath = "items", TotalPagesPath = "total_pages")]
public partial class PagedChildrenByIds : IExtractor<ChildBatch, Child>;

/// <summary>As <see cref="ContinuingBatchedChildren"/>, with batches whose answers take two pages.</summary>
[Chain]
public partial class ContinuingPagedBatchedChildren
{
    [Step(1, OnError = ErrorMode.Continue)]
    public partial ParentItems Parents { get; }

    [Step(2)]
    [Batched(Size = 30)]
    [Map(nameof(Scenario.Name), To = nameof(ChildBatch.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildBatch.Ids))]
    public partial PagedChildrenByIds Children { get; }
}

/// <summary>As <see cref="ContinuingPagedBatchedChildren"/>, with a batch that fails dead-lettered.</summary>
[Chain]
public partial class ContinuingDeadLetteredBatches
{
    [Step(1, OnError = ErrorMode.Continue)]
    public partial ParentItems Parents { get; }

    [Step(2, OnError = ErrorMode.DeadLetter)]
    [Batched(Size = 30)]
    [Map(nameof(Scenario.Name), To = nameof(ChildBatch.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildBatch.Ids))]
    public partial PagedChildrenByIds Children { get; }
}

/// <summary>Parents, then children of 50 parents per request, the ids collected into a list (<c>?ids=1&amp;ids=2…</c>).</summary>
[Chain]
public partial class BatchedChildIdList
{
    [Step(1)]
    public partial ParentItems Parents { get; }

    [Step(2)]
    [Batched(Size = 50)]
    [Map(nameof(Scenario.Name), To = nameof(ChildIdList.Name), From = MapFrom.ChainInput)]
    [Map(nameof(Parent.Id), To = nameof(ChildIdList.Ids))]
    public partial ChildrenByIdList Children { get; }
}

