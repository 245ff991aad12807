namespace ApiPipeline.LoadHarness;

/// <summary>
/// The generated side: the extractors of <c>Model.cs</c> (written by the ApiPipeline generator) in a <see cref="Pipeline{TIn, TOut}"/>
/// into a <see cref="JsonlOutput{T}"/>, exactly as a user would write it. By default the output commits once, at the end of the run
/// (one fsync, like the baseline); <c>--commit-every N</c> commits every N records instead.
/// </summary>
internal static class GeneratedClient
{
    public static async Task<PipelineResult> RunAsync(string scenario, string baseUrl, int pageSize, long datasetRecords, string outputDirectory, long commitEvery, int channelCapacity, CancellationToken cancellationToken)
    {
        var extractorOptions = new ExtractorOptions { BaseUrl = baseUrl, PageSize = pageSize };
        var batching = new OutputBatchOptions
        {
            BatchSize = commitEvery > 0 ? (int)Math.Min(int.MaxValue, commitEvery) : int.MaxValue,
            MaxBatchBytes = long.MaxValue,
            FlushInterval = TimeSpan.FromDays(1),
        };

        var pipelineOptions = channelCapacity > 0 ? new PipelineOptions { ChannelCapacity = channelCapacity } : null;
        await using var output = new JsonlOutput<Issue>(HarnessJson.Default.Issue, new JsonlOutputOptions<Issue>
        {
            Directory = Path.GetDirectoryName(Path.GetFullPath(outputDirectory))!,
            Name = Path.GetFileName(Path.GetFullPath(outputDirectory)),
            Batching = batching,
        });

        return scenario switch
        {
            "cursor" => await new Pipeline<NoInput, Issue>("cursor", new CursorIssues(extractorOptions), output, pipelineOptions).ExecuteAsync(NoInput.Value, cancellationToken).ConfigureAwait(false),
            "offset" => await new Pipeline<NoInput, Issue>("offset", new OffsetIssues(extractorOptions), output, pipelineOptions).ExecuteAsync(NoInput.Value, cancellationToken).ConfigureAwait(false),
            "link" => await new Pipeline<NoInput, Issue>("link", new LinkIssues(extractorOptions), output, pipelineOptions).ExecuteAsync(NoInput.Value, cancellationToken).ConfigureAwait(false),
            "since" => await new Pipeline<SinceQuery, Issue>("since", new SinceIssues(extractorOptions), output, pipelineOptions)
                .ExecuteAsync(new SinceQuery(BaselineClient.SinceValue(datasetRecords)), cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentException($"unknown scenario '{scenario}'"),
        };
    }
}
