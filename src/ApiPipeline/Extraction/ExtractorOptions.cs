namespace ApiPipeline;

/// <summary>Run-time settings of an extractor; each one that is set overrides what the attributes say.</summary>
public sealed record ExtractorOptions
{
    /// <summary>Default 64 MiB.</summary>
    public const long DefaultMaxResponseBytes = 64L * 1024 * 1024;

    /// <summary>Replaces the base URL of <see cref="ExtractorAttribute"/> (for a test server, a proxy or another region).</summary>
    public string? BaseUrl { get; init; }

    /// <summary>Overrides <see cref="PaginationOptions.PageSize"/>.</summary>
    public int? PageSize { get; init; }

    /// <summary>Overrides <see cref="PaginationOptions.MaxPages"/>.</summary>
    public int? MaxPages { get; init; }

    /// <summary>Overrides <see cref="PaginationOptions.MaxRecords"/>.</summary>
    public long? MaxRecords { get; init; }

    /// <summary>A response body larger than this fails the page with <see cref="ExtractionErrorKind.BodyTooLarge"/>. Default 64 MiB.</summary>
    public long MaxResponseBytes { get; init; } = DefaultMaxResponseBytes;

    /// <summary>Extra request headers sent with every request (for example <c>Accept</c> or an API version header).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    internal PaginationOptions Apply(PaginationOptions pagination) => pagination with
    {
        PageSize = PageSize ?? pagination.PageSize,
        MaxPages = MaxPages ?? pagination.MaxPages,
        MaxRecords = MaxRecords ?? pagination.MaxRecords,
    };
}
