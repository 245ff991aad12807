using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace ApiPipeline.Generators;

public sealed partial class PipelineGenerator
{
    /// <summary>Writes the source of one extractor from its spec.</summary>
    internal static partial class Emitter
    {
        private const string Runtime = "global::ApiPipeline.";
        private const string CancellationToken = "global::System.Threading.CancellationToken";
        private const string HttpClient = "global::System.Net.Http.HttpClient";

        public static SourceText Emit(ExtractorSpec spec) => Write(spec).ToSourceText();

        internal static SourceWriter Write(ExtractorSpec spec)
        {
            var w = new SourceWriter();
            int opened = w.BeginFile(spec.Namespace, spec.ContainingTypes);
            string input = spec.InputType;
            string output = spec.OutputType;
            string iface = $"{Runtime}IExtractor<{input}, {output}>";
            string generatedCode = SourceWriter.GeneratedCodeAttribute;
            string Public(string member) => spec.Hides.Contains(member) ? "public new" : "public";

            w.Open($"partial {spec.TypeDeclaration} : {iface}");

            w.Line($"/// <summary>What ApiPipeline generated for this extractor: endpoint, URL binding, record type and pagination.</summary>");
            w.Line(generatedCode);
            w.Line($"{Public("Definition")} static {Runtime}ExtractorDefinition<{input}, {output}> Definition {{ get; }} = new()");
            w.Line("{");
            w.Line($"    Name = {Quote(spec.Name)},");
            w.Line($"    BaseUrl = {Quote(spec.BaseUrl)},");
            w.Line($"    PathTemplate = {Quote(spec.PathTemplate)},");
            w.Line("    BuildRelativeUrl = static input =>");
            w.Line("    {");
            w.Line($"        var url = new {Runtime}UrlBuilder();");
            foreach (var part in spec.Url)
            {
                w.Line("        " + UrlStatement(part));
            }

            w.Line("        return url.ToString();");
            w.Line("    },");
            if (spec.RawFieldsReader is { } rawReader)
            {
                WriteRawRecordTypeInfo(w, spec, rawReader);
            }
            else if (spec.RawFieldsType is { } fields)
            {
                w.Line($"    RecordTypeInfo = static () => {Runtime}RawRecord.TypeInfo({Runtime}ExtractorJson.GetTypeInfo<{fields}>({spec.JsonContextType}.Default, {Quote(spec.Name)})),");
            }
            else
            {
                w.Line($"    RecordTypeInfo = static () => {Runtime}ExtractorJson.GetTypeInfo<{output}>({spec.JsonContextType}.Default, {Quote(spec.Name)}),");
            }

            if (spec.Pagination.Count > 0)
            {
                WriteObject(w, "    ", "Pagination", $"{Runtime}PaginationOptions", spec.Pagination);
            }

            WriteResilience(w, spec.Resilience);
            if (spec.Watermark is { } watermark)
            {
                WriteObject(w, "    ", "Watermark", $"{Runtime}WatermarkOptions<{output}>", watermark);
            }

            if (spec.TimeWindows is { } windows)
            {
                WriteObject(w, "    ", "TimeWindows", $"{Runtime}TimeWindowOptions", windows);
            }

            if (spec.ConditionalRequests)
            {
                w.Line("    ConditionalRequests = true,");
            }

            w.Line("};");
            w.Line();
            w.Line($"private readonly {Runtime}HttpExtractor<{input}, {output}> _apiPipelineEngine;");
            w.Line();
            w.Line("/// <summary>Creates the extractor with a shared <see cref=\"global::System.Net.Http.HttpClient\"/> and the settings of its attributes.</summary>");
            w.Line(generatedCode);
            w.Line($"public {spec.TypeName}()");
            w.Line("    : this(null, null)");
            w.Line("{");
            w.Line("}");
            w.Line();
            w.Line("/// <summary>Creates the extractor with the settings of its attributes, overridden by <paramref name=\"options\"/>.</summary>");
            w.Line("/// <param name=\"options\">Run-time overrides such as the base URL.</param>");
            w.Line(generatedCode);
            w.Line($"public {spec.TypeName}({Runtime}ExtractorOptions options)");
            w.Line("    : this(null, options)");
            w.Line("{");
            w.Line("}");
            w.Line();
            w.Line("/// <summary>Creates the extractor.</summary>");
            w.Line("/// <param name=\"httpClient\">The client to send requests with, or <see langword=\"null\"/> for a shared one.</param>");
            w.Line("/// <param name=\"options\">Run-time overrides such as the base URL.</param>");
            w.Line(generatedCode);
            w.Line($"public {spec.TypeName}({HttpClient}? httpClient, {Runtime}ExtractorOptions? options = null)");
            w.Line("{");
            w.Line($"    _apiPipelineEngine = new {Runtime}HttpExtractor<{input}, {output}>(Definition, httpClient, options);");
            w.Line("}");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line($"{Public("Name")} string Name => Definition.Name;");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line($"{Public("OnError")} {Runtime}ErrorMode OnError => _apiPipelineEngine.OnError;");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line($"{Public("Watermark")} {Runtime}WatermarkOptions<{output}>? Watermark => _apiPipelineEngine.Watermark;");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line($"{Public("TimeWindows")} {Runtime}TimeWindowOptions? TimeWindows => _apiPipelineEngine.TimeWindows;");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line($"{Public("RecordTypeInfo")} global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<{output}>? RecordTypeInfo => _apiPipelineEngine.RecordTypeInfo;");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line($"{Public("PartitionKey")} string PartitionKey({input} input) => _apiPipelineEngine.PartitionKey(input);");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line($"{Public("StartAt")} {Runtime}PageCheckpoint? StartAt({input} input, {Runtime}WatermarkValue? since, {Runtime}WatermarkValue? until) => _apiPipelineEngine.StartAt(input, since, until);");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line(generatedCode);
            w.Line($"{Public("ExtractPagesAsync")} global::System.Collections.Generic.IAsyncEnumerable<{Runtime}Page<{output}>> ExtractPagesAsync({input} input, {Runtime}PageCheckpoint? resumeFrom = null, {CancellationToken} cancellationToken = default)");
            w.Line("    => _apiPipelineEngine.ExtractPagesAsync(input, resumeFrom, cancellationToken);");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line(generatedCode);
            w.Line($"{Public("ExtractIntoAsync")} global::System.Threading.Tasks.Task ExtractIntoAsync({input} input, {Runtime}PageCheckpoint? resumeFrom, {Runtime}IPageSink<{output}> sink, {CancellationToken} cancellationToken = default)");
            w.Line("    => _apiPipelineEngine.ExtractIntoAsync(input, resumeFrom, sink, cancellationToken);");
            w.Line();
            w.Line("/// <summary>Streams every record, page after page.</summary>");
            w.Line("/// <param name=\"input\">The input.</param>");
            w.Line("/// <param name=\"cancellationToken\">Cancels the extraction.</param>");
            w.Line(generatedCode);
            w.Line($"{Public("ExtractAsync")} global::System.Collections.Generic.IAsyncEnumerable<{output}> ExtractAsync({input} input, {CancellationToken} cancellationToken = default)");
            w.Line($"    => (({iface})_apiPipelineEngine).ExtractAsync(input, cancellationToken);");
            w.Line();
            w.Line("/// <summary>Writes every record into <paramref name=\"writer\"/>, waiting when it is full. Does not complete the writer.</summary>");
            w.Line("/// <param name=\"input\">The input.</param>");
            w.Line("/// <param name=\"writer\">The channel to write to.</param>");
            w.Line("/// <param name=\"cancellationToken\">Cancels the extraction.</param>");
            w.Line(generatedCode);
            w.Line($"{Public("ExtractToAsync")} global::System.Threading.Tasks.Task ExtractToAsync({input} input, global::System.Threading.Channels.ChannelWriter<{output}> writer, {CancellationToken} cancellationToken = default)");
            w.Line($"    => (({iface})_apiPipelineEngine).ExtractToAsync(input, writer, cancellationToken);");
            if (spec.RawFieldsReader is { } reader)
            {
                WriteRawFieldsReader(w, reader, generatedCode);
            }

            w.Close();
            w.CloseBlocks(opened);
            return w;
        }

        /// <summary>Writes <c>Property = new Type { A = …, B = …, },</c> (or <c>new Type(),</c> without initializers) at <paramref name="indent"/>.</summary>
        private static void WriteObject(SourceWriter w, string indent, string property, string type, IReadOnlyList<PropertyInit> inits)
        {
            if (inits.Count == 0)
            {
                w.Line($"{indent}{property} = new {type}(),");
                return;
            }

            w.Line($"{indent}{property} = new {type}");
            w.Line(indent + "{");
            foreach (var init in inits)
            {
                w.Line($"{indent}    {init.Name} = {init.Value},");
            }

            w.Line(indent + "},");
        }

        private static string UrlStatement(UrlPart part)
        {
            string member = "input." + part.Member;
            if (part.Kind == UrlPartKind.Literal)
            {
                return $"url.Literal({Quote(part.Text)});";
            }

            if (part.ValueKind is ValueKind.StringSequence or ValueKind.FormattableSequence)
            {
                // A collection: a query parameter once per element, or a path segment of the elements joined with commas.
                string element = part.ValueKind == ValueKind.FormattableSequence ? $"<{part.ValueType}>" : string.Empty;
                return part.Kind == UrlPartKind.PathValue
                    ? $"url.PathValues{element}({member}, {Quote(part.Text)});"
                    : $"url.QueryEach{element}({Quote(part.Text)}, {member});";
            }

            var (typeArgument, value) = part.ValueKind switch
            {
                ValueKind.String => (string.Empty, member),
                ValueKind.Formattable => ($"<{part.ValueType}>", member),
                ValueKind.Boolean when part.Kind == UrlPartKind.Query => (string.Empty, part.IsValueType ? member : $"(bool?){member}"),
                ValueKind.Boolean => (string.Empty, part.IsValueType ? $"({member} ? \"true\" : \"false\")" : $"({member} is null ? null : {member}.Value ? \"true\" : \"false\")"),
                _ => (string.Empty, part.IsValueType ? member + ".ToString()" : member + "?.ToString()"),
            };

            return part.Kind == UrlPartKind.PathValue
                ? $"url.PathValue{typeArgument}({value}, {Quote(part.Text)});"
                : $"url.Query{typeArgument}({Quote(part.Text)}, {value});";
        }

        private static string Quote(string text) => SymbolDisplay.FormatLiteral(text, quote: true);
    }
}
