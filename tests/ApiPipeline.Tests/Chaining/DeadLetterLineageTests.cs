using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;

namespace ApiPipeline.Tests.Chaining;

/// <summary>An account (step 1 of the chain below), with a member whose name looks secret.</summary>
public sealed record Account(long Id, string Name, string? ApiKey);

[JsonSerializable(typeof(Account))]
[JsonSerializable(typeof(long))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class LineageEntryJson : JsonSerializerContext;

/// <summary>
/// The dead-letter entry of a step before the last carries what the later steps read (the lineage), so that <c>replay</c> can run them;
/// records with a value under a name that looks secret are left out of it.
/// </summary>
public sealed class DeadLetterLineageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "apipipeline-lineage-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(null)]
    [InlineData("k-123-secret")]
    public async Task An_entry_of_a_middle_step_carries_the_lineage_later_steps_read_unless_it_holds_a_secret_looking_value(string? apiKey)
    {
        // Step 3 reads step 1's account: the entry of step 2's skipped page carries it, unless the account has an API key to keep out.
        string path = Path.Combine(_folder, "lineage.dead-letter.jsonl");
        var output = new MemoryOutput<long>();

        // The host gives the chain input's values for the chains it registers (here none: NoInput).
        var options = new ChainOptions { OnError = ErrorMode.DeadLetter, DeadLetterPath = path, DeadLetterInput = System.Text.Json.JsonElement.Parse("{}") };
        var result = await new ChainExecutor<NoInput, long>(Definition(apiKey), options: options).ExecuteAsync(NoInput.Value, output);

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.Equal([14L], output.Committed);
        var entry = Assert.Single(await File.ReadAllLinesAsync(path));
        Assert.Contains("\"pipeline\":\"lineage-entry/numbers\"", entry, StringComparison.Ordinal);
        if (apiKey is null)
        {
            Assert.Contains("\"chain\":{\"input\":{},\"lineage\":[{\"step\":1,\"record\":{\"id\":7,\"name\":\"acme\",\"api_key\":null}}]}", entry, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("\"chain\":{\"input\":{}}", entry, StringComparison.Ordinal);
            Assert.DoesNotContain(apiKey, entry, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_entry_of_a_run_not_given_the_chain_inputs_values_carries_nothing_for_the_later_steps()
    {
        // A chain file's run (or a library's): replay cannot take its later steps again, so the entry carries none of what they read.
        string path = Path.Combine(_folder, "lineage.dead-letter.jsonl");
        var output = new MemoryOutput<long>();

        var result = await new ChainExecutor<NoInput, long>(Definition(null), options: new ChainOptions { OnError = ErrorMode.DeadLetter, DeadLetterPath = path }).ExecuteAsync(NoInput.Value, output);

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        Assert.DoesNotContain("\"chain\"", Assert.Single(await File.ReadAllLinesAsync(path)), StringComparison.Ordinal);
    }

    /// <summary>Accounts, then numbers (whose first page fails and is skipped), then sums that read step 1's account (the lineage).</summary>
    private static ChainDefinition<NoInput, long> Definition(string? apiKey)
        => ChainDefinition.Create<NoInput, Account>("lineage-entry", new ChainStepSettings { Name = "accounts" }, (_, _) => new Accounts(apiKey), () => LineageEntryJson.Default.Account)
            .Then<long, long>(new ChainStepSettings { Name = "numbers" }, (_, _) => new SkipsFirstPage(), () => LineageEntryJson.Default.Int64, static (_, account) => account.Id)
            .Then<long, long>(new ChainStepSettings { Name = "sums" }, (_, _) => new Echo(), null, [1], static (_, n, lineage) => n + lineage.Get<Account>(1).Id)
            .Build();

    /// <summary>One account, id 7.</summary>
    private sealed class Accounts(string? apiKey) : IExtractor<NoInput, Account>
    {
        public string Name => "accounts";

        public async IAsyncEnumerable<Page<Account>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new Page<Account>(1, "http://test.invalid/accounts", [new Account(7, "acme", apiKey)], null, 0);
        }
    }

    /// <summary>Page 1 fails and is skipped (its error carried by the page); page 2 holds the input.</summary>
    private sealed class SkipsFirstPage : IExtractor<long, long>
    {
        public string Name => "numbers";

        public async IAsyncEnumerable<Page<long>> ExtractPagesAsync(long input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            string url = "http://test.invalid/numbers/" + input + "?page=";
            var error = new ExtractionException(ExtractionErrorKind.HttpStatus, Name, 1, url + 1, "unavailable", HttpStatusCode.ServiceUnavailable) { Resume = new PageCheckpoint(url + 1, 1, 0) };
            yield return new Page<long>(1, url + 1, [], new PageCheckpoint(url + 2, 2, 0), 0) { Error = error };
            yield return new Page<long>(2, url + 2, [input], null, 0);
        }
    }

    /// <summary>Its input as its one record.</summary>
    private sealed class Echo : IExtractor<long, long>
    {
        public string Name => "echo";

        public async IAsyncEnumerable<Page<long>> ExtractPagesAsync(long input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new Page<long>(1, "http://test.invalid/echo", [input], null, 0);
        }
    }
}
