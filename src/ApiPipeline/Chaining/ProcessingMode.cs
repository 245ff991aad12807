namespace ApiPipeline;

/// <summary>How a chain step processes the records of the step before it (the design's processing modes).</summary>
public enum ProcessingMode
{
    /// <summary>
    /// One input, one call: the first step gets the chain input; a later step expects exactly one record from the step before it
    /// (a second record fails the chain).
    /// </summary>
    Single = 0,

    /// <summary>Each record of the step before, one after the other, in order: the step's records keep that order.</summary>
    Sequential = 1,

    /// <summary>
    /// Records of the step before concurrently, at most <see cref="ChainStepSettings.MaxConcurrency"/> at a time, all under the
    /// extractor's rate limiter. Records of one input stay in page order; records of different inputs interleave.
    /// </summary>
    Parallel = 2,
}

/// <summary>Where a <see cref="MapAttribute"/> reads its source member.</summary>
public enum MapFrom
{
    /// <summary>The record of the step before.</summary>
    PreviousStep = 0,

    /// <summary>The chain input (the first step's input).</summary>
    ChainInput = 1,
}
