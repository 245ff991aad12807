using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ApiPipeline.Generators.Chaining.Model;
using ApiPipeline.Generators.Helpers;
using Microsoft.CodeAnalysis.Text;

namespace ApiPipeline.Generators.Chaining;

/// <summary>
/// Writes <c>ApiPipeline.Generated.ApiPipelineRegistry</c>: one <c>ComponentRegistry</c> per assembly listing every extractor (factory,
/// record metadata, input and record shapes), every chain and every user output type by name, so configuration read at run time
/// resolves without reflection. A generic output gets a nested registration class whose <c>Create&lt;T&gt;</c> override constructs it
/// for the record type the caller dispatches with.
/// </summary>
internal static class RegistryEmitter
{
    public const string HintName = "ApiPipeline.Generated.ApiPipelineRegistry.g.cs";
    private const string Runtime = "global::ApiPipeline.";

    public static SourceText Emit(RegistrySpec spec) => Write(spec).ToSourceText();

    internal static SourceWriter Write(RegistrySpec spec)
    {
        var w = new SourceWriter();
        int opened = w.BeginFile("ApiPipeline.Generated", []);
        w.Line("/// <summary>Every extractor, chain and output type of this assembly by name, for configuration-driven runs (YAML), with no reflection.</summary>");
        w.Line(SourceWriter.GeneratedCodeAttribute);
        w.Line("[global::System.Diagnostics.CodeAnalysis.ExcludeFromCodeCoverage]");
        w.Open("internal static class ApiPipelineRegistry");

        // Shapes first: static initializers run in order, and the registry below uses them. A type that is one extractor's input
        // and another's output gets its output shape, which adds the dotted paths of its nested members.
        var chosen = new Dictionary<string, ShapeSpec>();
        var order = new List<string>();
        foreach (var extractor in spec.Extractors)
        {
            foreach (var shape in new[] { extractor.Input, extractor.Output })
            {
                if (!chosen.TryGetValue(shape.FullType, out var known))
                {
                    order.Add(shape.FullType);
                    chosen[shape.FullType] = shape;
                }
                else if (shape.Members.Count > known.Members.Count)
                {
                    chosen[shape.FullType] = shape;
                }
            }
        }

        var shapes = new Dictionary<string, int>();
        foreach (var type in order)
        {
            shapes[type] = shapes.Count;
            WriteShape(w, chosen[type], shapes.Count - 1);
        }

        w.Line("/// <summary>Adds <see cref=\"Instance\"/> to <c>ComponentRegistry.Registered</c> when the assembly loads.</summary>");
        w.Line("#pragma warning disable CA2255 // A registry must be known before any code asks for it by name.");
        w.Line("[global::System.Runtime.CompilerServices.ModuleInitializer]");
        w.Line("#pragma warning restore CA2255");
        w.Line($"internal static void Register() => {Runtime}ComponentRegistry.Register(Instance);");
        w.Line();
        w.Line("/// <summary>The registry.</summary>");
        w.Line($"public static {Runtime}ComponentRegistry Instance {{ get; }} = new(");
        w.Line($"    new {Runtime}ExtractorRegistration[]");
        w.Line("    {");
        foreach (var e in spec.Extractors)
        {
            w.Line($"        new {Runtime}ExtractorRegistration<{e.Input.FullType}, {e.Output.FullType}>(");
            if (e.HandWritten is { } hand)
            {
                w.Line($"            {Conversions.Quote(hand.Name)},");
                w.Line($"            {Conversions.Quote(e.TypeName)},");
                w.Line($"            static () => {Runtime}ExtractorJson.GetTypeInfo<{e.Output.FullType}>({hand.JsonContext}.Default, {Conversions.Quote(hand.Name)}),");
                w.Line($"            {hand.Factory},");
            }
            else
            {
                w.Line($"            {Conversions.Quote(e.TypeName)},");
                w.Line($"            {e.FullTypeName}.Definition,");
                w.Line($"            static (httpClient, options) => new {e.FullTypeName}(httpClient, options),");
            }

            w.Line($"            Shape{shapes[e.Input.FullType].ToString(CultureInfo.InvariantCulture)},");
            w.Line($"            Shape{shapes[e.Output.FullType].ToString(CultureInfo.InvariantCulture)}),");
        }

        w.Line("    },");
        w.Line($"    new {Runtime}ChainRegistration[]");
        w.Line("    {");
        foreach (var c in spec.Chains)
        {
            w.Line($"        new {Runtime}ChainRegistration({Conversions.Quote(c.TypeName)}, {c.FullTypeName}.Definition, static (httpClient, options) => new {c.FullTypeName}(httpClient, options)),");
        }

        w.Line("    },");
        w.Line($"    new {Runtime}OutputRegistration[]");
        w.Line("    {");
        for (int i = 0; i < spec.Outputs.Count; i++)
        {
            var o = spec.Outputs[i];
            w.Line(o.RecordType is null
                ? $"        new OutputRegistration{i.ToString(CultureInfo.InvariantCulture)}(),"
                : $"        new {Runtime}OutputRegistration<{o.RecordType}>({Conversions.Quote(o.Name)}, {Conversions.Quote(o.TypeName)}, {Keys(o)}, static (recordTypeInfo, config) => {Construct(o.Construct, o.Constructor)}),");
        }

        w.Line("    });");
        for (int i = 0; i < spec.Outputs.Count; i++)
        {
            if (spec.Outputs[i].RecordType is null)
            {
                WriteGenericOutput(w, spec.Outputs[i], i);
            }
        }

        w.Close();
        w.CloseBlocks(opened);
        return w;
    }

    /// <summary>The registration of a generic output: <c>Create&lt;T&gt;</c> constructs it for the record type it is called with.</summary>
    private static void WriteGenericOutput(SourceWriter w, RegistryOutput output, int index)
    {
        string name = "OutputRegistration" + index.ToString(CultureInfo.InvariantCulture);
        w.Line();
        w.Line($"/// <summary>Creates <c>{output.TypeName.Replace("<", "&lt;").Replace(">", "&gt;")}</c> for any record type.</summary>");
        w.Open($"private sealed class {name} : {Runtime}OutputRegistration");
        w.Line($"public {name}()");
        w.Line($"    : base({Conversions.Quote(output.Name)}, {Conversions.Quote(output.TypeName)}, {Keys(output)})");
        w.Line("{");
        w.Line("}");
        w.Line();
        w.Line("public override global::System.Type? RecordType => null;");
        w.Line();
        w.Line($"public override {Runtime}IOutput<TRecord>? Create<TRecord>(global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<TRecord> recordTypeInfo, {Runtime}OutputConfig config)");
        w.Line($"    => {Construct(output.Construct + "<TRecord>", output.Constructor)};");
        w.Close();
    }

    private static string Keys(RegistryOutput output) => output.ConfigKeys.Count == 0
        ? "global::System.Array.Empty<string>()"
        : $"new string[] {{ {string.Join(", ", output.ConfigKeys.Select(Conversions.Quote))} }}";

    private static string Construct(string type, OutputConstructor constructor) => constructor switch
    {
        OutputConstructor.TypeInfoAndConfig => $"new {type}(recordTypeInfo, config)",
        OutputConstructor.Config => $"new {type}(config)",
        _ => $"new {type}()",
    };

    private static void WriteShape(SourceWriter w, ShapeSpec shape, int index)
    {
        w.Line($"private static readonly {Runtime}TypeShape<{shape.FullType}> Shape{index.ToString(CultureInfo.InvariantCulture)} = new(");
        w.Line($"    {Conversions.Quote(shape.DisplayName)},");
        w.Line($"    new {Runtime}ShapeMember[]");
        w.Line("    {");
        foreach (var m in shape.Members)
        {
            string write = m.Write switch { 1 => "Required", 2 => "Optional", _ => "None" };
            w.Line($"        new({Conversions.Quote(m.Name)}, typeof({m.TypeOf}), {Conversions.Quote(m.TypeDisplay)}, {Runtime}ShapeWrite.{write}, {(m.Read is null ? "false" : "true")}, {(m.AllowsNull ? "true" : "false")}),");
        }

        w.Line("    },");
        var reads = shape.Members.Select((m, i) => (m.Read, i)).Where(x => x.Read is not null).ToList();
        w.Line(reads.Count == 0
            ? "    static (value, index) => null,"
            : $"    static (value, index) => index switch {{ {string.Join(" ", reads.Select(r => $"{r.i.ToString(CultureInfo.InvariantCulture)} => (object?){r.Read},"))} _ => null }},");
        w.Line(shape.Create is null ? "    null);" : $"    static values => {shape.Create});");
        w.Line();
    }
}
