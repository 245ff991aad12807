using System;
using System.Collections.Generic;

namespace ApiPipeline.Analyzers;

/// <summary>The dot paths of <c>[Paginated]</c> (<c>RecordsPath</c>, <c>CursorPath</c>, …), read as the runtime's <c>PageLayout</c> reads them.</summary>
internal static class JsonPathSyntax
{
    /// <summary>Whether the path is well formed: empty, <c>$</c>, or dot-separated non-empty segments with an optional <c>$.</c> prefix.</summary>
    public static bool IsValid(string? path) => Problem(path) is null;

    /// <summary>What is wrong with the path, or <see langword="null"/>.</summary>
    public static string? Problem(string? path)
    {
        string body = Body(path, out _);
        if (body.Length == 0)
        {
            return null;
        }

        if (body[0] == '.')
        {
            return "it starts with '.'";
        }

        if (body[body.Length - 1] == '.')
        {
            return "it ends with '.'";
        }

        return body.IndexOf("..", StringComparison.Ordinal) >= 0 ? "it has an empty segment ('..')" : null;
    }

    /// <summary>The path with empty segments removed, keeping a <c>$.</c> prefix.</summary>
    public static string Repair(string path)
    {
        string body = Body(path, out string prefix);
        var segments = new List<string>();
        foreach (var segment in body.Split('.'))
        {
            if (segment.Length > 0)
            {
                segments.Add(segment);
            }
        }

        return prefix + string.Join(".", segments);
    }

    private static string Body(string? path, out string prefix)
    {
        prefix = string.Empty;
        string text = path?.Trim() ?? string.Empty;
        if (text == "$")
        {
            return string.Empty;
        }

        if (text.StartsWith("$.", StringComparison.Ordinal))
        {
            prefix = "$.";
            return text.Substring(2);
        }

        return text;
    }
}
