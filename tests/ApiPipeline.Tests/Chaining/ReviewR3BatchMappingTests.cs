using ApiPipeline.Generated;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests.Chaining;

/// <summary>Accounts, then the children of their owners, 10 owners per request (<c>?ids=…</c>).</summary>
[Chain]
public partial class BatchedAccountChildren
{
    [Step(1)]
    public partial RawAccounts Accounts { get; }

    [Step(2)]
    [Batched(Size = 10)]
    [Map(nameof(Scenario.Name), To = nameof(ChildIdList.Name), From = MapFrom.ChainInput)]
    [Map("Fields.OwnerId", To = nameof(ChildIdList.Ids))]
    public partial ChildrenByIdList Children { get; }
}

/// <summary>A failed mapping of a batched step under DeadLetter.</summary>
public sealed class ReviewR3BatchMappingTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private static Task Accounts(HttpContext context)
        => Reply.Json(context, """{"items":[{"id":1,"owner_id":null,"client_secret":"s3cr3t-value","name":"a"}]}""");

    /// <summary>
    /// The Mapping entry is meant to hold the record(s) of the step before whose input was never built (DeadLetterEntry.MappingKind:
    /// "Input holds that record, secrets masked"), so the user can find and fix them. For a batched step ChainStep.ExtractItemAsync
    /// passes the text "batch of 1" instead: the entry names no parent record at all.
    /// </summary>
    [Fact]
    public async Task A_failed_batch_mapping_under_DeadLetter_names_the_parent_records_in_its_entry()
    {
        using var dir = new TempDirectory();
        var input = Map("rv3-batch", Accounts);
        var output = new MemoryOutput<Child>();
        string path = Path.Combine(dir.Path, "dl.jsonl");

        var result = await new BatchedAccountChildren(new ChainOptions { Extractor = At, OnError = ErrorMode.DeadLetter, DeadLetterPath = path }).ExecuteAsync(input, output).WithDeadline(30);

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        var entry = Assert.Single(File.ReadAllLines(path));
        Assert.Contains("\"kind\":\"Mapping\"", entry, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", entry, StringComparison.Ordinal);
        Assert.True(entry.Contains("owner_id", StringComparison.Ordinal), "the entry names no parent record: " + entry);
    }
}
