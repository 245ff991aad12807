using System.Diagnostics;

namespace ApiPipeline.Tests;

public static class TestHelpers
{
    /// <summary>Reads every page, or rethrows the first failure.</summary>
    public static async Task<List<Page<TOut>>> PagesAsync<TIn, TOut>(this IExtractor<TIn, TOut> extractor, TIn input, PageCheckpoint? resumeFrom = null)
    {
        var pages = new List<Page<TOut>>();
        await foreach (var page in extractor.ExtractPagesAsync(input, resumeFrom))
        {
            pages.Add(page);
        }

        return pages;
    }

    /// <summary>Reads pages until one fails; returns the pages read before it and the failure.</summary>
    public static async Task<(List<Page<TOut>> Pages, ExtractionException Error)> PagesUntilErrorAsync<TIn, TOut>(this IExtractor<TIn, TOut> extractor, TIn input)
    {
        var pages = new List<Page<TOut>>();
        try
        {
            await foreach (var page in extractor.ExtractPagesAsync(input))
            {
                pages.Add(page);
            }
        }
        catch (ExtractionException ex)
        {
            return (pages, ex);
        }

        throw new Xunit.Sdk.XunitException($"Expected an ExtractionException, but the extraction ended normally after {pages.Count} page(s).");
    }

    /// <summary>The ids of all records of all pages, in order.</summary>
    public static long[] Ids(this IEnumerable<Page<Item>> pages) => [.. pages.SelectMany(p => p.Records.ToArray()).Select(r => r.Id)];

    /// <summary>The ids of one page.</summary>
    public static long[] Ids(this Page<Item> page) => [.. page.Records.ToArray().Select(r => r.Id)];

    /// <summary>Asserts the parts every extraction error message must carry.</summary>
    public static void AssertNames(this ExtractionException ex, string extractor, int page, string url)
    {
        Assert.Equal(extractor, ex.Extractor);
        Assert.Equal(page, ex.PageNumber);
        Assert.Equal(url, ex.Url);
        Assert.Contains($"Extractor '{extractor}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"page {page} ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(url, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <paramref name="deadline"/> (a safety net, not a timing assertion).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, double deadlineSeconds = 10)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(deadlineSeconds))
            {
                throw new Xunit.Sdk.XunitException($"Timed out waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Awaits a task with a safety deadline.</summary>
    public static async Task WithDeadline(this Task task, double seconds = 10)
    {
        var done = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds)));
        if (done != task)
        {
            throw new Xunit.Sdk.XunitException($"The task did not finish within {seconds} s.");
        }

        await task;
    }

    /// <summary>Awaits a task with a safety deadline.</summary>
    public static async Task<T> WithDeadline<T>(this Task<T> task, double seconds = 10)
    {
        var done = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(seconds)));
        if (done != task)
        {
            throw new Xunit.Sdk.XunitException($"The task did not finish within {seconds} s.");
        }

        return await task;
    }
}

/// <summary>A unique temporary folder, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "apipipeline-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>All files below the folder, relative, with '/' separators, sorted.</summary>
    public string[] Files(string pattern = "*")
        => [.. Directory.EnumerateFiles(Path, pattern, SearchOption.AllDirectories)
            .Select(f => System.IO.Path.GetRelativePath(Path, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
