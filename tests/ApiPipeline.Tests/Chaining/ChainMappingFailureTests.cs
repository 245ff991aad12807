using System.Text.Json.Serialization;
using ApiPipeline.Generated;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ApiPipeline.Tests.Chaining;

/// <summary>An account's keys: its owner may be absent.</summary>
public sealed record AccountKeys(long Id, long? OwnerId);

[JsonSerializable(typeof(AccountKeys))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal partial class AccountJson : JsonSerializerContext;

/// <summary>Accounts, landed as sent.</summary>
[Extractor("https://api.example.invalid", "/{name}/accounts", Json = typeof(AccountJson))]
[Paginated(Pagination.None, RecordsPath = "items")]
public partial class RawAccounts : IExtractor<Scenario, RawRecord<AccountKeys>>;

[Chain]
public partial class AccountChildren
{
    [Step(1)]
    public partial RawAccounts Accounts { get; }

    [Step(2)]
    [Map(nameof(Scenario.Name), To = nameof(ChildQuery.Name), From = MapFrom.ChainInput)]
    [Map("Fields.OwnerId", To = nameof(ChildQuery.ParentId))]
    public partial ChildItems Children { get; }
}

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

/// <summary>
/// A chain whose step 2 maps a passthrough parent's nullable field (<c>Fields.OwnerId</c>) to a member that needs a value: an account
/// without an owner fails the mapping (ChainMappingException), as chains.md documents for <c>T?</c> → <c>T</c>.
/// </summary>
public sealed class ChainMappingFailureTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private static Task Accounts(HttpContext context)
        => Reply.Json(context, """{"items":[{"id":1,"owner_id":null,"client_secret":"s3cr3t-value","name":"a"}]}""");

    /// <summary>
    /// A failure names the input with secrets masked: for a failed mapping that is the record of the step before, as JSON (a passthrough
    /// record's <c>ToString()</c> would be the whole JSON the API sent, <c>client_secret</c> included).
    /// </summary>
    [Fact]
    public async Task A_failed_mapping_does_not_put_a_secret_field_of_the_parent_record_in_the_error_or_the_failures()
    {
        var input = Map("mapping-single", Accounts);
        var output = new MemoryOutput<Child>();
        var result = await new AccountChildren(new ChainOptions { Extractor = At }).ExecuteAsync(input, output).WithDeadline(30);
        Assert.Equal(PipelineStatus.Failed, result.Status);
        Assert.DoesNotContain("s3cr3t", result.Error!.ToString(), StringComparison.Ordinal);
        Assert.All(result.Failures, f => Assert.DoesNotContain("s3cr3t", f.Input ?? "", StringComparison.Ordinal));
    }

    /// <summary>
    /// Under DeadLetter a failed mapping is appended as a <c>Mapping</c> entry holding the record of the step before (secrets masked):
    /// nothing was requested, so the entry says which parent record's input was never extracted.
    /// </summary>
    [Fact]
    public async Task A_failed_mapping_under_DeadLetter_is_appended_to_the_dead_letter_file()
    {
        using var dir = new TempDirectory();
        var input = Map("mapping-dead-letter", Accounts);
        var output = new MemoryOutput<Child>();
        string path = Path.Combine(dir.Path, "dl.jsonl");
        var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var logging = LoggerFactory.Create(b => b.AddProvider(new CollectingLoggerProvider(logs)));
        var result = await new AccountChildren(new ChainOptions { Extractor = At, OnError = ErrorMode.DeadLetter, DeadLetterPath = path, LoggerFactory = logging }).ExecuteAsync(input, output).WithDeadline(30);
        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        var entry = Assert.Single(File.ReadAllLines(path));
        Assert.Contains("\"kind\":\"Mapping\"", entry, StringComparison.Ordinal);
        Assert.Contains("\"pipeline\":\"AccountChildren/Children\"", entry, StringComparison.Ordinal);
        Assert.Contains("owner_id", entry, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", entry, StringComparison.Ordinal);
        Assert.Equal(1, result.Steps[1].DeadLettered);
        Assert.StartsWith("Warning 2006 chain 'AccountChildren/Children': input #0 (its mapping failed) skipped after 0 attempt(s) (Mapping): ", Assert.Single(logs, l => l.StartsWith("Warning 2006 ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal($"Warning 3002 chain 'AccountChildren/Children': failure goes to the dead-letter file {path} with the next commit ", Assert.Single(logs, l => l.StartsWith("Warning 3002 ", StringComparison.Ordinal)));
        Assert.All(logs, l => Assert.DoesNotContain("s3cr3t", l, StringComparison.Ordinal));
    }

    /// <summary>A batched step's Mapping entry holds the batch's records of the step before, each as JSON with secrets masked.</summary>
    [Fact]
    public async Task A_failed_batch_mapping_under_DeadLetter_names_the_parent_records_in_its_entry()
    {
        using var dir = new TempDirectory();
        var input = Map("mapping-batch", Accounts);
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
