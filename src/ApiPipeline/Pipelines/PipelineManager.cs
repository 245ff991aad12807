using System.Collections.Concurrent;

namespace ApiPipeline;

/// <summary>Registers pipelines by id, runs them and reports their state.</summary>
public sealed class PipelineManager
{
    private readonly ConcurrentDictionary<string, IPipeline> _pipelines = new(StringComparer.Ordinal);

    /// <summary>Creates and registers a pipeline from an extractor and an output.</summary>
    /// <typeparam name="TIn">The extractor's input type.</typeparam>
    /// <typeparam name="TOut">The record type.</typeparam>
    /// <param name="id">A unique id, without <c>/</c> (dead-letter entries read <c>a/b</c> as step <c>b</c> of chain <c>a</c>).</param>
    /// <param name="extractor">Where records come from.</param>
    /// <param name="output">Where records go.</param>
    /// <param name="options">Settings.</param>
    public Pipeline<TIn, TOut> RegisterPipeline<TIn, TOut>(string id, IExtractor<TIn, TOut> extractor, IOutput<TOut> output, PipelineOptions? options = null)
    {
        var pipeline = new Pipeline<TIn, TOut>(id, extractor, output, options);
        RegisterPipeline(pipeline);
        return pipeline;
    }

    /// <summary>Registers a pipeline.</summary>
    /// <param name="pipeline">The pipeline; its id must be unique.</param>
    public void RegisterPipeline(IPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        if (!_pipelines.TryAdd(pipeline.Id, pipeline))
        {
            throw new InvalidOperationException($"A pipeline with id '{pipeline.Id}' is already registered.");
        }
    }

    /// <summary>The registered pipeline with this id.</summary>
    /// <param name="id">The id.</param>
    public IPipeline GetPipeline(string id)
        => _pipelines.TryGetValue(id, out var pipeline)
            ? pipeline
            : throw new KeyNotFoundException($"No pipeline '{id}' is registered; registered: {string.Join(", ", _pipelines.Keys.Order())}.");

    /// <summary>Runs a pipeline for one input.</summary>
    /// <typeparam name="TIn">The pipeline's input type.</typeparam>
    /// <param name="id">The pipeline's id.</param>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public Task<PipelineResult> ExecutePipelineAsync<TIn>(string id, TIn input, CancellationToken cancellationToken = default)
        => Typed<TIn>(id).ExecuteAsync(input, cancellationToken);

    /// <summary>Runs a pipeline over a stream of inputs, as one run into its output.</summary>
    /// <typeparam name="TIn">The pipeline's input type.</typeparam>
    /// <param name="id">The pipeline's id.</param>
    /// <param name="inputs">The inputs, taken one after the other as they arrive.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public Task<PipelineResult> ExecuteStreamAsync<TIn>(string id, IAsyncEnumerable<TIn> inputs, CancellationToken cancellationToken = default)
        => Typed<TIn>(id).ExecuteManyAsync(inputs, cancellationToken);

    /// <summary>The state of every registered pipeline, ordered by id.</summary>
    public IReadOnlyList<PipelineState> GetStatuses() => [.. _pipelines.Values.Select(p => p.GetStatus()).OrderBy(s => s.Id, StringComparer.Ordinal)];

    private IPipeline<TIn> Typed<TIn>(string id) => GetPipeline(id) as IPipeline<TIn>
        ?? throw new InvalidOperationException($"Pipeline '{id}' does not take inputs of type {typeof(TIn).Name}.");
}
