using System.Globalization;
using System.Linq;
using ApiPipeline.Generators.Helpers;
using ApiPipeline.Generators.Model;

namespace ApiPipeline.Generators;

public sealed partial class PipelineGenerator
{
    /// <content>Writes the passthrough extractor's <c>RawFieldsReader&lt;TFields&gt;</c>: one walk over a record's top-level properties.</content>
    internal static partial class Emitter
    {
        private const string ReaderClass = "ApiPipelineFieldsReader";
        private const string Json = "global::System.Text.Json.";
        private const string TokenType = "global::System.Text.Json.JsonTokenType.";

        /// <summary>The definition's <c>RecordTypeInfo</c> for a passthrough extractor with a generated reader.</summary>
        private static void WriteRawRecordTypeInfo(SourceWriter w, ExtractorSpec spec, RawFieldsSpec reader)
        {
            w.Line("    RecordTypeInfo = static () =>");
            w.Line("    {");
            w.Line($"        var fields = {Runtime}ExtractorJson.GetTypeInfo<{reader.FieldsType}>({spec.JsonContextType}.Default, {Quote(spec.Name)});");
            w.Line($"        return {Runtime}RawRecord.TypeInfo(fields, new {ReaderClass}(fields.Options));");
            w.Line("    },");
        }

        private static void WriteRawFieldsReader(SourceWriter w, RawFieldsSpec spec, string generatedCode)
        {
            var fields = spec.Fields;
            w.Line();
            w.Line($"/// <summary>Reads <see cref=\"{spec.FieldsType}\"/> from a record's JSON: only its members, everything else skipped.</summary>");
            w.Line(generatedCode);
            w.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
            w.Open($"private sealed class {ReaderClass} : {Runtime}RawFieldsReader<{spec.FieldsType}>");
            for (int i = 0; i < fields.Count; i++)
            {
                var field = fields[i];
                string name = field.JsonName is not null ? Quote(field.JsonName)
                    : spec.NamingPolicy is not null ? $"{Json}JsonNamingPolicy.{spec.NamingPolicy}.ConvertName({Quote(field.ClrName)})"
                    : Quote(field.ClrName);
                w.Line($"private static readonly string Name{i} = {name};");
                w.Line($"private static readonly byte[] Utf8Name{i} = global::System.Text.Encoding.UTF8.GetBytes(Name{i});");
            }

            foreach (int i in TypeInfoFields(spec))
            {
                w.Line($"private readonly {Json}Serialization.Metadata.JsonTypeInfo<{fields[i].Type}> _typeInfo{i};");
            }

            w.Line();
            w.Line("/// <summary>Creates the reader; members of other types are read with their metadata in <paramref name=\"options\"/>.</summary>");
            w.Line("/// <param name=\"options\">The options of the extractor's <c>Json</c> context.</param>");
            w.Line($"public {ReaderClass}({Json}JsonSerializerOptions options)");
            w.Line($"    : base(new {Runtime}RawField[]");
            w.Line("    {");
            for (int i = 0; i < fields.Count; i++)
            {
                var field = fields[i];
                w.Line($"        new(Name{i}, typeof({field.Type}), {Bool(field.IsRequired)}, {Bool(field.Assign == RawAssignKind.Constructor)}),");
            }

            w.Line("    })");
            w.Line("{");
            foreach (int i in TypeInfoFields(spec))
            {
                w.Line($"    _typeInfo{i} = ({Json}Serialization.Metadata.JsonTypeInfo<{fields[i].Type}>)options.GetTypeInfo(typeof({fields[i].Type}));");
            }

            w.Line("}");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
            w.Open($"public override {spec.FieldsType} Read(ref {Json}Utf8JsonReader reader, ref {Runtime}RawJsonScan scan)");
            for (int i = 0; i < fields.Count; i++)
            {
                var field = fields[i];
                w.Line($"{field.Type}{(field.IsReferenceType ? "?" : string.Empty)} value{i} = {field.Default};");
            }

            w.Line("ulong seen = 0;");
            w.Open("while (scan.NextProperty(ref reader))");
            for (int i = 0; i < fields.Count; i++)
            {
                w.Open($"{(i == 0 ? string.Empty : "else ")}if (reader.ValueTextEquals(Utf8Name{i}))");
                w.Line("scan.Value(ref reader);");
                w.Line($"value{i} = {ReadExpression(fields[i], i)};");
                w.Line($"seen |= {Mask(1UL << i)};");
                w.Close();
            }

            if (fields.Count > 0)
            {
                w.Open("else");
            }

            w.Line("scan.Skip(ref reader);");
            if (fields.Count > 0)
            {
                w.Close();
            }

            w.Close();
            ulong required = 0;
            for (int i = 0; i < fields.Count; i++)
            {
                required |= fields[i].IsRequired ? 1UL << i : 0;
            }

            if (required != 0)
            {
                w.Line();
                w.Open($"if ((seen & {Mask(required)}) != {Mask(required)})");
                w.Line("throw MissingRequired(seen);");
                w.Close();
            }

            w.Line();
            string arguments = string.Join(", ", spec.ConstructorArguments.Select(i => Argument(fields[i], i)));
            var initializers = Enumerable.Range(0, fields.Count).Where(i => fields[i].Assign == RawAssignKind.Initializer).ToList();
            if (initializers.Count == 0)
            {
                w.Line($"var fields = new {spec.FieldsType}({arguments});");
            }
            else
            {
                w.Line($"var fields = new {spec.FieldsType}({arguments})");
                w.Line("{");
                foreach (int i in initializers)
                {
                    w.Line($"    {fields[i].Member} = {Argument(fields[i], i)},");
                }

                w.Line("};");
            }

            for (int i = 0; i < fields.Count; i++)
            {
                if (fields[i].Assign == RawAssignKind.Assignment)
                {
                    w.Line();
                    w.Open($"if ((seen & {Mask(1UL << i)}) != 0)");
                    w.Line($"fields.{fields[i].Member} = {Argument(fields[i], i)};");
                    w.Close();
                }
            }

            w.Line();
            w.Line("return fields;");
            w.Close();
            w.Close();
        }

        private static System.Collections.Generic.IEnumerable<int> TypeInfoFields(RawFieldsSpec spec)
            => Enumerable.Range(0, spec.Fields.Count).Where(i => spec.Fields[i].Read == RawReadKind.TypeInfo);

        /// <summary>The value of the token at the reader for <paramref name="field"/>, or a throw of <c>Mismatch</c>.</summary>
        private static string ReadExpression(RawFieldSpec field, int i)
        {
            string mismatch = $"throw Mismatch({i}, reader.TokenType)";
            string orNull = field.IsNullable ? $"reader.TokenType == {TokenType}Null ? null : " : string.Empty;
            return field.Read switch
            {
                RawReadKind.String => $"reader.TokenType == {TokenType}String ? ReadString(ref reader, {i}) : reader.TokenType == {TokenType}Null ? null : {mismatch}",
                RawReadKind.Boolean => $"{orNull}reader.TokenType == {TokenType}True ? true : reader.TokenType == {TokenType}False ? false : {mismatch}",
                RawReadKind.Number => $"{orNull}reader.TokenType == {TokenType}Number && reader.TryGet{field.Getter}(out var read{i}) ? read{i} : {mismatch}",
                RawReadKind.FormattedString => $"{orNull}reader.TokenType == {TokenType}String && reader.TryGet{field.Getter}(out var read{i}) ? read{i} : {mismatch}",
                _ => $"{Json}JsonSerializer.Deserialize(ref reader, _typeInfo{i})",
            };
        }

        /// <summary>A local passed on: reference types are declared nullable (JSON null is accepted as System.Text.Json does).</summary>
        private static string Argument(RawFieldSpec field, int i) => field.IsReferenceType ? $"value{i}!" : $"value{i}";

        private static string Mask(ulong bits) => "0x" + bits.ToString("X", CultureInfo.InvariantCulture) + "UL";

        private static string Bool(bool value) => value ? "true" : "false";
    }
}
