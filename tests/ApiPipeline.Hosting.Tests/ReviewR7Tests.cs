using System.Text;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>Review round 7 (commit 41bc119c): failing tests.</summary>
public sealed class ReviewR7Tests : ServerTests
{
    private string Output => Path.Combine(Dir.Path, "out");

    /// <summary>
    /// Scenario: a version before owners had state stores (335fccb9..087617ea^) named a pipeline's dead-letter batch
    /// <c>&lt;file&gt;.&lt;SHA-256(bare id)[..16]&gt;.&lt;batch&gt;.tmp</c>. Pipeline <c>items</c>, run with state file a.db on that version,
    /// dead-lettered page 2, recorded its batch (dead-letter batch included) in a.db and died before completing it (simulated: a crash
    /// after the record with today's code, then the batch file and a.db's record renamed to the earlier name). After the upgrade, a run
    /// of <c>items</c> with ANOTHER state file (the default one; it reads nothing) starts first; then the resume with a.db.
    /// Expected: the batch a.db recorded is a.db's to complete (as for today's names: "other owners' temporary files in a shared folder
    /// are left for their own recovery"; before 41bc119c the other run did leave it), so the resume appends the page-2 entry: one line
    /// in the dead-letter file.
    /// Observed: the other run's DeadLetterWriter.DeleteUnrecorded (DeadLetter.cs:336, prefix <c>file + "." + OwnerTag.Of(_owner)</c>,
    /// the bare id, shared by every state file's runs of the id and by a chain of the same id) deletes it; the resume's roll-forward
    /// finds the temporary file gone, takes it for appended, and the entry is lost (no dead-letter file / no line).
    /// </summary>
    [Fact]
    public async Task Review_a_run_with_another_state_file_does_not_delete_the_dead_letter_batch_an_earlier_version_recorded_in_the_first()
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

            // The other state file's run starts first (reading nothing).
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

        Assert.True(File.Exists(deadLetters), "the page-2 entry a.db recorded was deleted by a run with another state file");
        Assert.Single(File.ReadAllLines(deadLetters));
    }

    /// <summary>
    /// Scenario: as LeftoversAndUserOutputReplayTests' bare-id case, but the killed run was of a version between 087617ea and 7c9a247e^
    /// (owners had state stores but no "pipeline:" prefix: <c>SHA-256(id + "\n" + state identity)[..16]</c>). After the upgrade,
    /// <c>replay</c> refuses and says to run the pipeline again with the state file it ran with; the user does, then replays.
    /// Expected (commit 41bc119c: "recoveries also remove temporary files named before owner tags ..., so replay is no longer refused
    /// for good after an upgrade"): that run removes the unrecorded batch of its own pipeline and state file, and the replay succeeds.
    /// Observed: DeleteUnrecorded (DeadLetter.cs:336) matches today's tag and the bare id's only; the file stays, replay refuses forever.
    /// </summary>
    [Fact]
    public async Task Review_a_pipelines_next_run_removes_an_unrecorded_dead_letter_batch_named_with_the_id_and_state_before_owner_kinds()
    {
        string data = Path.Combine(Dir.Path, "data");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ApiPipeline:Output"] = Output }).Build();
        string file = Path.Combine(Dir.Path, "items.yaml");
        await File.WriteAllTextAsync(file, $"pipeline_id: file_items\nextractor:\n  class: Items\n  base_url: {Server.BaseUrl}\nerror_handling:\n  mode: dead_letter\n  max_retries: 0\noutput:\n  type: jsonl\n  config:\n    directory: {data}\n    name: dataset\n");
        Server.Unavailable = target => target.Contains("page=2", StringComparison.Ordinal) && Server.Targets.Count(t => t.Contains("page=2", StringComparison.Ordinal)) == 1;
        var (code, text, error) = await CliTests.Cli(configuration, "run", file);
        Assert.True(code == ExitCodes.PartialSuccess, text + error);
        string deadLetters = Path.Combine(data, "dataset.dead-letter.jsonl");
        Assert.Single(File.ReadAllLines(deadLetters));

        // What the earlier version's killed run left: an unrecorded batch named by SHA-256("file_items\n" + the state file's path).
        string state = Path.GetFullPath(Path.Combine(Output, ".state", "apipipeline.db"));
        string oldHash = OwnerTag.Of("file_items\n" + state);
        string leftover = deadLetters + "." + oldHash + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllTextAsync(leftover, File.ReadAllLines(deadLetters)[0] + "\n");
        (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters);
        Assert.True(code == ExitCodes.Failure, text + error);
        Assert.Contains("run it again with the state file it ran with", text + error, StringComparison.Ordinal);

        (code, text, error) = await CliTests.Cli(configuration, "run", file);
        Assert.True(code == ExitCodes.Success, text + error);
        (code, text, error) = await CliTests.Cli(configuration, "replay", deadLetters);

        Assert.True(code == ExitCodes.Success, text + error);
        Assert.False(File.Exists(leftover), "the unrecorded batch an earlier version of the pipeline left is never removed");
    }

    /// <summary>
    /// Scenario: the JSON Lines side of the first test. A version before owner tags (before 335fccb9) named a batch's temporary parts
    /// <c>.part-00001.&lt;random tag&gt;.jsonl.tmp</c>. Pipeline <c>items</c>, run with a.db on that version, recorded its batch (25 items)
    /// and died before the rename (simulated: a crash after the record with today's code, then the parts and a.db's record renamed to
    /// the untagged names). After the upgrade, a run of <c>items</c> with another state file (reading nothing) starts in the same folder
    /// first; then the resume with a.db.
    /// Expected: the batch a.db recorded is left to a.db's resume (before 41bc119c the other run left it), which puts it in place: 25 items.
    /// Observed: the other run's JsonlOutput.RecoverAsync deletes every untagged part (OwnedOrUntagged, JsonlOutput.cs:372,
    /// <c>dot &lt; 0</c>), recorded ones of other owners included; the resume finds them gone (taken for renamed and taken away): 0 items.
    /// </summary>
    [Fact]
    public async Task Review_a_run_with_another_state_file_does_not_delete_the_untagged_parts_an_earlier_version_recorded_in_the_first()
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

    private JsonlOutput<Item> ItemsOutput() => new(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = Output, Name = "items" });

    private Pipeline<NoInput, Item> ItemsPipeline(IOutput<Item> output, IStateStore store)
        => new("items", new Items(new ExtractorOptions { BaseUrl = Server.BaseUrl, Resilience = ResilienceOptions.None }), output, new PipelineOptions { StateStore = store, OnError = ErrorMode.DeadLetter, DeadLetterPath = Path.Combine(Output, "items.dead-letter.jsonl") });
}
