using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace ApiPipeline.Generators.Tests;

/// <summary>
/// Compares text to a checked-in <c>Snapshots/&lt;name&gt;.verified.cs</c>. On a mismatch the test fails with the first differing lines
/// and writes <c>&lt;name&gt;.received.cs</c> next to it; with <c>APIPIPELINE_ACCEPT_SNAPSHOTS=1</c> the verified file is overwritten instead.
/// </summary>
internal static partial class Snapshot
{
    public const string AcceptVariable = "APIPIPELINE_ACCEPT_SNAPSHOTS";

    /// <summary>The Snapshots folder next to this source file, so tests work from any working directory.</summary>
    public static string Directory { get; } = Path.Combine(Path.GetDirectoryName(ThisFile())!, "Snapshots");

    public static void Verify(string name, string text)
        => Verify(Directory, name, text, accept: Environment.GetEnvironmentVariable(AcceptVariable) == "1");

    internal static void Verify(string directory, string name, string text, bool accept)
    {
        string actual = Normalize(text);
        string verifiedPath = Path.Combine(directory, name + ".verified.cs");
        string receivedPath = Path.Combine(directory, name + ".received.cs");

        if (accept)
        {
            System.IO.Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, actual, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            File.Delete(receivedPath);
            return;
        }

        string? expected = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (expected == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        string reason = expected is null
            ? $"Snapshot '{name}' has no verified file {verifiedPath}."
            : $"Snapshot '{name}' differs from {verifiedPath}.\n{Describe(expected, actual)}";
        Assert.Fail($"{reason}\nReceived output written to {receivedPath}.\nIf the new output is right, rerun with {AcceptVariable}=1 or rename the received file.");
    }

    /// <summary>Line endings to <c>\n</c>, and the generator's version in <c>[GeneratedCode]</c> scrubbed so a version bump keeps snapshots.</summary>
    public static string Normalize(string text)
        => VersionPattern().Replace(text.Replace("\r\n", "\n", StringComparison.Ordinal), "\"ApiPipeline.Generators\", \"{version}\"");

    /// <summary>The first differing line with a little context, in a diff-like form.</summary>
    internal static string Describe(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        int first = 0;
        while (first < e.Length && first < a.Length && e[first] == a[first])
        {
            first++;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"First difference at line {first + 1} (verified has {e.Length} lines, received {a.Length}):\n");
        int from = Math.Max(0, first - 2);
        for (int i = from; i < first; i++)
        {
            text.Append("  ").Append(e[i]).Append('\n');
        }

        for (int i = first; i < Math.Min(e.Length, first + 4); i++)
        {
            text.Append("- ").Append(e[i]).Append('\n');
        }

        for (int i = first; i < Math.Min(a.Length, first + 4); i++)
        {
            text.Append("+ ").Append(a[i]).Append('\n');
        }

        return text.ToString();
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;

    [GeneratedRegex("\"ApiPipeline\\.Generators\", \"[0-9]+(\\.[0-9]+)*\"")]
    private static partial Regex VersionPattern();
}
