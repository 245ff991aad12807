using System.Reflection;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>Failing host tests from the review of the day's fixes.</summary>
public sealed class ReviewFixesHostTests
{
    [Fact]
    public async Task ReviewFixes_replay_writes_as_the_owner_a_run_recovers_when_the_state_folder_is_a_link()
    {
        // Commit 5e48c9f made SqliteStateStore.Identity the state file's path with symbolic links resolved (RealPath), and a run's
        // temporary parts are tagged OwnerTag.Pipeline(id, store.Identity). DeadLetterReplay.Writer still tags replay's parts with
        // Path.GetFullPath(statePath) (its comment: "its full path: the identity of the SqliteStateStore a run opens there"), so with
        // --state under a linked folder replay writes as a different owner: a crashed replay's temporary parts are never deleted by the
        // pipeline's recovery (docs/state-and-incremental.md: "the next start with the same state store deletes the temporary file, as
        // its owner"), and replay's own recovery does not clean up the run's. Expected: the same owner tag as the run's.
        string root = Path.Combine(Path.GetTempPath(), "apipipeline-review-" + Guid.NewGuid().ToString("N"));
        string real = Directory.CreateDirectory(Path.Combine(root, "real")).FullName;
        string link = Path.Combine(root, "link");
        Directory.CreateSymbolicLink(link, real);
        try
        {
            string statePath = Path.Combine(link, "state.db");
            string identity;
            await using (var store = await SqliteStateStore.OpenAsync(statePath))
            {
                identity = store.Identity;
            }

            var entry = new DeadLetterEntry(DateTimeOffset.UnixEpoch, "issues", "Issues", "HttpStatus", 500, 2, "http://127.0.0.1/x?page=2", 1, DeadLetterEntry.PageSkipped, "boom", null, null, null, null);
            var writer = (string)typeof(DeadLetterReplay).GetMethod("Writer", BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, [entry, statePath, false])!;

            Assert.Equal(OwnerTag.Pipeline("issues", identity), writer);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
