using System.Text.Json;
using ApiPipeline.Generated;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// User output types (<see cref="OutputAttribute"/>) named in YAML <c>output.type</c>, resolved against the generated registry: a chain
/// and a pipeline write through them end to end on the local server, a generic output is created for each record type, and a wrong or
/// unknown type is an error at its line and column.
/// </summary>
public sealed class YamlOutputTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    [Fact]
    public void The_registry_lists_the_user_outputs_after_the_built_in_ones()
    {
        var registry = ApiPipelineRegistry.Instance;

        Assert.Equal(["jsonl", "json", "child-counter", "text-lines"], registry.Outputs);
        var counter = registry.GetOutput("Child-Counter")!;
        Assert.Equal(("ApiPipeline.Tests.Chaining.ChildCounter", typeof(Child)), (counter.TypeName, counter.RecordType));
        Assert.False(counter.Accepts(typeof(Parent)));
        var lines = registry.GetOutput("text-lines")!;
        Assert.Equal("ApiPipeline.Tests.Chaining.TextLinesOutput<T>", lines.TypeName);
        Assert.Equal(["prefix"], lines.ConfigKeys);
        Assert.Empty(counter.ConfigKeys);
        Assert.Null(lines.RecordType);
        Assert.True(lines.Accepts(typeof(Parent)));
        Assert.Null(registry.GetOutput("jsonl"));
        Assert.Contains("unknown output type 'csv'; registered output types: jsonl, json, child-counter, text-lines", Assert.Throws<KeyNotFoundException>(() => registry.GetOutput("csv")).Message, StringComparison.Ordinal);

        // A generic output is created per record type, through the metadata it is given; an output of one type refuses others.
        var config = new OutputConfig { Type = "text-lines", Name = "n" };
        Assert.IsType<TextLinesOutput<Parent>>(lines.Create(ChainJson.Default.Parent, config));
        Assert.IsType<TextLinesOutput<Detail>>(lines.Create(ChainJson.Default.Detail, config));
        Assert.IsType<ChildCounter>(counter.Create(ChainJson.Default.Child, config));
        Assert.Null(counter.Create(ChainJson.Default.Parent, config));
    }

    [Fact]
    public async Task A_yaml_chain_writes_through_a_generic_user_output_with_its_own_config_values()
    {
        using var temp = new TempDirectory();
        var api = new ChainApi(parents: 120, childPages: 2);
        var input = Map("yaml-user-output", api.Handle);
        var loaded = ChainConfig.Parse(
            $$"""
            chain_id: yaml_user_output
            extractors:
              - extractor_class: ParentItems
                output_mapping: { id: parent_id }
              - extractor_class: ChildItems
                processing_mode: parallel
                input_mapping: { name: chain_input.name, parent_id: parent_id }
            output:
              type: text-lines
              config:
                directory: {{temp.Path}}
                name: kids
                prefix: "child> "
                batch_size: 100
            """,
            "user-output.yaml",
            ApiPipelineRegistry.Instance);

        Assert.Equal("text-lines", loaded.Output!.Type);
        Assert.Equal("child> ", loaded.Output.Settings["prefix"]);
        var output = loaded.CreateOutput();
        var typed = Assert.IsType<TextLinesOutput<Child>>(output);
        Assert.Equal(100, typed.Batching.BatchSize);
        ChainResult result;
        await using (typed)
        {
            result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(30);
        }

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        var lines = await File.ReadAllLinesAsync(Path.Combine(temp.Path, "kids.txt"));
        Assert.All(lines, line => Assert.StartsWith("child> {\"id\":", line, StringComparison.Ordinal));
        var children = lines.Select(line => JsonSerializer.Deserialize(line["child> ".Length..], ChainJson.Default.Child)!).ToList();
        ChainAssert.ExactlyOnce(api.AllChildren(), children);
    }

    [Fact]
    public async Task A_yaml_pipeline_writes_through_a_user_output_and_a_single_type_output_takes_its_records()
    {
        using var temp = new TempDirectory();
        var api = new ChainApi(parents: 250);
        var input = Map("yaml-user-pipeline", api.Handle);
        var loaded = PipelineConfig.Parse(
            $"pipeline_id: parents_text\nextractor:\n  class: ParentItems\noutput:\n  type: text-lines\n  config: {{ name: parents }}\n",
            "parents.yaml",
            ApiPipelineRegistry.Instance);

        var output = loaded.CreateOutput(temp.Path);
        PipelineResult result;
        await using ((IAsyncDisposable)output)
        {
            result = await loaded.ExecuteAsync(loaded.CreatePipeline(output, baseUrl: Api.BaseUrl), input).WithDeadline(30);
        }

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        var parents = (await File.ReadAllLinesAsync(Path.Combine(temp.Path, "parents.txt"))).Select(line => JsonSerializer.Deserialize(line, ChainJson.Default.Parent)!).ToList();
        Assert.Equal(Enumerable.Range(1, 250).Select(i => (long)i), parents.Select(p => p.Id).Order());

        // The chain's records are children, which child-counter takes.
        var chainApi = new ChainApi(parents: 30, childPages: 2);
        var chainInput = Map("yaml-user-counter", chainApi.Handle);
        var chain = ChainConfig.Parse(
            "chain_id: c\nextractors:\n  - extractor_class: ParentItems\n    output_mapping: { id: parent_id }\n  - extractor_class: ChildItems\n    input_mapping: { name: chain_input.name, parent_id: parent_id }\noutput:\n  type: child-counter\n  config: { name: counted-children }\n",
            "counter.yaml",
            ApiPipelineRegistry.Instance);
        var counter = Assert.IsType<ChildCounter>(chain.CreateOutput());
        var chainResult = await chain.ExecuteAsync(chainInput, counter, options: new ChainOptions { Extractor = At }).WithDeadline(30);
        Assert.True(chainResult.Status == PipelineStatus.Succeeded, ChainAssert.Describe(chainResult));
        Assert.Equal(chainApi.AllChildren().Count(), ChildCounter.Counts["counted-children"]);
    }

    [Fact]
    public async Task A_user_output_reads_each_records_partition_by_date_through_the_registry()
    {
        using var temp = new TempDirectory();
        var loaded = PipelineConfig.Parse(
            "pipeline_id: changes_text\nextractor:\n  class: Changes\noutput:\n  type: text-lines\n  config: { name: changes, partition_by: updated_at }\n",
            "changes.yaml",
            ApiPipelineRegistry.Instance);

        var output = Assert.IsType<TextLinesOutput<Change>>(loaded.CreateOutput(temp.Path));
        Assert.Equal("UpdatedAt", loaded.Output!.PartitionBy);
        await using (output)
        {
            await output.WriteAsync(new[] { new Change(1, "a", new DateTimeOffset(2026, 4, 1, 23, 30, 0, TimeSpan.FromHours(-2))), new Change(2, "b", ChangeTable.T0) });
            await output.CommitAsync();
        }

        var lines = await File.ReadAllLinesAsync(Path.Combine(temp.Path, "changes.txt"));
        Assert.Equal(["2026-04-02 {", "2026-04-01 {"], lines.Select(line => line[..12]));
    }

    [Fact]
    public async Task Partition_by_takes_a_dotted_path_into_a_passthrough_records_fields()
    {
        using var temp = new TempDirectory();
        var loaded = PipelineConfig.Parse(
            "pipeline_id: raw_items\nextractor:\n  class: RawCursorItems\noutput:\n  type: jsonl\n  config: { name: items, partition_by: fields.created_at }\n",
            "raw.yaml",
            ApiPipelineRegistry.Instance);

        Assert.Equal("Fields.CreatedAt", loaded.Output!.PartitionBy);
        var output = Assert.IsType<JsonlOutput<RawRecord<RawItemKeys>>>(loaded.CreateOutput(temp.Path));
        await using (output)
        {
            await output.WriteAsync(new[]
            {
                new RawRecord<RawItemKeys>("""{"id":1,"created_at":"2026-04-01T10:00:00Z"}"""u8.ToArray(), new RawItemKeys(1, new DateTimeOffset(2026, 4, 1, 10, 0, 0, TimeSpan.Zero))),
                new RawRecord<RawItemKeys>("""{"id":2,"created_at":"2026-04-03T10:00:00Z"}"""u8.ToArray(), new RawItemKeys(2, new DateTimeOffset(2026, 4, 3, 10, 0, 0, TimeSpan.Zero))),
            });
            await output.CommitAsync();
        }

        Assert.Equal(["date=2026-04-01", "date=2026-04-03"], Directory.GetDirectories(Path.Combine(temp.Path, "items")).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData("  type: parquet\n", 5, 9, "unknown output type 'parquet'; registered output types: jsonl, json, child-counter, text-lines")]
    [InlineData("  type: child-counter\n", 5, 9, "the output type 'child-counter' (ApiPipeline.Tests.Chaining.ChildCounter) takes Child records, but the records here are Parent")]
    [InlineData("  type: jsonl\n  config: { prefix: x }\n", 6, 13, "unknown field 'prefix' in output config; expected one of: format, directory")]
    [InlineData("  type: text-lines\n  config: { prefix: [a, b] }\n", 6, 21, "expected the value of 'prefix' as text")]
    [InlineData("  type: text-lines\n  config: { prefx: x }\n", 6, 13, "unknown field 'prefx' in the config of output type 'text-lines' (ApiPipeline.Tests.Chaining.TextLinesOutput<T> declares the keys it reads in [Output(\"text-lines\", …)]); expected one of: format, directory, name, partition_by, batch_size, flush_interval, max_batch_bytes, prefix")]
    [InlineData("  type: text-lines\n  config: { batch_size: none }\n", 6, 25, "expected batch_size as a whole number of at least 1, not 'none'")]
    public void Output_mistakes_name_the_file_line_and_column(string section, int line, int column, string message)
    {
        string yaml = "pipeline_id: p\nextractor:\n  class: ParentItems\noutput:\n" + section;

        var error = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(yaml, "p.yaml", ApiPipelineRegistry.Instance));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }
}
