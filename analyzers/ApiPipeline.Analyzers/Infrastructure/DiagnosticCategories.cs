namespace ApiPipeline.Analyzers;

/// <summary>One category per area; each area owns an ID range (see docs/diagnostics/README.md).</summary>
internal static class DiagnosticCategories
{
    /// <summary>APP10xx part 1: the extractor as a whole (names, registry).</summary>
    public const string Extractor = "ApiPipeline.Extractor";

    /// <summary>APP10xx part 2: base URL and path template.</summary>
    public const string Endpoint = "ApiPipeline.Endpoint";

    /// <summary>APP11xx: <c>[Paginated]</c> settings and response paths.</summary>
    public const string Pagination = "ApiPipeline.Pagination";

    /// <summary>APP12xx: the System.Text.Json context.</summary>
    public const string Json = "ApiPipeline.Json";

    /// <summary>APP13xx: how input members bind to the path and query.</summary>
    public const string Binding = "ApiPipeline.Binding";

    /// <summary>APP14xx: secrets in source.</summary>
    public const string Security = "ApiPipeline.Security";

    /// <summary>APP15xx: <c>[Retry]</c>, <c>[Timeouts]</c>, <c>[CircuitBreaker]</c>, <c>[RateLimited]</c> and the durations of every attribute.</summary>
    public const string Resilience = "ApiPipeline.Resilience";

    /// <summary>APP16xx: <c>[Watermark]</c> and <c>[Key]</c>.</summary>
    public const string State = "ApiPipeline.State";

    /// <summary>APP17xx: <c>[Chain]</c> classes (the generator's APP01xx share the category).</summary>
    public const string Chain = "ApiPipeline.Chain";

    /// <summary>APP18xx: outputs and their options (<c>JsonlOutputOptions&lt;T&gt;</c>).</summary>
    public const string Output = "ApiPipeline.Output";
}

/// <summary>Where each diagnostic's documentation lives.</summary>
internal static class HelpLinks
{
    private const string Base = "https://github.com/apipipeline/apipipeline/blob/main/docs/diagnostics/";

    /// <summary>The docs page of <paramref name="id"/>: <c>docs/diagnostics/{id}.md</c>.</summary>
    public static string For(string id) => Base + id + ".md";
}
