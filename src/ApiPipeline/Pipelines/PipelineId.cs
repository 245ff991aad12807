namespace ApiPipeline;

/// <summary>What a pipeline's id may be: it names the pipeline's state, output folder and dead-letter entries.</summary>
internal static class PipelineId
{
    /// <summary>
    /// Why <paramref name="id"/> cannot be a pipeline's id, or <see langword="null"/>: a <c>/</c> is refused, since dead-letter entries
    /// and <c>replay</c> read <c>a/b</c> as step <c>b</c> of chain <c>a</c>.
    /// </summary>
    public static string? Problem(string id)
        => id.Contains('/', StringComparison.Ordinal)
            ? $"the pipeline id '{id}' contains '/', which dead-letter entries and replay read as '<chain id>/<step>'; use another character ('-', '_' or '.')"
            : null;
}
