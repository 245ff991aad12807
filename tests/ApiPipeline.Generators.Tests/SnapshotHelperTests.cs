using Xunit.Sdk;

namespace ApiPipeline.Generators.Tests;

/// <summary>The snapshot helper itself: it fails on missing or different files, writes what it received, and accepts on request.</summary>
public sealed class SnapshotHelperTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "apipipeline-snapshots-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void MissingVerifiedFile_FailsAndWritesReceived()
    {
        Directory.CreateDirectory(_directory);

        var failure = Assert.Throws<FailException>(() => Snapshot.Verify(_directory, "Missing", "class A {}\n", accept: false));

        Assert.Contains("has no verified file", failure.Message, StringComparison.Ordinal);
        Assert.Contains(Snapshot.AcceptVariable, failure.Message, StringComparison.Ordinal);
        Assert.Equal("class A {}\n", File.ReadAllText(Path.Combine(_directory, "Missing.received.cs")));
        Assert.False(File.Exists(Path.Combine(_directory, "Missing.verified.cs")));
    }

    [Fact]
    public void DifferentText_FailsWithTheFirstDifferingLine()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "Diff.verified.cs"), "line 1\nline 2\nline 3\n");

        var failure = Assert.Throws<FailException>(() => Snapshot.Verify(_directory, "Diff", "line 1\nline two\nline 3\n", accept: false));

        Assert.Contains("First difference at line 2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("- line 2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("+ line two", failure.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_directory, "Diff.received.cs")));
    }

    [Fact]
    public void SameTextWithOtherLineEndingsAndVersion_Passes_AndRemovesStaleReceived()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "Same.verified.cs"), "[GeneratedCode(\"ApiPipeline.Generators\", \"{version}\")]\r\nclass A {}\r\n");
        File.WriteAllText(Path.Combine(_directory, "Same.received.cs"), "stale");

        Snapshot.Verify(_directory, "Same", "[GeneratedCode(\"ApiPipeline.Generators\", \"1.2.3\")]\nclass A {}\n", accept: false);

        Assert.False(File.Exists(Path.Combine(_directory, "Same.received.cs")));
    }

    [Fact]
    public void AcceptMode_OverwritesTheVerifiedFile()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "Accept.verified.cs"), "old\n");

        Snapshot.Verify(_directory, "Accept", "new\r\n", accept: true);

        Assert.Equal("new\n", File.ReadAllText(Path.Combine(_directory, "Accept.verified.cs")));
        Snapshot.Verify(_directory, "Accept", "new\n", accept: false);
    }

    [Fact]
    public void SnapshotsFolderIsFoundFromTheSourceFile()
    {
        Assert.True(Directory.Exists(Snapshot.Directory), Snapshot.Directory);
        Assert.Equal("Snapshots", Path.GetFileName(Snapshot.Directory));
        Assert.NotEmpty(Directory.GetFiles(Snapshot.Directory, "*.verified.cs"));
    }
}
