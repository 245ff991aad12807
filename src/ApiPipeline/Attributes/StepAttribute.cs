namespace ApiPipeline;

/// <summary>
/// Declares a step of a <see cref="ChainAttribute">chain</see> on a <c>partial</c> get-only property whose type is an extractor
/// (<see cref="IExtractor{TIn, TOut}"/>). Steps run in the order of <see cref="Order"/>; the input of every step after the first is built
/// from the records of the step before it (and the chain input) by the step's <see cref="MapAttribute"/>s.
/// </summary>
/// <param name="order">The step's position; 1 for the first step. Positions must be distinct.</param>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class StepAttribute(int order) : Attribute
{
    /// <summary>The step's position; 1 for the first step.</summary>
    public int Order { get; } = order;

    /// <summary>
    /// How the step processes the records of the step before it. Default: <see cref="ProcessingMode.Single"/> for the first step (it gets
    /// the chain input), <see cref="ProcessingMode.Sequential"/> for the others.
    /// </summary>
    public ProcessingMode Mode { get; set; }

    /// <summary>The most inputs a <see cref="ProcessingMode.Parallel"/> step extracts at once. Default <see cref="ChainStepSettings.DefaultMaxConcurrency"/>.</summary>
    public int MaxConcurrency { get; set; } = ChainStepSettings.DefaultMaxConcurrency;

    /// <summary>
    /// What the chain does when an input of this step still fails after retries. Default: the extractor's own
    /// <see cref="IExtractor{TIn, TOut}.OnError"/>. See <see cref="ErrorMode"/>.
    /// </summary>
    public ErrorMode OnError { get; set; }

    /// <summary>The step's name in results, state and <see cref="ChainOptions.Steps"/>. Defaults to the property name. No <c>/</c> (APP0120).</summary>
    public string? Name { get; set; }
}
