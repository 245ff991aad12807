using System.Globalization;
using System.Linq;
using ApiPipeline.Generators.Chaining.Model;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis.Text;

namespace ApiPipeline.Generators.Chaining;

/// <summary>
/// Writes one <c>[Chain]</c> class: the static <c>Definition</c> (steps, settings, mapping lambdas), constructors that create the
/// <c>ChainExecutor</c> (and with it the step extractors), the step properties, and <c>IChain</c> members that forward to the executor.
/// </summary>
internal static class ChainEmitter
{
    private const string Runtime = "global::ApiPipeline.";
    private const string CancellationToken = "global::System.Threading.CancellationToken";
    private const string HttpClient = "global::System.Net.Http.HttpClient";
    private static readonly string GeneratedCode = SourceWriter.GeneratedCodeAttribute;

    public static SourceText Emit(ChainSpec spec) => Write(spec).ToSourceText();

    internal static SourceWriter Write(ChainSpec spec)
    {
        var w = new SourceWriter();
        int opened = w.BeginFile(spec.Namespace, spec.ContainingTypes);

        string input = spec.InputType;
        string output = spec.OutputType;
        string executor = $"{Runtime}ChainExecutor<{input}, {output}>";
        string Public(string member) => spec.Hides.Contains(member) ? "public new" : "public";
        w.Open($"partial {spec.TypeDeclaration} : {Runtime}IChain<{input}, {output}>");

        w.Line("/// <summary>What ApiPipeline generated for this chain: its steps in order, their settings and the mappings between them.</summary>");
        w.Line(GeneratedCode);
        w.Line($"{Public("Definition")} static {Runtime}ChainDefinition<{input}, {output}> Definition {{ get; }} = {Runtime}ChainDefinition");
        for (int i = 0; i < spec.Steps.Count; i++)
        {
            var step = spec.Steps[i];
            string call = i == 0 ? "Create" : step.Batch is null ? "Then" : "ThenBatched";
            w.Line($"    .{call}<{step.InputType}, {step.OutputType}>(");
            if (i == 0)
            {
                w.Line($"        {Quote(spec.Name)},");
            }

            w.Line($"        {Settings(step)},");
            w.Line($"        static (httpClient, options) => new {step.ExtractorType}({(step.IsGeneratedExtractor ? "httpClient, options" : "")}),");
            string typeInfo = step.IsGeneratedExtractor ? $"static () => {step.ExtractorType}.Definition.RecordTypeInfo()" : "null";
            if (i == 0)
            {
                w.Line($"        {typeInfo})");
            }
            else if (step.Reads.Count > 0)
            {
                w.Line($"        {typeInfo},");
                w.Line($"        [{string.Join(", ", step.Reads.Select(r => r.ToString(CultureInfo.InvariantCulture)))}],");
                w.Line($"        static (input, parent, lineage) => {step.Map})");
            }
            else
            {
                w.Line($"        {typeInfo},");
                w.Line($"        static (input, {(step.Batch is null ? "parent" : "batch")}) => {step.Map})");
            }
        }

        w.Line("    .Build();");
        w.Line();
        w.Line($"private readonly {executor} _apiPipelineChain;");
        w.Line();
        w.Line("/// <summary>Creates the chain and its step extractors with a shared <see cref=\"global::System.Net.Http.HttpClient\"/> and the settings of the attributes.</summary>");
        w.Line(GeneratedCode);
        w.Line($"public {spec.TypeName}()");
        w.Line("    : this(null, null)");
        w.Line("{");
        w.Line("}");
        w.Line();
        w.Line("/// <summary>Creates the chain and its step extractors.</summary>");
        w.Line("/// <param name=\"options\">Run-time settings: state store, extractor overrides, error modes.</param>");
        w.Line(GeneratedCode);
        w.Line($"public {spec.TypeName}({Runtime}ChainOptions options)");
        w.Line("    : this(null, options)");
        w.Line("{");
        w.Line("}");
        w.Line();
        w.Line("/// <summary>Creates the chain and its step extractors.</summary>");
        w.Line("/// <param name=\"httpClient\">The client every step sends requests with, or <see langword=\"null\"/> for a shared one.</param>");
        w.Line("/// <param name=\"options\">Run-time settings: state store, extractor overrides, error modes.</param>");
        w.Line(GeneratedCode);
        w.Line($"public {spec.TypeName}({HttpClient}? httpClient, {Runtime}ChainOptions? options = null)");
        w.Line("{");
        w.Line($"    _apiPipelineChain = new {executor}(Definition, httpClient, options);");
        w.Line("}");

        for (int i = 0; i < spec.Steps.Count; i++)
        {
            var step = spec.Steps[i];
            w.Line();
            w.Line(GeneratedCode);
            w.Line($"{step.PropertyModifiers} {step.PropertyType} {step.PropertyName} {{ get => ({step.ExtractorType})_apiPipelineChain.GetExtractor({i}); }}");
        }

        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line($"{Public("Name")} string Name => Definition.Name;");
        w.Line();
        w.Line("/// <summary>The executor that runs this chain (its options, chain id and step extractors).</summary>");
        w.Line($"{Public("Executor")} {executor} Executor => _apiPipelineChain;");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(GeneratedCode);
        w.Line($"{Public("ExecuteAsync")} global::System.Threading.Tasks.Task<{Runtime}ChainResult> ExecuteAsync({input} input, {Runtime}IOutput<{output}> output, {CancellationToken} cancellationToken = default)");
        w.Line("    => _apiPipelineChain.ExecuteAsync(input, output, cancellationToken);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(GeneratedCode);
        w.Line($"{Public("ExecuteParallelChainsAsync")} global::System.Threading.Tasks.Task<global::System.Collections.Generic.IReadOnlyList<{Runtime}ChainResult>> ExecuteParallelChainsAsync(global::System.Collections.Generic.IEnumerable<{input}> inputs, int maxParallelChains, global::System.Func<{input}, int, {Runtime}IOutput<{output}>> outputFor, global::System.Func<{input}, int, string>? chainKey = null, {CancellationToken} cancellationToken = default)");
        w.Line("    => _apiPipelineChain.ExecuteParallelChainsAsync(inputs, maxParallelChains, outputFor, chainKey, cancellationToken);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(GeneratedCode);
        w.Line($"{Public("ResetStateAsync")} global::System.Threading.Tasks.Task ResetStateAsync({CancellationToken} cancellationToken = default)");
        w.Line("    => _apiPipelineChain.ResetStateAsync(cancellationToken);");
        w.Close();
        w.CloseBlocks(opened);
        return w;
    }

    private static string Settings(StepSpec step)
    {
        string mode = step.Batch is null ? step.Mode : "Parallel";
        string text = $"new {Runtime}ChainStepSettings {{ Name = {Quote(step.Name)}, Mode = {Runtime}ProcessingMode.{mode}, MaxConcurrency = {step.MaxConcurrency.ToString(CultureInfo.InvariantCulture)}";
        if (step.OnError is not null)
        {
            text += $", OnError = {Runtime}ErrorMode.{step.OnError}";
        }

        if (step.IsGeneratedExtractor)
        {
            text += $", ExtractorResilience = {step.ExtractorType}.Definition.Resilience";
        }

        if (step.Batch is { } batch)
        {
            text += string.Format(
                CultureInfo.InvariantCulture,
                ", Batch = new {0}BatchSettings {{ Size = {1}, MaxConcurrentBatches = {2}, RetryFailedBatches = {3}, MaxBatchRetries = {4} }}",
                Runtime,
                batch.Size,
                batch.MaxConcurrentBatches,
                batch.RetryFailedBatches ? "true" : "false",
                batch.MaxBatchRetries);
        }

        return text + " }";
    }

    private static string Quote(string text) => Conversions.Quote(text);
}
