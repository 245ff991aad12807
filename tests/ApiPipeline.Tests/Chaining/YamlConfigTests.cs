using ApiPipeline.Generated;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// The design's YAML chain and pipeline formats, loaded at run time against the generated registry: a chain and a pipeline run end to end,
/// and each kind of mistake fails with the file, line and column.
/// </summary>
public sealed class YamlConfigTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private const string ChainYaml = """
        chain_id: yaml_children
        max_parallel_chains: 2
        extractors:
          - extractor_class: ParentItems
            output_mapping:
              id: parent_id
          - extractor_class: ChildItems
            step: children
            processing_mode: parallel
            max_concurrency: 4
            input_mapping:
              name: chain_input.name
              parent_id: parent_id
        output:
          type: jsonl
          config:
            format: jsonl
            name: children
            batch_size: 500
        """;

    [Fact]
    public async Task A_chain_file_runs_end_to_end()
    {
        using var temp = new TempDirectory();
        var api = new ChainApi(parents: 250, childPages: 2);
        var input = Map("yaml-chain", api.Handle);
        string path = Path.Combine(temp.Path, "chain.yaml");
        await File.WriteAllTextAsync(path, ChainYaml);

        var loaded = ChainConfig.Load(path, ApiPipelineRegistry.Instance);
        Assert.Equal("yaml_children", loaded.Id);
        Assert.Equal(typeof(Scenario), loaded.InputType);
        Assert.Equal(typeof(Child), loaded.OutputType);
        Assert.Equal(2, loaded.MaxParallelChains);
        Assert.Equal(["ParentItems", "children"], loaded.Definition.Steps.Select(s => s.Name));
        Assert.Equal([ProcessingMode.Single, ProcessingMode.Parallel], loaded.Definition.Steps.Select(s => s.Settings.Mode));

        var output = loaded.CreateOutput(Path.Combine(temp.Path, "out"));
        ChainResult result;
        await using (var disposable = (IAsyncDisposable)output)
        {
            result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(30);
        }

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal("yaml_children", result.ChainId);
        ChainAssert.ExactlyOnce(api.AllChildren(), ChainAssert.Jsonl(Path.Combine(temp.Path, "out", "children")));

        // The same definition, typed.
        var typed = new ChainExecutor<Scenario, Child>(loaded.Definition.As<Scenario, Child>(), null, new ChainOptions { Extractor = At });
        var again = new MemoryOutput<Child>();
        Assert.Equal(PipelineStatus.Succeeded, (await typed.ExecuteAsync(input, again).WithDeadline(30)).Status);
        ChainAssert.ExactlyOnce(api.AllChildren(), again.Committed);
        Assert.Throws<InvalidCastException>(() => loaded.Definition.As<Scenario, Parent>());
    }

    [Fact]
    public async Task A_pipeline_file_runs_end_to_end()
    {
        using var temp = new TempDirectory();
        var api = new ChainApi(parents: 250);
        var input = Map("yaml-pipeline", api.Handle);
        var loaded = PipelineConfig.Parse(
            """
            pipeline_id: parents
            extractor:
              class: ParentItems
              batch_size: 100
              max_concurrent: 10
            output:
              type: json
              config:
                format: jsonl
                batch_size: 100
            error_handling:
              mode: continue
              max_retries: 0
              backoff: linear
            """,
            "pipeline.yaml",
            ApiPipelineRegistry.Instance);

        Assert.Equal("parents", loaded.Id);
        Assert.Equal(100, loaded.ExtractorOptions.PageSize);
        Assert.Equal(10, loaded.ExtractorOptions.Resilience!.RateLimit!.MaxConcurrent);
        Assert.Equal((0, Backoff.Linear), (loaded.ExtractorOptions.Resilience.Retry!.MaxRetries, loaded.ExtractorOptions.Resilience.Retry.Backoff));
        Assert.Equal(ErrorMode.Continue, loaded.OnError);

        var output = loaded.CreateOutput(temp.Path);
        PipelineResult result;
        await using (var disposable = (IAsyncDisposable)output)
        {
            var pipeline = loaded.CreatePipeline(output, baseUrl: Api.BaseUrl);
            result = await loaded.ExecuteAsync(pipeline, input).WithDeadline(30);
        }

        Assert.Equal(PipelineStatus.Succeeded, result.Status);
        Assert.Equal(250, result.Records);
        Assert.Equal(3, result.Files.Count);
    }

    /// <summary>Each mistake: the text replaced in <see cref="ChainYaml"/>, the line and column the error must point at, and its message.</summary>
    public static TheoryData<string, string, int, int, string> ChainMistakes() => new()
    {
        { "extractor_class: ChildItems", "extractor_class: NoSuchThing", 7, 22, "no extractor 'NoSuchThing' is registered; registered: " },
        { "processing_mode: parallel", "procesing_mode: parallel", 9, 5, "unknown field 'procesing_mode' in step 2; expected one of: extractor_class, step, processing_mode" },
        { "processing_mode: parallel", "processing_mode: sideways", 9, 22, "'sideways' is not a valid processing_mode; expected one of: single, sequential, parallel" },
        { "max_concurrency: 4", "max_concurrency: 0", 10, 22, "expected max_concurrency as a whole number of at least 1, not '0'" },
        { "      parent_id: parent_id", "      parentid_x: parent_id", 13, 7, "step 2 'children': 'parentid_x' is not a member of its input ChildQuery that can be set; it takes: Name (string), ParentId (long)" },
        { "      parent_id: parent_id", "      parent_id: parent_idx", 13, 18, "step 2 'children': 'parent_idx' is not a state variable of step 'ParentItems' (its output_mapping defines: parent_id)" },
        { "      id: parent_id", "      ident: parent_id", 6, 7, "step 1 'ParentItems': 'ident' is not a member of its record Parent; its members are: Id (long), Name (string)" },
        { "      id: parent_id", "      name: parent_id", 13, 18, "step 2 'children': 'parent_id' (string) cannot be mapped to 'ParentId' (long) of ChildQuery without a conversion that can lose data" },
        { "      parent_id: parent_id\n", "", 11, 5, "step 2 'children': the required member 'ParentId' (long) of its input ChildQuery is not mapped" },
        { "type: jsonl", "type: parquet", 15, 9, "unknown output type 'parquet'; registered output types: jsonl, json, child-counter, text-lines" },
        { "name: chain_input.name", "name: \"chain_input.name", 12, 13, "not valid YAML: the quoted text starting here has no closing quote" },
        { "max_parallel_chains: 2", "max_parallel_chains: [2", 2, 22, "not valid YAML: the list started with '[' here is never closed with ']'" },
        { "    processing_mode: parallel", "  \tprocessing_mode: parallel", 9, 3, "not valid YAML: a tab indents this line; YAML indents with spaces only" },
    };

    [Theory]
    [MemberData(nameof(ChainMistakes))]
    public void Chain_file_mistakes_name_the_file_line_and_column(string replace, string with, int line, int column, string message)
    {
        string yaml = ChainYaml.Replace(replace, with, StringComparison.Ordinal);
        Assert.NotEqual(ChainYaml, yaml);

        var error = Assert.Throws<ConfigException>(() => ChainConfig.Parse(yaml, "chains/children.yaml", ApiPipelineRegistry.Instance));

        Assert.Equal("chains/children.yaml", error.File);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"chains/children.yaml({line},{column}): ", error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public async Task A_pipeline_id_with_a_slash_is_refused_as_dead_letter_entries_read_it_as_a_chain_step()
    {
        await using var output = new JsonlOutput<Parent>(ChainJson.Default.Parent, new JsonlOutputOptions<Parent> { Name = "parents" });
        var error = Assert.Throws<ArgumentException>(() => new Pipeline<Scenario, Parent>("team/items", new ParentItems(), output));
        Assert.Contains("The pipeline id 'team/items' contains '/'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A chain id given in code is refused like a chain file's: parallel chains' ids and dead-letter entries add '/...' to it.</summary>
    [Fact]
    public void A_chain_id_with_a_slash_given_in_code_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new ChainExecutor<Scenario, Detail>(ChildDetails.Definition, options: new ChainOptions { ChainId = "team/details" }));
        Assert.Contains("the chain id 'team/details' contains '/'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chain_id: vendor/parents\nextractors:\n  - extractor_class: ParentItems\n", 1, 11, "the chain id 'vendor/parents' contains '/'")]
    [InlineData("chain_id: parents\nextractors:\n  - extractor_class: ParentItems\n    step: all/parents\n", 4, 11, "the step name 'all/parents' contains '/'")]
    public void A_chain_files_id_or_step_name_with_a_slash_is_refused(string yaml, long line, long column, string message)
    {
        var error = Assert.Throws<ConfigException>(() => ChainConfig.Parse(yaml, "c.yaml", ApiPipelineRegistry.Instance));
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A chain file whose step has no <c>step:</c> name takes its extractor's registered name. A registry may list an extractor under a
    /// name with '/' (a hand-built <see cref="ComponentRegistry"/>, or an assembly where APP1006 was suppressed): that default name is
    /// refused as <c>step: vendor/parents</c> would be, at the extractor_class.
    /// </summary>
    [Fact]
    public void A_chain_files_step_named_after_an_extractor_whose_name_has_a_slash_is_refused()
    {
        var parents = (ExtractorRegistration<Scenario, Parent>)ApiPipelineRegistry.Instance.FindExtractor("ParentItems", out _)!;
        var slashed = new ExtractorRegistration<Scenario, Parent>("vendor/parents", "Vendor.Parents", () => parents.RecordTypeInfo, (client, options) => parents.CreateExtractor(client, options), parents.TypedInput, parents.TypedOutput);
        var registry = new ComponentRegistry([slashed], []);

        LoadedChain? loaded = null;
        var error = Record.Exception(() => loaded = ChainConfig.Parse("chain_id: parents\nextractors:\n  - extractor_class: vendor/parents\n", "c.yaml", registry));
        Assert.True(error is ConfigException, $"loaded with steps: {string.Join(", ", loaded?.Definition.Steps.Select(s => s.Name) ?? [])}");
        Assert.Contains("the step name 'vendor/parents' contains '/'", error!.Message, StringComparison.Ordinal);
    }

    /// <summary>OutputBatchOptions.MaxBatchBytes is a long: a file may set a byte limit beyond an int (10 GB, out of the way of batches by count).</summary>
    [Fact]
    public void Max_batch_bytes_takes_any_whole_number_the_batch_options_hold()
    {
        const string yaml = "pipeline_id: p\nextractor:\n  class: ParentItems\noutput:\n  type: jsonl\n  config: { max_batch_bytes: 10000000000 }\n";

        var error = Record.Exception(() => PipelineConfig.Parse(yaml, "p.yaml", ApiPipelineRegistry.Instance));

        Assert.True(error is null, error?.Message);
        Assert.Equal(10_000_000_000L, PipelineConfig.Parse(yaml, "p.yaml", ApiPipelineRegistry.Instance).Output!.Batching.MaxBatchBytes);
    }

    /// <summary>
    /// <c>enabled</c> takes YAML's booleans: the YAML 1.2 core schema's <c>true|True|TRUE|false|False|FALSE</c>, and, as the reader takes
    /// <c>yes</c>/<c>no</c> (YAML 1.1), their other spellings too.
    /// </summary>
    [Theory]
    [InlineData("TRUE", true)]
    [InlineData("FALSE", false)]
    [InlineData("Yes", true)]
    [InlineData("No", false)]
    public void The_watermarks_enabled_takes_the_yaml_spellings_of_true_and_false(string text, bool expected)
    {
        string yaml = $"pipeline_id: p\nextractor:\n  class: Changes\nwatermark:\n  enabled: {text}\n  field: updated_at\n";

        var error = Record.Exception(() => PipelineConfig.Parse(yaml, "p.yaml", ApiPipelineRegistry.Instance));

        Assert.True(error is null, error?.Message);
        Assert.Equal(expected, PipelineConfig.Parse(yaml, "p.yaml", ApiPipelineRegistry.Instance).Watermark!.Enabled);
    }

    /// <summary>
    /// <c>conditional_requests</c> sets <see cref="ExtractorOptions.ConditionalRequests"/>: on for an extractor without
    /// <c>[ConditionalRequests]</c>, or off, winning over the settings it is applied over (a host's).
    /// </summary>
    [Theory]
    [InlineData("true", true)]
    [InlineData("no", false)]
    public void Conditional_requests_turns_them_on_or_off_over_the_hosts_settings(string text, bool expected)
    {
        var loaded = PipelineConfig.Parse($"pipeline_id: p\nextractor:\n  class: ParentItems\n  conditional_requests: {text}\n", "p.yaml", ApiPipelineRegistry.Instance);

        Assert.Equal(expected, loaded.ExtractorOptions.ConditionalRequests);
        Assert.Equal(expected, loaded.ApplyTo(new ExtractorOptions { ConditionalRequests = !expected }).ConditionalRequests);
        Assert.Null(loaded.ExtractorOptions.Resilience); // nothing else changes
    }

    [Fact]
    public void Conditional_requests_left_out_keeps_the_hosts_setting_and_one_that_is_not_a_boolean_is_located()
    {
        var plain = PipelineConfig.Parse("pipeline_id: p\nextractor:\n  class: ParentItems\n", "p.yaml", ApiPipelineRegistry.Instance);
        Assert.Null(plain.ExtractorOptions.ConditionalRequests);
        Assert.True(plain.ApplyTo(new ExtractorOptions { ConditionalRequests = true }).ConditionalRequests);

        var error = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(
            "pipeline_id: p\nextractor:\n  class: ParentItems\n  conditional_requests: sometimes\n",
            "p.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Equal((4L, 25L), (error.Line, error.Column));
        Assert.Contains("expected conditional_requests as true or false, not 'sometimes'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void First_step_input_mapping_and_pipeline_mistakes_are_located()
    {
        var first = Assert.Throws<ConfigException>(() => ChainConfig.Parse(
            "chain_id: x\nextractors:\n  - extractor_class: ParentItems\n    input_mapping:\n      name: chain_input\n",
            "x.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Equal((4L, 5L), (first.Line, first.Column));
        Assert.Contains("takes the chain input (Scenario) as it is", first.Message, StringComparison.Ordinal);

        var partition = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(
            "pipeline_id: p\nextractor:\n  class: ChildItems\noutput:\n  type: jsonl\n  config:\n    partition_by: page\n",
            "p.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Equal((7L, 19L), (partition.Line, partition.Column));
        Assert.Contains("partition_by 'page' is not a date member of Child", partition.Message, StringComparison.Ordinal);

        var window = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(
            "pipeline_id: p\nextractor:\n  class: ParentItems\nwatermark:\n  field: id\n",
            "p.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Equal((4L, 1L), (window.Line, window.Column)); // a whole number may be a watermark, but ParentItems has none
        Assert.Contains("has no [Watermark]", window.Message, StringComparison.Ordinal);

        var relative = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(
            "pipeline_id: p\nextractor:\n  class: ParentItems\n  base_url: api.example.com/v1?api_key=s3cr3t-value\n",
            "p.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Contains("base_url 'api.example.com/v1?api_key=***' is not an absolute http(s) URL", relative.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", relative.ToString(), StringComparison.Ordinal);

        var userInfo = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(
            "pipeline_id: p\nextractor:\n  class: ParentItems\n  base_url: https://robot:s3cr3t-value@api.example.com/v1\n",
            "p.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Equal((4L, 13L), (userInfo.Line, userInfo.Column));
        Assert.Contains("base_url 'https://api.example.com/v1' carries a user name or password", userInfo.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", userInfo.ToString(), StringComparison.Ordinal);

        var slash = Assert.Throws<ConfigException>(() => PipelineConfig.Parse("pipeline_id: team/items\nextractor:\n  class: ParentItems\n", "p.yaml", ApiPipelineRegistry.Instance));
        Assert.Equal((1L, 14L), (slash.Line, slash.Column));
        Assert.Contains("the pipeline id 'team/items' contains '/', which dead-letter entries and replay read as '<chain id>/<step>'", slash.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ConfigException>(() => PipelineConfig.Parse("pipeline_id: p\n", "p.yaml", ApiPipelineRegistry.Instance));
        Assert.Contains("a pipeline needs 'extractor'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_generated_registry_lists_every_extractor_and_chain_by_name()
    {
        var registry = ApiPipelineRegistry.Instance;

        var children = registry.GetExtractor("ChildItems");
        Assert.Equal("ApiPipeline.Tests.Chaining.ChildItems", children.TypeName);
        Assert.Equal((typeof(ChildQuery), typeof(Child)), (children.InputType, children.OutputType));
        Assert.Same(children, registry.GetExtractor("ApiPipeline.Tests.Chaining.ChildItems"));
        Assert.IsType<ChildItems>(children.Create(null, At));
        Assert.Equal(["Name", "ParentId"], children.Input.Members.Select(m => m.Name));
        Assert.Equal(ShapeWrite.Required, children.Input.Members[1].Write);

        Assert.Same(registry.GetExtractor("data-items"), registry.GetExtractor("DataItems"));
        Assert.Contains("no extractor 'Nope' is registered", Assert.Throws<KeyNotFoundException>(() => registry.GetExtractor("Nope")).Message, StringComparison.Ordinal);

        var chain = registry.GetChain("parallel-children");
        Assert.Equal("ApiPipeline.Tests.Chaining.ParallelChildren", chain.TypeName);
        Assert.Same(ParallelChildren.Definition, chain.Definition);
        Assert.IsType<ParallelChildren>(chain.Create(null, new ChainOptions { Extractor = At }));
        Assert.Contains(registry.Chains, c => c.Name == "SequentialChildren");
        Assert.Equal(["jsonl", "json", "child-counter", "text-lines"], registry.Outputs);
    }
}
