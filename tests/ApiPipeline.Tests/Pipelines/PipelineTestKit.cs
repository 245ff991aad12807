using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

/// <summary>Shared pieces of the pipeline tests.</summary>
public static class PipelineTestKit
{
    /// <summary>
    /// A cursor API of <paramref name="count"/> pages of 3 records (the last one holding <paramref name="lastSize"/>): page n holds ids 3n-2 …
    /// and points to ?cursor=n+1. <paramref name="special"/> may answer a page itself by returning a task (or null for the default).
    /// </summary>
    public static RequestDelegate CursorPages(int count, int lastSize = 3, Func<int, HttpContext, Task?>? special = null) => ctx =>
    {
        int n = int.TryParse(ctx.Request.Query["cursor"], out int c) ? c : 1;
        if (special?.Invoke(n, ctx) is { } answered)
        {
            return answered;
        }

        if (n > count)
        {
            return Reply.Json(ctx, """{"message":"past the end"}""", 404);
        }

        var ids = Body.Ids((n - 1) * 3 + 1, n == count ? lastSize : 3);
        string next = n == count ? "null" : $"\"{n + 1}\"";
        return Reply.Json(ctx, $$$"""{"data":{{{Body.Items(ids)}}},"meta":{"next_cursor":{{{next}}}}}""");
    };

    /// <summary>The inputs as an asynchronous stream, one after the other.</summary>
    public static async IAsyncEnumerable<T> Inputs<T>(params T[] inputs)
    {
        foreach (var input in inputs)
        {
            await Task.Yield();
            yield return input;
        }
    }

    public static JsonlOutput<Item> Jsonl(string directory, string name, OutputBatchOptions? batching = null)
        => new(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = directory, Name = name, Batching = batching ?? OutputBatchOptions.Default });

    /// <summary>Every committed record id under <paramref name="directory"/>, file by file in name order.</summary>
    public static long[] CommittedIds(string directory)
        => Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory, "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .SelectMany(File.ReadAllLines)
                .Select(line => JsonSerializer.Deserialize(line, TestJson.Default.Item)!.Id)]
            : [];

    /// <summary>Lines per committed file, in name order.</summary>
    public static int[] LinesPerFile(string directory)
        => [.. Directory.EnumerateFiles(directory, "*.jsonl", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(f => File.ReadAllLines(f).Length)];
}
