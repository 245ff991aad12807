namespace ApiPipeline;

/// <summary>Where a pipeline is in its life.</summary>
public enum PipelineStatus
{
    /// <summary>Registered, never run.</summary>
    Created,

    /// <summary>A run is in progress.</summary>
    Running,

    /// <summary>The last run extracted and committed everything.</summary>
    Succeeded,

    /// <summary>The last run stopped on an error; every page before the failure was committed.</summary>
    Failed,

    /// <summary>The last run was cancelled; every page read before that was committed.</summary>
    Cancelled,
}

/// <summary>An immutable snapshot of a pipeline; each transition makes a new one.</summary>
/// <param name="Id">The pipeline's id.</param>
/// <param name="Status">Where it is.</param>
/// <param name="Records">Records written in the current or last run.</param>
/// <param name="Pages">Pages read in the current or last run.</param>
/// <param name="StartedAt">When the current or last run started.</param>
/// <param name="FinishedAt">When the last run finished.</param>
/// <param name="LastError">The last run's error message, if it failed.</param>
public sealed record PipelineState(
    string Id,
    PipelineStatus Status,
    long Records = 0,
    long Pages = 0,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    string? LastError = null);

/// <summary>The outcome of one run.</summary>
public sealed record PipelineResult
{
    /// <summary>The pipeline's id.</summary>
    public required string PipelineId { get; init; }

    /// <summary><see cref="PipelineStatus.Succeeded"/>, <see cref="PipelineStatus.Failed"/> or <see cref="PipelineStatus.Cancelled"/>.</summary>
    public required PipelineStatus Status { get; init; }

    /// <summary>Records committed to the output.</summary>
    public long Records { get; init; }

    /// <summary>Pages read.</summary>
    public long Pages { get; init; }

    /// <summary>Response bytes read.</summary>
    public long BytesRead { get; init; }

    /// <summary>Wall-clock duration of the run.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The files committed, in order.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Why the run failed, if it did.</summary>
    public Exception? Error { get; init; }

    /// <summary>Records per second over the run.</summary>
    public double RecordsPerSecond => Duration > TimeSpan.Zero ? Records / Duration.TotalSeconds : 0;

    /// <summary>Throws <see cref="Error"/> (or <see cref="OperationCanceledException"/>) unless the run succeeded.</summary>
    public PipelineResult EnsureSuccess() => Status switch
    {
        PipelineStatus.Succeeded => this,
        PipelineStatus.Cancelled => throw new OperationCanceledException($"Pipeline '{PipelineId}' was cancelled.", Error),
        _ => throw new PipelineFailedException(this),
    };
}

/// <summary>A run did not succeed; <see cref="Result"/> says how far it got.</summary>
/// <param name="result">The run's result.</param>
public sealed class PipelineFailedException(PipelineResult result)
    : Exception($"Pipeline '{result.PipelineId}' failed after {result.Records:N0} records in {result.Pages:N0} pages: {result.Error?.Message}", result.Error)
{
    /// <summary>The run's result.</summary>
    public PipelineResult Result { get; } = result;
}
