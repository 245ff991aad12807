using ApiPipeline.Generators.Chaining;
using Microsoft.CodeAnalysis;

namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>
/// User output types (<c>[Output]</c>) in the generated registry: the registry snapshot (a generic output, an output of one record type,
/// each constructor form, a constructor the registry cannot call passed over for the next), and APP0115–APP0117 at the text they point
/// at, with nothing of the bad class in the registry.
/// </summary>
public sealed class OutputRegistryTests
{
    internal const string Outputs = TestSources.Usings + """
        using System.Text.Json.Serialization.Metadata;

        namespace Demo;

        public abstract class OutputBase<T> : IOutput<T>
        {
            public OutputBatchOptions Batching => OutputBatchOptions.Default;
            public long PendingRecords => 0;
            public long PendingBytes => 0;
            public System.Threading.Tasks.ValueTask WriteAsync(ReadOnlyMemory<T> records, System.Threading.CancellationToken cancellationToken = default) => default;
            public System.Threading.Tasks.ValueTask<OutputCommit> CommitAsync(System.Threading.CancellationToken cancellationToken = default) => new(OutputCommit.Empty);
            public System.Threading.Tasks.ValueTask DisposeAsync() => default;
        }

        [Output("console", "prefix", "width")]
        public sealed class ConsoleOutput<T> : OutputBase<T>
        {
            public ConsoleOutput(JsonTypeInfo<T> recordTypeInfo, OutputConfig config) { }
            public ConsoleOutput(OutputConfig config) { }
        }

        [Output("issue-sink")]
        internal sealed class IssueSink : OutputBase<Issue>
        {
            public IssueSink(OutputConfig config) { }
        }

        public static partial class Holder
        {
            [Output("nothing")]
            internal sealed class Discard<TRecord> : OutputBase<TRecord>;
        }
        """;

    [Fact]
    public void Registry_lists_generic_and_single_type_outputs()
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues, Outputs);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        var registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName);
        Snapshot.Verify("Registry.Outputs", registry.SourceText.ToString());
    }

    [Fact]
    public void An_output_alone_makes_a_registry()
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, Outputs.Replace("[Output(\"issue-sink\")]", "", StringComparison.Ordinal).Replace("[Output(\"nothing\")]", "", StringComparison.Ordinal));

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains("new OutputRegistration0(),", registry, StringComparison.Ordinal);
        Assert.Contains("=> new global::Demo.ConsoleOutput<TRecord>(recordTypeInfo, config);", registry, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public IssueSink(ref OutputConfig config) { }")]
    [InlineData("public IssueSink(out OutputConfig config) { config = null!; }")]
    [InlineData("public IssueSink(ref readonly OutputConfig config) { }")]
    [InlineData("[Obsolete(\"use the other\", true)] public IssueSink(OutputConfig config) { }")]
    public void The_registry_passes_over_a_preferred_constructor_it_cannot_call_for_one_it_can(string preferred)
        => AssertListedWith(
            Outputs.Replace("public IssueSink(OutputConfig config) { }", preferred + "\n    public IssueSink() { }", StringComparison.Ordinal),
            "static (recordTypeInfo, config) => new global::Demo.IssueSink()");

    [Fact]
    public void The_registry_calls_a_constructor_that_takes_its_argument_as_in()
        => AssertListedWith(
            Outputs.Replace("public IssueSink(OutputConfig config) { }", "public IssueSink(in OutputConfig config) { }", StringComparison.Ordinal),
            "static (recordTypeInfo, config) => new global::Demo.IssueSink(config)");

    [Fact]
    public void The_registry_calls_a_constructor_of_a_generic_output_that_takes_its_arguments_as_in()
        => AssertListedWith(
            Outputs.Replace("public ConsoleOutput(JsonTypeInfo<T> recordTypeInfo, OutputConfig config) { }", "public ConsoleOutput(in JsonTypeInfo<T> recordTypeInfo, in OutputConfig config) { }", StringComparison.Ordinal),
            "=> new global::Demo.ConsoleOutput<TRecord>(recordTypeInfo, config);");

    [Fact]
    public void The_registry_passes_over_a_preferred_constructor_of_a_generic_output_it_cannot_call()
        => AssertListedWith(
            Outputs.Replace("public ConsoleOutput(JsonTypeInfo<T> recordTypeInfo, OutputConfig config) { }", "public ConsoleOutput(JsonTypeInfo<T> recordTypeInfo, ref OutputConfig config) { }", StringComparison.Ordinal),
            "=> new global::Demo.ConsoleOutput<TRecord>(config);");

    [Fact]
    public void The_registry_passes_over_a_preferred_constructor_that_does_not_set_the_required_members()
        => AssertListedWith(
            Outputs.Replace(
                "public IssueSink(OutputConfig config) { }",
                "public required string Folder { get; init; }\n    public IssueSink(OutputConfig config) { }\n    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers] public IssueSink() { Folder = \"out\"; }",
                StringComparison.Ordinal),
            "static (recordTypeInfo, config) => new global::Demo.IssueSink()");

    [Fact]
    public void APP0115_two_outputs_with_one_name()
    {
        string source = Outputs.Replace("[Output(\"nothing\")]", "[Output(\"Console\")]", StringComparison.Ordinal);

        var diagnostic = AssertOnly(source, "APP0115", "\"Console\"");
        Assert.Contains("'Console' of 'Demo.Holder.Discard<TRecord>' is already the name of 'Demo.ConsoleOutput<T>'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void APP0115_a_built_in_name()
    {
        string source = Outputs.Replace("[Output(\"issue-sink\")]", "[Output(\"JSONL\")]", StringComparison.Ordinal);

        var diagnostic = AssertOnly(source, "APP0115", "\"JSONL\"");
        Assert.Contains("is the built-in output type 'jsonl'", diagnostic.GetMessage(), StringComparison.Ordinal);
        AssertNotListed(source, "Demo.IssueSink");
    }

    [Theory]
    [InlineData("[Output(\"plain\")] public sealed class Plain { }", "Plain", "does not implement IOutput<T>")]
    [InlineData("[Output(\"twice\")] public sealed class Twice : OutputBase<Issue>, IOutput<Repo> { public OutputBatchOptions Batching => OutputBatchOptions.Default; long IOutput<Repo>.PendingRecords => 0; long IOutput<Repo>.PendingBytes => 0; System.Threading.Tasks.ValueTask IOutput<Repo>.WriteAsync(ReadOnlyMemory<Repo> r, System.Threading.CancellationToken c) => default; System.Threading.Tasks.ValueTask<OutputCommit> IOutput<Repo>.CommitAsync(System.Threading.CancellationToken c) => default; }", "Twice", "implements IOutput<T> for more than one record type")]
    [InlineData("[Output(\"classy\")] public sealed class Classy<T> : OutputBase<T> where T : class { }", "Classy", "constrains its type parameter 'T'")]
    [InlineData("[Output(\"pair\")] public sealed class Pair<T, U> : OutputBase<T> { }", "Pair", "has more than one type parameter")]
    [InlineData("[Output(\"fixed\")] public sealed class Fixed<T> : OutputBase<Issue> { }", "Fixed", "does not implement IOutput<T>")]
    [InlineData("[Output(\"base\")] public abstract class Base<T> : OutputBase<T> { }", "Base", "is not a concrete class")]
    [InlineData("[Output(\"local\")] file sealed class Local<T> : OutputBase<T> { }", "Local", "is file-local (or nested in a file-local type), so the generated registry, in another file, cannot name it")]
    [InlineData("file static class Outer { [Output(\"inner\")] internal sealed class Inner : OutputBase<Issue> { } }", "Inner", "is file-local (or nested in a file-local type)")]
    [InlineData("[Output(\"old\")] [Obsolete(\"gone\", true)] public sealed class Old<T> : OutputBase<T> { }", "Old", "is [Obsolete] as an error (or nested in such a type), so the generated registry cannot name it")]
    [InlineData("[Obsolete(\"gone\", true)] public static class Legacy { [Output(\"older\")] public sealed class Older : OutputBase<Issue> { } }", "Older", "is [Obsolete] as an error (or nested in such a type)")]
    public void APP0116_not_an_output_the_registry_can_create(string declaration, string name, string reason)
    {
        string source = TestSources.Usings + "namespace Demo;\n\n" + declaration + "\n\n" + Outputs[Outputs.IndexOf("public abstract class OutputBase", StringComparison.Ordinal)..];

        var diagnostic = AssertOnly(source, "APP0116", name);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        AssertNotListed(source, "Demo." + name);
    }

    [Fact]
    public void APP0117_no_constructor_the_registry_can_call()
    {
        string source = Outputs.Replace("public IssueSink(OutputConfig config) { }", "public IssueSink(string path) { }", StringComparison.Ordinal);

        var diagnostic = AssertOnly(source, "APP0117", "IssueSink");
        Assert.Contains("(JsonTypeInfo<Issue> recordTypeInfo, OutputConfig config), (OutputConfig config) or ()", diagnostic.GetMessage(), StringComparison.Ordinal);
        AssertNotListed(source, "Demo.IssueSink");
    }

    [Theory]
    [InlineData("public IssueSink(ref OutputConfig config) { }", "IssueSink(ref OutputConfig config) takes 'config' by ref, but the registry passes its arguments by value (take it by value or as in)")]
    [InlineData("public IssueSink(out OutputConfig config) { config = null!; }", "IssueSink(out OutputConfig config) takes 'config' by out, but the registry passes its arguments by value (take it by value or as in)")]
    [InlineData("public IssueSink(ref readonly OutputConfig config) { }", "IssueSink(ref readonly OutputConfig config) takes 'config' by ref readonly, but the registry passes its arguments by value (take it by value or as in)")]
    [InlineData("[Obsolete(\"use another\", true)] public IssueSink(OutputConfig config) { }\n    [Obsolete(\"use another\", true)] public IssueSink() { }", "IssueSink(OutputConfig config) is [Obsolete] as an error; IssueSink() is [Obsolete] as an error")]
    [InlineData("public required string Folder { get; init; }\n    public IssueSink(OutputConfig config) { }", "IssueSink(OutputConfig config) does not set the required member 'Folder' (mark it [SetsRequiredMembers])")]
    public void APP0117_a_constructor_the_registry_cannot_call(string constructors, string reason)
    {
        string source = Outputs.Replace("public IssueSink(OutputConfig config) { }", constructors, StringComparison.Ordinal);

        var diagnostic = AssertOnly(source, "APP0117", "IssueSink");
        Assert.Contains("(JsonTypeInfo<Issue> recordTypeInfo, OutputConfig config), (OutputConfig config) or (); it has none the registry can call: " + reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        AssertNotListed(source, "Demo.IssueSink");
    }

    [Fact]
    public void APP0117_a_required_member_of_a_base_class()
    {
        string source = Outputs.Replace("public long PendingBytes => 0;", "public long PendingBytes => 0;\n    public required int Limit { get; init; }", StringComparison.Ordinal)
            .Replace("[Output(\"console\", \"prefix\", \"width\")]", "", StringComparison.Ordinal)
            .Replace("[Output(\"nothing\")]", "", StringComparison.Ordinal);

        var diagnostic = AssertOnly(source, "APP0117", "IssueSink");
        Assert.Contains("IssueSink(OutputConfig config) does not set the required member 'Limit'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"directory\"", "is a setting every output has already")]
    [InlineData("\" \"", "is empty or starts or ends with white space")]
    public void APP0118_a_config_key_a_file_could_not_use(string key, string reason)
    {
        string source = Outputs.Replace("[Output(\"issue-sink\")]", $"[Output(\"issue-sink\", {key})]", StringComparison.Ordinal);

        var diagnostic = AssertOnly(source, "APP0118", key);
        Assert.Contains(reason, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("[Output(\"console\", \"color\", \"width\")]", diagnostic.GetMessage(), StringComparison.Ordinal);
        AssertNotListed(source, "Demo.IssueSink");
    }

    [Fact]
    public void APP0118_a_config_key_declared_twice_is_reported_on_the_second()
    {
        string source = Outputs.Replace("[Output(\"issue-sink\")]", "[Output(\"issue-sink\", \"limit\", \"limit\")]", StringComparison.Ordinal);

        var diagnostic = AssertOnly(source, "APP0118", "\"limit\"", occurrence: 2);
        Assert.Contains("is declared twice", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    private static void AssertListedWith(string source, string construct)
    {
        Assert.NotEqual(Outputs, source);

        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, ChainSources.OrgIssues, source);

        Assert.Empty(result.GeneratorDiagnostics);
        result.AssertCompiles();
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.Contains(construct, registry, StringComparison.Ordinal);
    }

    private static void AssertNotListed(string source, string typeName)
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, source);
        string registry = Assert.Single(result.AllSources, s => s.HintName == RegistryEmitter.HintName).SourceText.ToString();
        Assert.DoesNotContain($"\"{typeName}", registry, StringComparison.Ordinal);
    }

    private static Diagnostic AssertOnly(string source, string id, string spanText, int occurrence = 1)
    {
        var result = GeneratorHarness.Run(TestSources.Common, ChainSources.Model, source);

        Assert.Null(result.RunResult.Exception);
        var diagnostic = Assert.Single(result.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Source2.cs", diagnostic.Location.GetLineSpan().Path);
        int start = diagnostic.Location.SourceSpan.Start;
        Assert.Equal(spanText, source.Substring(start, diagnostic.Location.SourceSpan.Length));
        int expected = -1;
        for (int i = 0; i < occurrence; i++)
        {
            expected = source.IndexOf(spanText, expected + 1, StringComparison.Ordinal);
        }

        Assert.Equal(expected, start);
        Assert.EndsWith($"/docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri, StringComparison.Ordinal);
        return diagnostic;
    }
}
