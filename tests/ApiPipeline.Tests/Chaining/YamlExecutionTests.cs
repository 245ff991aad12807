using ApiPipeline.Generated;

namespace ApiPipeline.Tests.Chaining;

/// <summary>
/// What YAML files make happen, end to end on the local server: a batched step (the design's <c>BatchConfig</c>) sends one request per
/// batch like <c>[Batched]</c>; <c>max_parallel_chains</c> limits the chains the server sees at once; a pipeline's <c>watermark</c> makes
/// runs incremental through <see cref="Pipeline{TIn, TOut}"/> and the state store, like an attributed one.
/// </summary>
public sealed class YamlExecutionTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    private const string BatchedYaml = """
        chain_id: yaml_batched
        extractors:
          - extractor_class: ParentItems
            output_mapping:
              id: parent_id
          - extractor_class: ChildrenByIds
            batch_size: 50
            max_concurrent_batches: 3
            max_batch_retries: 1
            input_mapping:
              name: chain_input.name
              ids: parent_id
        """;

    [Fact]
    public async Task A_batched_yaml_step_sends_one_request_per_batch_of_parent_keys()
    {
        var api = new ChainApi(parents: 230);
        var input = Map("yaml-batched", api.Handle);
        var loaded = ChainConfig.Parse(BatchedYaml, "batched.yaml", ApiPipelineRegistry.Instance);
        var step = loaded.Definition.Steps[1];
        Assert.Equal(new BatchSettings { Size = 50, MaxConcurrentBatches = 3, MaxBatchRetries = 1 }, step.Settings.Batch);

        var output = new MemoryOutput<Child>();
        var result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        var batches = api.BatchIds.Select(ids => ids.Split(',').Select(long.Parse).ToList()).OrderBy(ids => ids[0]).ToList();
        Assert.Equal([50, 50, 50, 50, 30], batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(1, 230).Select(i => (long)i), batches.SelectMany(b => b));
        Assert.Equal(5, result.Steps[1].Inputs);
        Assert.Equal(Enumerable.Range(1, 230).Select(i => i * 1000L + 11), output.Committed.Select(c => c.Id).Order());
    }

    [Theory]
    [InlineData("step: parents", "parents.fields.id")] // <step>.<path>
    [InlineData("output_mapping: { fields.id: parent_key }", "parent_key")] // a state variable from a path
    public async Task A_yaml_mapping_reads_a_nested_member_of_an_earlier_record_by_its_dotted_path(string parentStep, string parentId)
    {
        var api = new ChainApi(parents: 3, childPages: 2);
        var input = Map("yaml-nested-" + parentId.Replace('.', '-'), api.Handle);
        var loaded = ChainConfig.Parse(
            $$"""
            chain_id: yaml_nested
            extractors:
              - extractor_class: RawParentItems
                {{parentStep}}
              - extractor_class: ChildItems
                input_mapping: { name: chain_input.name, parent_id: {{parentId}} }
            """,
            "nested.yaml",
            ApiPipelineRegistry.Instance);

        var output = new MemoryOutput<Child>();
        var result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal([1L, 2L, 3L], output.Committed.Select(c => c.ParentId).Distinct().Order());
        Assert.Equal(12, output.Committed.Count);
    }

    [Fact]
    public async Task A_yaml_mapping_sets_init_only_properties_of_a_class_and_leaves_the_others_their_initializers()
    {
        var api = new ChainApi(parents: 3, childPages: 2);
        var input = Map("yaml-init-only", api.Handle);
        var loaded = ChainConfig.Parse(
            """
            chain_id: yaml_init_only
            extractors:
              - extractor_class: RawParentItems
                step: parents
              - extractor_class: ChildItemsByRequest
                input_mapping: { name: chain_input.name, parent_id: parents.fields.id }
            """,
            "init.yaml",
            ApiPipelineRegistry.Instance);

        var output = new MemoryOutput<Child>();
        var result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal([1L, 2L, 3L], output.Committed.Select(c => c.ParentId).Distinct().Order());
        Assert.Equal(12, output.Committed.Count);
        var children = Requests("yaml-init-only").Where(r => r.Path.Contains("/children", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, children.Count);
        Assert.All(children, r => Assert.Equal("7", r.Q("per_page"))); // not mapped: the property initializer's value
        Assert.Equal(ShapeWrite.Optional, ApiPipelineRegistry.Instance.GetExtractor("ChildItemsByRequest").Input.Members.Single(m => m.Name == "PerPage").Write);
    }

    [Fact]
    public void A_yaml_mapping_through_a_nested_member_that_does_not_exist_lists_the_paths_it_can_read()
    {
        var error = Assert.Throws<ConfigException>(() => ChainConfig.Parse(
            "chain_id: c\nextractors:\n  - extractor_class: RawParentItems\n    step: parents\n  - extractor_class: ChildItems\n    input_mapping: { name: chain_input.name, parent_id: parents.fields.key }\n",
            "c.yaml",
            ApiPipelineRegistry.Instance));

        Assert.Contains("'fields.key' is not a member of the record RawRecord<ParentKeys> of step 'parents'; its members are: Json (ReadOnlyMemory<byte>), Fields (ParentKeys), Fields.Id (long)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batched_yaml_step_collects_the_keys_into_a_collection_member()
    {
        var targets = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var api = new ChainApi(parents: 70) { Fail = (target, _) => { targets.Enqueue(target); return null; } };
        var input = Map("yaml-id-list", api.Handle);
        var loaded = ChainConfig.Parse(
            BatchedYaml.Replace("ChildrenByIds", "ChildrenByIdList", StringComparison.Ordinal),
            "batched-list.yaml",
            ApiPipelineRegistry.Instance);

        var output = new MemoryOutput<Child>();
        var result = await loaded.ExecuteAsync(input, output, options: new ChainOptions { Extractor = At }).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        var batches = targets.Where(t => t.Contains("/children?", StringComparison.Ordinal)).Select(t => t[(t.IndexOf('?', StringComparison.Ordinal) + 1)..]).OrderBy(q => q.Length).ToList();
        Assert.Equal([string.Join("&", Enumerable.Range(51, 20).Select(id => "ids=" + id)), string.Join("&", Enumerable.Range(1, 50).Select(id => "ids=" + id))], batches);
        Assert.Equal(Enumerable.Range(1, 70).Select(i => (long)i), output.Committed.Select(c => c.ParentId).Order());
    }

    [Fact]
    public async Task A_failed_yaml_batch_is_retried_from_its_failed_page()
    {
        var api = new ChainApi(parents: 100);
        api.Fail = (target, before) => target.Contains("ids=51", StringComparison.Ordinal) && before == 0 ? (500, """{"message":"once"}""") : null;
        var input = Map("yaml-batch-retry", api.Handle);
        var loaded = ChainConfig.Parse(BatchedYaml, "batched.yaml", ApiPipelineRegistry.Instance);
        var options = new ChainOptions { Extractor = At with { Resilience = new ResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 } } } };

        var output = new MemoryOutput<Child>();
        var result = await loaded.ExecuteAsync(input, output, options: options).WithDeadline(30);

        Assert.True(result.Status == PipelineStatus.Succeeded, ChainAssert.Describe(result));
        Assert.Equal(1, result.Steps[1].BatchRetries);
        Assert.Equal(100, output.Committed.Count);
    }

    [Fact]
    public async Task Max_parallel_chains_limits_the_chains_running_at_once()
    {
        var api = new ChainApi(parents: 3, childPages: 2) { ChildDelay = TimeSpan.FromMilliseconds(40) };
        var inputs = Enumerable.Range(0, 6).Select(i => (object)Map($"yaml-parallel-{i}", api.Handle)).ToList();
        var loaded = ChainConfig.Parse(
            """
            chain_id: yaml_parallel
            max_parallel_chains: 2
            extractors:
              - extractor_class: ParentItems
                output_mapping: { id: parent_id }
              - extractor_class: ChildItems
                processing_mode: sequential
                input_mapping: { name: chain_input.name, parent_id: parent_id }
            """,
            "parallel.yaml",
            ApiPipelineRegistry.Instance);
        var outputs = new MemoryOutput<Child>[inputs.Count];

        var results = await loaded.ExecuteParallelChainsAsync(inputs, (_, i) => outputs[i] = new MemoryOutput<Child>(), options: new ChainOptions { Extractor = At }).WithDeadline(60);

        Assert.All(results, r => Assert.Equal(PipelineStatus.Succeeded, r.Status));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"yaml_parallel/{i}"), results.Select(r => r.ChainId));
        Assert.All(outputs, o => Assert.Equal(12, o.Committed.Count));

        // Each chain has one child request in flight at a time (a sequential step), so the server sees at most two chains at once.
        Assert.Equal(2, api.MaxChildrenInFlight);
    }

    [Theory]
    [InlineData("Changes", "updated_at")]
    [InlineData("RawChanges", "fields.updated_at")] // passthrough: its [Watermark] names a member of its TFields
    public async Task A_yaml_watermark_makes_runs_incremental_like_the_attribute(string extractor, string field)
    {
        using var temp = new TempDirectory();
        var table = new ChangeTable();
        string scenario = "yaml-watermark-" + extractor.ToLowerInvariant();
        Api.Map($"/{scenario}/changes", table.Serve);
        var input = new Scenario(scenario);
        table.Add(25, TimeSpan.FromMinutes(1));
        await using var store = new InMemoryStateStore();
        string yaml = $$"""
            pipeline_id: yaml_changes
            extractor:
              class: {{extractor}}
            output:
              type: jsonl
              config: { batch_size: 10 }
            watermark:
              enabled: true
              field: {{field}}
              window_size: 10m
            """;

        // The first run reads everything; the second asks from the watermark minus the 10-minute window and keeps only new records.
        var first = await RunAsync(yaml, input, store, temp.Path);
        Assert.Equal((PipelineStatus.Succeeded, 25L, (DateTimeOffset?)ChangeTable.T0.AddMinutes(24)), (first.Status, first.Records, first.Watermark));
        Assert.DoesNotContain(Api.RequestsTo($"/{scenario}/"), r => r.Q("since") is not null);

        table.Add(7, TimeSpan.FromMinutes(1));
        var second = await RunAsync(yaml, input, store, temp.Path);
        Assert.Equal((PipelineStatus.Succeeded, 7L, 11L), (second.Status, second.Records, second.Duplicates));
        Assert.Equal(ChangeTable.T0.AddMinutes(31), second.Watermark);
        Assert.Equal("2026-04-01T00:14:00Z", Api.RequestsTo($"/{scenario}/").Last().Q("since"));

        // A run that fails part-way resumes from its last committed page, then the watermark advances.
        table.Add(30, TimeSpan.FromMinutes(1));
        table.FailPageOnce = 3;
        var failed = await RunAsync(yaml, input, store, temp.Path);
        Assert.Equal(PipelineStatus.Failed, failed.Status);
        var resumed = await RunAsync(yaml, input, store, temp.Path);
        Assert.Equal(PipelineStatus.Succeeded, resumed.Status);
        Assert.Equal(ChangeTable.T0.AddMinutes(61), resumed.Watermark);
        Assert.Equal(Enumerable.Range(1, 62).Select(i => (long)i), Written(temp.Path).Select(c => c.Id).Order());

        // enabled: false is a full extraction, with no time filter.
        int before = Api.RequestsTo($"/{scenario}/").Count;
        var full = await RunAsync(yaml.Replace("enabled: true", "enabled: false", StringComparison.Ordinal), input, new InMemoryStateStore(), Path.Combine(temp.Path, "full"));
        Assert.Equal(62, full.Records);
        Assert.All(Api.RequestsTo($"/{scenario}/").Skip(before), r => Assert.Null(r.Q("since")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_yaml_watermark_section_keeps_the_extractors_time_windows(bool enabled)
    {
        // The file only changes the watermark (its lag, or off): a [TimeWindows] extractor still reads its range in windows.
        IExtractor<Scenario, Change> extractor = new WindowedChanges();
        var configured = ConfiguredWatermarkExtractor<Scenario, Change>.Apply(extractor, new WatermarkConfig(enabled, "UpdatedAt", TimeSpan.FromMinutes(2)));

        Assert.NotSame(extractor, configured);
        Assert.NotNull(configured.TimeWindows);
        Assert.Equal(extractor.TimeWindows, configured.TimeWindows);
    }

    /// <summary>
    /// Time windows are ranges of the watermark: a file that turns the watermark of a <c>[TimeWindows]</c> extractor off is refused at
    /// <c>enabled</c> when it is loaded, not at every run with a message about the extractor's attribute.
    /// </summary>
    [Fact]
    public void A_yaml_watermark_turned_off_on_a_time_windowed_extractor_is_refused_at_enabled()
    {
        string yaml = """
            pipeline_id: yaml_changes
            extractor:
              class: WindowedChanges
            watermark:
              enabled: false
              field: updated_at
            output:
              type: jsonl
            """;

        var refused = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(yaml, "changes.yaml", ApiPipelineRegistry.Instance));

        Assert.Equal((5L, 12L), (refused.Line, refused.Column));
        Assert.Contains("extracts time windows ([TimeWindows])", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_watermark_must_be_the_extractors_own()
    {
        var none = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(
            "pipeline_id: p\nextractor:\n  class: ParentItems\nwatermark:\n  field: name\n",
            "p.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Contains("is not a date or whole-number member of Parent", none.Message, StringComparison.Ordinal);

        var other = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(
            "pipeline_id: p\nextractor:\n  class: CursorItems\nwatermark:\n  field: created_at\n",
            "p.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Equal((4L, 1L), (other.Line, other.Column));
        Assert.Contains("has no [Watermark]", other.Message, StringComparison.Ordinal);

        // A passthrough record's date members are fields.<member>; only the one its [Watermark] names will do.
        static string Dated(string member) => $"pipeline_id: p\nextractor:\n  class: RawDatedChanges\nwatermark:\n  field: fields.{member}\n";
        var wrong = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(Dated("created_at"), "p.yaml", ApiPipelineRegistry.Instance));
        Assert.Equal((5L, 10L), (wrong.Line, wrong.Column));
        Assert.Contains("watermark field 'fields.created_at' is not the field the [Watermark] of extractor 'RawDatedChanges' follows ('Fields.UpdatedAt')", wrong.Message, StringComparison.Ordinal);
        var right = PipelineConfig.Parse(Dated("updated_at"), "p.yaml", ApiPipelineRegistry.Instance);
        Assert.Equal("Fields.UpdatedAt", right.Watermark!.Field);
    }

    [Fact]
    public void A_number_watermark_takes_a_window_of_its_units_and_a_window_needs_the_records_key()
    {
        static string File(string extractor, string field, string window) => $"pipeline_id: p\nextractor:\n  class: {extractor}\nwatermark:\n  field: {field}\n{window}";

        // Ledger's [Watermark] follows the long Sequence (its records have a [Key]): it can be switched off or given a window.
        Assert.False(PipelineConfig.Parse(File("Ledger", "sequence", "  enabled: false\n"), "p.yaml", ApiPipelineRegistry.Instance).Watermark!.Enabled);
        Assert.Equal(WatermarkSpan.FromNumber(5), PipelineConfig.Parse(File("Ledger", "sequence", "  window_size: 5\n"), "p.yaml", ApiPipelineRegistry.Instance).Watermark!.WindowSize);
        var duration = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(File("Ledger", "sequence", "  window_size: 1h\n"), "p.yaml", ApiPipelineRegistry.Instance));
        Assert.Contains("window_size (the watermark is a number)", duration.Message, StringComparison.Ordinal);

        // LocalChanges' records have no key: a window would write every record read again twice, so the file is refused where it says so.
        var keyless = Assert.Throws<ConfigException>(() => PipelineConfig.Parse(File("LocalChanges", "updated_at", "  window_size: 1h\n"), "p.yaml", ApiPipelineRegistry.Instance));
        Assert.Equal((6L, 16L), (keyless.Line, keyless.Column));
        Assert.Contains("mark the primary key of LocalChange with [Key]", keyless.Message, StringComparison.Ordinal);
        Assert.Null(PipelineConfig.Parse(File("LocalChanges", "updated_at", ""), "p.yaml", ApiPipelineRegistry.Instance).Watermark!.WindowSize);
    }

    /// <summary>
    /// A number watermark follows a <c>long</c> member (ids, sequence numbers), and <c>[Watermark(Lag = "3000000000")]</c> is a valid lag:
    /// a file's <c>window_size</c> takes the same range (a minute of snowflake-style ids is about 2.5e11).
    /// </summary>
    [Fact]
    public void A_number_watermarks_window_takes_any_whole_number_its_long_field_can_hold()
    {
        const string yaml = "pipeline_id: p\nextractor:\n  class: Ledger\nwatermark:\n  field: sequence\n  window_size: 3000000000\n";

        var loaded = Record.Exception(() => PipelineConfig.Parse(yaml, "p.yaml", ApiPipelineRegistry.Instance));

        Assert.True(loaded is null, loaded?.Message);
        Assert.Equal(WatermarkSpan.FromNumber(3_000_000_000L), PipelineConfig.Parse(yaml, "p.yaml", ApiPipelineRegistry.Instance).Watermark!.WindowSize);
    }

    /// <summary>Batch mistakes: the text replaced in <see cref="BatchedYaml"/>, where the error points and its message.</summary>
    public static TheoryData<string, string, int, int, string> BatchMistakes() => new()
    {
        { "batch_size: 50", "batch_size: 0", 7, 17, "expected batch_size as a whole number of at least 1, not '0'" },
        { "max_batch_retries: 1", "max_batch_retries: lots", 9, 24, "max_batch_retries" },
        { "    batch_size: 50", "    processing_mode: parallel\n    batch_size: 50", 7, 5, "is batched and runs its batches in parallel (at most max_concurrent_batches at once); remove processing_mode" },
        { "      id: parent_id", "      id: parent_id\n    batch_size: 5", 6, 5, "takes the one chain input, so it cannot be batched" },
        { "      ids: parent_id", "      ids: parent_idx", 12, 12, "'parent_idx' is not a state variable of step 'ParentItems'" },
        { "      ids: parent_id", "      ids: chain_input.name", 10, 5, "is batched, but its input_mapping maps nothing from the records of step 'ParentItems'" },
    };

    [Theory]
    [MemberData(nameof(BatchMistakes))]
    public void Batch_mistakes_name_the_file_line_and_column(string replace, string with, int line, int column, string message)
    {
        string yaml = BatchedYaml.Replace(replace, with, StringComparison.Ordinal);
        Assert.NotEqual(BatchedYaml, yaml);

        var error = Assert.Throws<ConfigException>(() => ChainConfig.Parse(yaml, "batched.yaml", ApiPipelineRegistry.Instance));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void A_batched_yaml_mapping_needs_a_string_member()
    {
        var error = Assert.Throws<ConfigException>(() => ChainConfig.Parse(
            "chain_id: c\nextractors:\n  - extractor_class: ParentItems\n    output_mapping: { id: parent_id }\n  - extractor_class: ChildItems\n    batch_size: 10\n    input_mapping:\n      name: chain_input.name\n      parent_id: parent_id\n",
            "c.yaml",
            ApiPipelineRegistry.Instance));
        Assert.Equal((9L, 7L), (error.Line, error.Column));
        Assert.Contains("is batched: 'ParentId' (long) of ChildQuery receives one value per record of the batch, so it must be a string member (the values comma-separated) or a collection of string, long, int or Guid", error.Message, StringComparison.Ordinal);
    }

    private async Task<PipelineResult> RunAsync(string yaml, Scenario input, IStateStore store, string directory)
    {
        var loaded = PipelineConfig.Parse(yaml, "changes.yaml", ApiPipelineRegistry.Instance);
        var output = loaded.CreateOutput(directory);
        await using var disposable = (IAsyncDisposable)output;
        var pipeline = loaded.CreatePipeline(output, baseUrl: Api.BaseUrl, options: new PipelineOptions { StateStore = store });
        return await loaded.ExecuteAsync(pipeline, input).WithDeadline(30);
    }

    private static List<Change> Written(string directory)
        => [.. Directory.EnumerateFiles(Path.Combine(directory, "yaml_changes"), "*.jsonl", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines)
            .Select(line => System.Text.Json.JsonSerializer.Deserialize(line, ChangeJson.Default.Change)!)];
}
