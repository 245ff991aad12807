namespace ApiPipeline;

/// <summary>
/// Makes a chain step send the keys of several records of the step before it in one request (API-level batching, the design's
/// <c>BatchConfig</c>), e.g. <c>?ids=1,2,3</c>. The step's <see cref="MapAttribute"/>s from the previous step then collect one value per
/// record into a collection member of the input (<c>long[]</c>, <c>IReadOnlyList&lt;long&gt;</c>, …) or a comma-separated
/// <see cref="string"/>. Batches run concurrently, at most <see cref="MaxConcurrentBatches"/> at a time; a batch that still fails after the
/// extractor's retries is retried from its failed page.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class BatchedAttribute : Attribute
{
    /// <summary>Records of the previous step per request. Default 100.</summary>
    public int Size { get; set; } = BatchSettings.DefaultSize;

    /// <summary>The most batches extracted at once. Default 10.</summary>
    public int MaxConcurrentBatches { get; set; } = BatchSettings.DefaultMaxConcurrentBatches;

    /// <summary>Whether a failed batch is tried again (from its failed page) before the step's error mode applies. Default <see langword="true"/>.</summary>
    public bool RetryFailedBatches { get; set; } = true;

    /// <summary>How many times a failed batch is tried again. Default 2.</summary>
    public int MaxBatchRetries { get; set; } = BatchSettings.DefaultMaxBatchRetries;
}
