using System.Text;

namespace ApiPipeline;

/// <summary>The JSON paths of one extractor's responses, split into UTF-8 segments once per run.</summary>
internal sealed class PageLayout
{
    public const int Records = 0;
    public const int Cursor = 1;
    public const int NextUrl = 2;
    public const int HasMore = 3;
    public const int Total = 4;
    public const int TotalPages = 5;
    public const int Count = 6;

    private readonly byte[][]?[] _segments = new byte[Count][][];
    private readonly string?[] _paths = new string?[Count];

    public PageLayout(PaginationOptions options)
    {
        Set(Records, options.RecordsPath);
        if (options.Style == Pagination.Cursor)
        {
            Set(Cursor, options.CursorPath);
        }

        if (options.Style == Pagination.NextUrl)
        {
            Set(NextUrl, options.NextUrlPath);
        }

        Set(HasMore, options.HasMorePath);
        Set(Total, options.TotalPath);

        if (options.Style == Pagination.PageNumber)
        {
            Set(TotalPages, options.TotalPagesPath);
        }

        RecordsAtRoot = _segments[Records] is null;
        for (int t = 0; t < Count; t++)
        {
            if (_segments[t] is not null)
            {
                TargetMask |= 1 << t;
            }
        }
    }

    /// <summary>The body itself is the array of records.</summary>
    public readonly bool RecordsAtRoot;

    /// <summary>One bit per configured path.</summary>
    public readonly int TargetMask;

    public byte[][] Segments(int target) => _segments[target]!;

    public string Path(int target) => _paths[target] ?? "$";

    private void Set(int target, string? path)
    {
        path = path?.Trim();
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return;
        }

        if (path.StartsWith("$.", StringComparison.Ordinal))
        {
            path = path[2..];
        }

        _paths[target] = path;
        _segments[target] = Array.ConvertAll(path.Split('.'), Encoding.UTF8.GetBytes);
    }
}
