using System.Text;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// Temporary files named by development versions before owner tags are no run's to delete: one may be a batch a run with another state
/// file recorded and its resume still needs.
/// </summary>
public sealed class EarlierVersionTemporaryFileTests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    /// <summary>
    /// A version before owners had state stores named a pipeline's dead-letter batch <c>&lt;file&gt;.&lt;SHA-256(bare id)[..16]&gt;.&lt;batch&gt;.tmp</c>.
    /// Pipeline <c>items</c>, run with a.db on that version, dead-lettered page 2, recorded its batch in a.db and died before completing
    /// it (simulated: a crash after the record, then the batch file and a.db's record renamed to the earlier name). After the upgrade, a
    /// run of <c>items</c> with another state file starts first and leaves that file; the resume with a.db appends the page-2 entry.
    /// </summary>
    [Fact]
    public async Task A_run_with_another_state_file_does_not_delete_the_dead_letter_batch_an_earlier_version_recorded_in_the_first()
    {
        string deadLetters = Path.Combine(Output, "items.dead-letter.jsonl");
        var first = await SqliteStateStore.OpenAsync(Path.Combine(Dir.Path, "a.db"));
        await using (first.ConfigureAwait(false))
        {
            Server.Unavailable = target => target.Contains("page=2", StringComparison.Ordinal) && Server.Targets.Count(t => t.Contains("page=2", StringComparison.Ordinal)) == 1;
            var crashed = await ItemsPipeline(new ApiPipeline.Tests.CrashOnComplete<Item>(ItemsOutput()), first).ExecuteAsync(NoInput.Value);
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            Server.Unavailable = null;

            // Today's name of the recorded batch, renamed to the earlier version's (bare id), in a.db's record too.
            string current = Assert.Single(Directory.EnumerateFiles(Output, "items.dead-letter.jsonl.*.tmp"));
            string old = current.Replace("." + OwnerTag.Of(OwnerTag.Pipeline("items", ((IStateStore)first).Identity)) + ".", "." + OwnerTag.Of("items") + ".", StringComparison.Ordinal);
            Assert.NotEqual(current, old);
            File.Move(current, old);
            await RewriteAsync(first, JsonEscaped(current), JsonEscaped(old));

            await RunAnotherThenResumeAsync(first);
        }

        Assert.True(File.Exists(deadLetters), "the page-2 entry a.db recorded was deleted by a run with another state file");
        Assert.Single(File.ReadAllLines(deadLetters));
    }

    /// <summary>
    /// The JSON Lines side: a version before owner tags named a batch's parts <c>.part-00001.&lt;random tag&gt;.jsonl.tmp</c>. Pipeline
    /// <c>items</c>, run with a.db on that version, recorded its batch (25 items) and died before the rename; a run with another state
    /// file starts first and leaves those parts; the resume with a.db puts them in place: 25 items.
    /// </summary>
    [Fact]
    public async Task A_run_with_another_state_file_does_not_delete_the_untagged_parts_an_earlier_version_recorded_in_the_first()
    {
        string folder = Path.Combine(Output, "items");
        var first = await SqliteStateStore.OpenAsync(Path.Combine(Dir.Path, "a.db"));
        await using (first.ConfigureAwait(false))
        {
            var crashed = await ItemsPipeline(new ApiPipeline.Tests.CrashOnComplete<Item>(ItemsOutput()), first).ExecuteAsync(NoInput.Value);
            Assert.Equal(PipelineStatus.Failed, crashed.Status);
            string tag = "." + OwnerTag.Of(OwnerTag.Pipeline("items", ((IStateStore)first).Identity)) + ".";
            var parts = Directory.EnumerateFiles(folder, ".part-*.jsonl.tmp", SearchOption.AllDirectories).ToList();
            Assert.NotEmpty(parts);
            foreach (var part in parts)
            {
                string old = part.Replace(tag, ".", StringComparison.Ordinal);
                Assert.NotEqual(part, old);
                File.Move(part, old);
                await RewriteAsync(first, JsonEscaped(part), JsonEscaped(old));
            }

            await RunAnotherThenResumeAsync(first);
        }

        Assert.Equal(Enumerable.Range(1, 25), Ids(folder));
    }

    private static string JsonEscaped(string value) => System.Text.Json.JsonSerializer.Serialize(value)[1..^1];

    /// <summary>Replaces <paramref name="from"/> by <paramref name="to"/> in every value of <paramref name="store"/>.</summary>
    private static async Task RewriteAsync(IStateStore store, string from, string to)
    {
        var change = new StateChange();
        int replaced = 0;
        foreach (var scope in await store.GetScopesAsync())
        {
            foreach (var (key, value) in await store.GetScopeAsync(scope))
            {
                if (value.Contains(from, StringComparison.Ordinal))
                {
                    change.Put(scope, key, value.Replace(from, to, StringComparison.Ordinal));
                    replaced++;
                }
            }
        }

        Assert.True(replaced > 0, "the state records no dead-letter batch");
        await store.CommitAsync(change);
    }

    /// <summary>A run of <c>items</c> with the default state file (reading nothing) starts first; then the resume with <paramref name="first"/>.</summary>
    private async Task RunAnotherThenResumeAsync(IStateStore first)
    {
        var other = await SqliteStateStore.OpenAsync(Path.Combine(Output, ".state", "apipipeline.db"));
        await using (other.ConfigureAwait(false))
        {
            Server.Respond = context => TestServer.Reply(context, """{"data":[]}""", 200);
            var output = ItemsOutput();
            await using (output.ConfigureAwait(false))
            {
                var result = await ItemsPipeline(output, other).ExecuteAsync(NoInput.Value);
                Assert.True(result.Status == PipelineStatus.Succeeded, result.Error?.ToString());
            }
        }

        Server.Respond = null;
        var again = ItemsOutput();
        await using (again.ConfigureAwait(false))
        {
            var resumed = await ItemsPipeline(again, first).ExecuteAsync(NoInput.Value);
            Assert.True(resumed.Resumed);
        }
    }

    private JsonlOutput<Item> ItemsOutput() => new(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = Output, Name = "items" });

    private Pipeline<NoInput, Item> ItemsPipeline(IOutput<Item> output, IStateStore store)
        => new("items", new Items(new ExtractorOptions { BaseUrl = Server.BaseUrl, Resilience = ResilienceOptions.None }), output, new PipelineOptions { StateStore = store, OnError = ErrorMode.DeadLetter, DeadLetterPath = Path.Combine(Output, "items.dead-letter.jsonl") });
}
