namespace ApiPipeline;

/// <summary>
/// Describes how an <see cref="ExtractorAttribute">extractor</see>'s endpoint pages its results and where the records are in each response.
/// Every property maps one to one onto <see cref="PaginationOptions"/>, where the defaults are documented.
/// </summary>
/// <param name="style">The pagination style.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class PaginatedAttribute(Pagination style) : Attribute
{
    /// <summary>The pagination style.</summary>
    public Pagination Style { get; } = style;

    /// <inheritdoc cref="PaginationOptions.RecordsPath"/>
    public string? RecordsPath { get; set; }

    /// <inheritdoc cref="PaginationOptions.PageSize"/>
    public int PageSize { get; set; }

    /// <inheritdoc cref="PaginationOptions.PageSizeParam"/>
    public string? PageSizeParam { get; set; }

    /// <inheritdoc cref="PaginationOptions.CursorPath"/>
    public string? CursorPath { get; set; }

    /// <inheritdoc cref="PaginationOptions.CursorParam"/>
    public string? CursorParam { get; set; }

    /// <inheritdoc cref="PaginationOptions.CursorHeader"/>
    public string? CursorHeader { get; set; }

    /// <inheritdoc cref="PaginationOptions.NextUrlPath"/>
    public string? NextUrlPath { get; set; }

    /// <inheritdoc cref="PaginationOptions.HasMorePath"/>
    public string? HasMorePath { get; set; }

    /// <inheritdoc cref="PaginationOptions.TotalPath"/>
    public string? TotalPath { get; set; }

    /// <inheritdoc cref="PaginationOptions.TotalPagesPath"/>
    public string? TotalPagesPath { get; set; }

    /// <inheritdoc cref="PaginationOptions.OffsetParam"/>
    public string? OffsetParam { get; set; }

    /// <inheritdoc cref="PaginationOptions.LimitParam"/>
    public string? LimitParam { get; set; }

    /// <inheritdoc cref="PaginationOptions.PageParam"/>
    public string? PageParam { get; set; }

    /// <inheritdoc cref="PaginationOptions.FirstPage"/>
    public int FirstPage { get; set; } = 1;

    /// <inheritdoc cref="PaginationOptions.MaxPages"/>
    public int MaxPages { get; set; }

    /// <inheritdoc cref="PaginationOptions.MaxRecords"/>
    public long MaxRecords { get; set; }

    /// <inheritdoc cref="PaginationOptions.MaxConcurrent"/>
    public int MaxConcurrent { get; set; } = 1;

    /// <inheritdoc cref="PaginationOptions.StopOnEmptyPage"/>
    public bool StopOnEmptyPage { get; set; } = true;
}
