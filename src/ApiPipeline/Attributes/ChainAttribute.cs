namespace ApiPipeline;

/// <summary>
/// Marks a <c>partial</c> class as a chain: an ordered list of extractor steps, each declared as a <c>partial</c> get-only property
/// marked <see cref="StepAttribute"/>. The ApiPipeline source generator writes the chain's implementation: the step properties, the
/// mapping code that builds each step's input from the record of the step before it, and an <see cref="IChain{TIn, TOut}"/> whose input
/// is the first step's input and whose records are the last step's.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ChainAttribute : Attribute
{
    /// <summary>The chain's name in results, state and the registry. Defaults to the class name. No <c>/</c> (APP0120).</summary>
    public string? Name { get; set; }
}
