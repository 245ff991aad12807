namespace ApiPipeline;

/// <summary>
/// Sends a member of an extractor's input type as a query parameter. A <see langword="null"/> value is not sent.
/// Members whose name matches a <c>{placeholder}</c> of the path are bound to the path instead and need no attribute.
/// </summary>
/// <param name="name">The query parameter's name; defaults to the member name in snake_case (<c>PerPage</c> → <c>per_page</c>).</param>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class QueryAttribute(string? name = null) : Attribute
{
    /// <summary>The query parameter's name, or <see langword="null"/> for the member name in snake_case.</summary>
    public string? Name { get; } = name;
}
