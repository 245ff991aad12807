using System.Diagnostics;

namespace ApiPipeline.Tests;

/// <summary>
/// The sample's <c>--state FILE</c> option given something that cannot be a state file: the sample should say so in one line and
/// exit with a usage/failure code, as it does for an <c>--out</c> that is a file, not die with an unhandled exception and a stack trace.
/// </summary>
public sealed class SampleStateOptionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("folder")]
    [InlineData("not-sqlite")]
    public async Task A_state_path_that_cannot_be_a_state_file_is_a_message_not_an_unhandled_exception(string kind)
    {
        string state = Path.Combine(_dir.Path, "state.db");
        if (kind == "folder")
        {
            Directory.CreateDirectory(state);
        }
        else
        {
            await File.WriteAllTextAsync(state, "this is not an SQLite database");
        }

        var (code, output) = await RunSampleAsync("--issues", "10", "--out", Path.Combine(_dir.Path, "out"), "--state", state);

        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.Contains(state, output, StringComparison.Ordinal);
        Assert.True(code is 1 or 64, $"exit code {code}:\n{output}");
    }

    private static async Task<(int Code, string Output)> RunSampleAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(SamplePath());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string SamplePath()
    {
        var binDir = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = binDir.Parent!.Name;
        var root = binDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ApiPipeline.Generated.sln")))
        {
            root = root.Parent;
        }

        string path = Path.Combine(root!.FullName, "samples", "ApiPipeline.Sample", "bin", configuration, "net10.0", "ApiPipeline.Sample.dll");
        Assert.True(File.Exists(path), $"The sample is not built at {path}");
        return path;
    }
}
