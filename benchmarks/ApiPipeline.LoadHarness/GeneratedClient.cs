namespace ApiPipeline.LoadHarness;

/// <summary>
/// The generated side: the extractors of <c>Model.cs</c> (written by the ApiPipeline generator) in a <see cref="Pipeline{TIn, TOut}"/>
/// into a <see cref="JsonlOutput{T}"/>, exactly as a user would write it. By default the output commits once, at the end of the run
/// (one fsync, like the baseline); <c>--commit-every N</c> commits every N records instead. <c>--impl passthrough</c> runs the
/// <c>Raw*Issues</c> extractors (<see cref="RawRecord{TFields}"/> of <see cref="IssueKeys"/>) into a passthrough <see cref="JsonlOutput{T}"/>.
/// When the server limits or fails requests (or with <c>--resilience</c>), the extractors get the baseline's policy through
/// <see cref="ExtractorOptions.Resilience"/> (what <c>[Retry]</c> and <c>[RateLimited(R)]</c> declare at compile time): up to 7 retries of
/// 429/5xx, exponential backoff from 10 ms capped at 1 s, <c>Retry-After</c> honoured, and a client-side limit of R requests/s.
/// </summary>
internal static class GeneratedClient
{
    public static async Task<PipelineResult> RunAsync(string scenario, string baseUrl, int pageSize, long datasetRecords, string outputDirectory, long commitEvery, CancellationToken cancellationToken, bool passthrough = false, bool resilience = false, double rateLimit = 0, int maxConcurrent = 0)
    {
        var extractorOptions = new ExtractorOptions
        {
            BaseUrl = baseUrl,
            PageSize = pageSize,
            MaxConcurrent = maxConcurrent > 1 ? maxConcurrent : null,
            Resilience = resilience || rateLimit > 0
                ? new ResilienceOptions
                {
                    Retry = new RetryOptions { MaxRetries = 7, Backoff = Backoff.Exponential, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromSeconds(1), Jitter = false },
                    RateLimit = rateLimit > 0 ? new RateLimitOptions { RequestsPerSecond = rateLimit } : null,
                }
                : null,
        };
        var batching = new OutputBatchOptions
        {
            BatchSize = commitEvery > 0 ? (int)Math.Min(int.MaxValue, commitEvery) : int.MaxValue,
            MaxBatchBytes = long.MaxValue,
            FlushInterval = TimeSpan.FromDays(1),
        };

        await using var output = new JsonlOutput<Issue>(HarnessJson.Default.Issue, new JsonlOutputOptions<Issue>
        {
            Directory = Path.GetDirectoryName(Path.GetFullPath(outputDirectory))!,
            Name = Path.GetFileName(Path.GetFullPath(outputDirectory)),
            Batching = batching,
        });

        if (passthrough)
        {
            await using var raw = new JsonlOutput<RawRecord<IssueKeys>>(RawRecord.TypeInfo(HarnessJson.Default.IssueKeys), new JsonlOutputOptions<RawRecord<IssueKeys>>
            {
                Directory = Path.GetDirectoryName(Path.GetFullPath(outputDirectory))!,
                Name = Path.GetFileName(Path.GetFullPath(outputDirectory)),
                Batching = batching,
            });
            return scenario switch
            {
                "cursor" => await new Pipeline<NoInput, RawRecord<IssueKeys>>("cursor", new RawCursorIssues(extractorOptions), raw).ExecuteAsync(NoInput.Value, cancellationToken).ConfigureAwait(false),
                "offset" => await new Pipeline<NoInput, RawRecord<IssueKeys>>("offset", new RawOffsetIssues(extractorOptions), raw).ExecuteAsync(NoInput.Value, cancellationToken).ConfigureAwait(false),
                "link" => await new Pipeline<NoInput, RawRecord<IssueKeys>>("link", new RawLinkIssues(extractorOptions), raw).ExecuteAsync(NoInput.Value, cancellationToken).ConfigureAwait(false),
                "since" => await new Pipeline<SinceQuery, RawRecord<IssueKeys>>("since", new RawSinceIssues(extractorOptions), raw)
                    .ExecuteAsync(new SinceQuery(BaselineClient.SinceValue(datasetRecords)), cancellationToken).ConfigureAwait(false),
                _ => throw new ArgumentException($"unknown scenario '{scenario}'"),
            };
        }

        return scenario switch
        {
            "cursor" => await new Pipeline<NoInput, Issue>("cursor", new CursorIssues(extractorOptions), output).ExecuteAsync(NoInput.Value, cancellationToken).ConfigureAwait(false),
            "offset" => await new Pipeline<NoInput, Issue>("offset", new OffsetIssues(extractorOptions), output).ExecuteAsync(NoInput.Value, cancellationToken).ConfigureAwait(false),
            "link" => await new Pipeline<NoInput, Issue>("link", new LinkIssues(extractorOptions), output).ExecuteAsync(NoInput.Value, cancellationToken).ConfigureAwait(false),
            "since" => await new Pipeline<SinceQuery, Issue>("since", new SinceIssues(extractorOptions), output)
                .ExecuteAsync(new SinceQuery(BaselineClient.SinceValue(datasetRecords)), cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentException($"unknown scenario '{scenario}'"),
        };
    }
}
