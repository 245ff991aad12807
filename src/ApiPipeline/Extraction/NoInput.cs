namespace ApiPipeline;

/// <summary>The input of an extractor whose path has no placeholders: <c>IExtractor&lt;NoInput, T&gt;</c>, run with <see cref="Value"/>.</summary>
public readonly record struct NoInput
{
    /// <summary>The only value.</summary>
    public static NoInput Value => default;
}
