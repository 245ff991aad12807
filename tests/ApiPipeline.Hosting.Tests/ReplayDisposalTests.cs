using System.Runtime.CompilerServices;
using Xunit;

namespace ApiPipeline.Hosting.Tests;

/// <summary>
/// A hand-written extractor whose <see cref="DisposeAsync"/> fails (closing its connection fails) while <see cref="FailOnClose"/>. Page 2
/// fails (dead-lettered) until <see cref="Healed"/>. Listed in the registry as <c>closing</c>.
/// </summary>
[RegisteredExtractor("closing", Json = typeof(TestJson))]
public sealed class ClosingItems : IExtractor<NoInput, Item>, IAsyncDisposable
{
    public static bool Healed { get; set; }

    public static bool FailOnClose { get; set; }

    public string Name => "closing";

    public ErrorMode OnError => ErrorMode.DeadLetter;

    public async IAsyncEnumerable<Page<Item>> ExtractPagesAsync(NoInput input, PageCheckpoint? resumeFrom = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if ((resumeFrom?.PageNumber ?? 1) == 1)
        {
            yield return new Page<Item>(1, "closing:1", [new Item(1, "first", CountdownItems.Start)], new PageCheckpoint("closing:2", 2, 1), 0);
        }

        yield return Healed
            ? new Page<Item>(2, "closing:2", [new Item(2, "second", CountdownItems.Start)], null, 0)
            : new Page<Item>(2, "closing:2", [], null, 0)
            {
                Error = new ExtractionException(ExtractionErrorKind.Transport, Name, 2, "closing:2", "the source is down") { Resume = new PageCheckpoint("closing:2", 2, 1) },
            };
    }

    public ValueTask DisposeAsync()
        => FailOnClose ? ValueTask.FromException(new IOException("closing the connection failed")) : ValueTask.CompletedTask;
}

/// <summary>The host disposing the extractor of a replayed entry after its records were committed.</summary>
public sealed class ReplayDisposalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        ClosingItems.Healed = false;
        ClosingItems.FailOnClose = false;
        _dir.Dispose();
    }

    /// <summary>
    /// Replay commits the entry's records, then disposes the extractor, whose DisposeAsync throws: the entry leaves the file all the same
    /// (its records are in the output), the failure is a note, and the next replay writes nothing again.
    /// </summary>
    [Fact]
    public async Task A_replayed_entry_whose_extractor_fails_to_dispose_after_the_commit_is_not_written_twice_by_the_next_replay()
    {
        string state = Path.Combine(_dir.Path, "state.db");
        string deadLetters = Path.Combine(_dir.Path, "closing.dead-letter.jsonl");
        var (code, output, error) = await CliTests.Cli(null, "run", "closing", "--output", _dir.Path, "--state", state);
        Assert.True(code == ExitCodes.PartialSuccess, output + error);
        Assert.Single(await File.ReadAllLinesAsync(deadLetters));

        ClosingItems.Healed = true;
        ClosingItems.FailOnClose = true;
        (code, output, error) = await CliTests.Cli(null, "replay", deadLetters, "--output", _dir.Path);
        string first = $"first replay: exit {code}: {output}{error}";

        ClosingItems.FailOnClose = false;
        (code, output, error) = await CliTests.Cli(null, "replay", deadLetters, "--output", _dir.Path);
        string second = $"second replay: exit {code}: {output}{error}";

        var ids = Directory.EnumerateFiles(Path.Combine(_dir.Path, "closing"), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("id").GetInt32())
            .Order()
            .ToList();
        Assert.True(ids.SequenceEqual([1, 2]), $"ids {string.Join(",", ids)}\n{first}\n{second}");
    }
}
