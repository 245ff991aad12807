using System.Net;
using System.Runtime.CompilerServices;

namespace ApiPipeline.Tests.Chaining;

/// <summary>A chain input whose token member's name does not look secret (<c>Pat</c>).</summary>
public sealed record TokenOwner(string Owner, string Pat);

/// <summary>Step 2's input: an account id and the token, which step 2 sends as <c>?access_token=</c>.</summary>
public sealed record TokenAccount(long Id, string Pat);

/// <summary>
/// A chain input member that a later step sends as <c>access_token</c> (mapped from the chain input), not the first: the failed step's
/// description masks it, so the entry's chain input masks it too.
/// </summary>
public sealed class ChainInputLaterStepSecretTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "apipipeline-later-secret-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_chain_input_member_a_later_step_sends_as_a_secret_query_is_masked_in_its_entry()
    {
        string path = Path.Combine(_folder, "token.dead-letter.jsonl");
        const string token = "ghp_S3cr3tT0kenValue";
        var definition = ChainDefinition.Create<TokenOwner, Account>("token-chain", new ChainStepSettings { Name = "accounts" }, (_, _) => new OwnerAccounts(), () => LaterStepJson.Account)
            .Then<TokenAccount, long>(new ChainStepSettings { Name = "numbers" }, (_, _) => new TokenNumbers(), () => LaterStepJson.Int64, static (input, account) => new TokenAccount(account.Id, input.Pat))
            .Build();

        // What the host gives a registered chain: the values as bound, masked by member name only (Pat is not a secret-looking name).
        var options = new ChainOptions { OnError = ErrorMode.DeadLetter, DeadLetterPath = path, DeadLetterInput = System.Text.Json.JsonElement.Parse("{\"Owner\":\"acme\",\"Pat\":\"" + token + "\"}") };
        var result = await new ChainExecutor<TokenOwner, long>(definition, options: options).ExecuteAsync(new TokenOwner("acme", token), new MemoryOutput<long>());

        Assert.Equal(PipelineStatus.PartialSuccess, result.Status);
        var entry = Assert.Single(await File.ReadAllLinesAsync(path));
        Assert.Contains("\"chain\":", entry, StringComparison.Ordinal);
        Assert.DoesNotContain(token, entry, StringComparison.Ordinal);
    }

    private static class LaterStepJson
    {
        public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<Account> Account => LineageEntryJson.Default.Account;

        public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<long> Int64 => LineageEntryJson.Default.Int64;
    }

    /// <summary>The owner's account; keyed by its URL, which holds no secret.</summary>
    private sealed class OwnerAccounts : IExtractor<TokenOwner, Account>
    {
        public string Name => "accounts";

        public string PartitionKey(TokenOwner input) => "/owners/" + input.Owner + "/accounts";

        public async IAsyncEnumerable<Page<Account>> ExtractPagesAsync(TokenOwner input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new Page<Account>(1, "http://test.invalid/owners/" + input.Owner + "/accounts", [new Account(7, input.Owner, null)], null, 0);
        }
    }

    /// <summary>Sends the token as ?access_token= (shown redacted, as a generated extractor does); its first page fails and is skipped.</summary>
    private sealed class TokenNumbers : IExtractor<TokenAccount, long>
    {
        public string Name => "numbers";

        public string PartitionKey(TokenAccount input) => "/numbers/" + input.Id + "?access_token=***";

        public async IAsyncEnumerable<Page<long>> ExtractPagesAsync(TokenAccount input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            string url = "http://test.invalid/numbers/" + input.Id + "?access_token=***&page=";
            var error = new ExtractionException(ExtractionErrorKind.HttpStatus, Name, 1, url + 1, "unavailable", HttpStatusCode.ServiceUnavailable) { Resume = new PageCheckpoint(url + 1, 1, 0) };
            yield return new Page<long>(1, url + 1, [], new PageCheckpoint(url + 2, 2, 0), 0) { Error = error };
            yield return new Page<long>(2, url + 2, [input.Id], null, 0);
        }
    }
}
