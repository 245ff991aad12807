namespace ApiPipeline;

/// <summary>
/// The one character pipeline ids, chain ids, step names and the keys of parallel chains may not hold: dead-letter entries name a chain step's failures
/// <c>&lt;chain id&gt;/&lt;step&gt;</c>, and <c>replay</c> reads them by their slashes.
/// </summary>
internal static class SlashInName
{
    /// <summary>Why <paramref name="name"/>, a <paramref name="what"/> (<c>pipeline id</c>, <c>chain id</c>, <c>step name</c>, <c>chain key</c>), is refused, or <see langword="null"/>.</summary>
    public static string? Problem(string what, string name)
        => name.Contains('/', StringComparison.Ordinal)
            ? $"the {what} '{name}' contains '/', which dead-letter entries and replay read as '<chain id>/<step>'; use another character ('-', '_' or '.')"
            : null;
}
