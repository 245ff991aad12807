using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ApiPipeline;

/// <summary>
/// A chain's typed view of the <see cref="IStateStore"/>, scope <c>chain:&lt;id&gt;</c>:
/// <list type="bullet">
/// <item><c>run</c>: the run record (number, status, input fingerprint, failed step).</item>
/// <item><c>s&lt;k&gt;.page.&lt;n&gt;</c>: the n-th page of records step k produced for step k+1 (intermediate steps only).</item>
/// <item><c>s&lt;k&gt;.item.&lt;key&gt;</c>: how far step k got with one input: <c>done</c>, or the checkpoint of its next page.</item>
/// <item><c>sink.prepared</c>: the last output batch recorded (rolled forward after a crash).</item>
/// <item><c>dead_letters</c>: the last batch of dead-letter entries recorded (rolled forward on the next start).</item>
/// </list>
/// A page and its input's progress are written in one transaction; the last step's progress is written with the output commit it describes;
/// a step's dead-letter entries are written with the progress past the page or input they are about.
/// </summary>
internal sealed class ChainStateStore
{
    public const string DoneMarker = "done";
    private const string RunKey = "run";
    private const string PreparedKey = "sink.prepared";
    private const string DeadLettersKey = "dead_letters";
    private readonly IStateStore _store;

    public ChainStateStore(IStateStore store, string chainId)
    {
        _store = store;
        ChainId = chainId;
        Scope = ScopeOf(chainId);
    }

    public string ChainId { get; }

    public string Scope { get; }

    public string Location => _store.Location;

    public string Identity => _store.Identity;

    public static string ScopeOf(string chainId) => "chain:" + chainId;

    public static string ItemKey(int step, long key) => string.Create(CultureInfo.InvariantCulture, $"s{step}.item.{key:D12}");

    public static string PageKey(int step, long index) => string.Create(CultureInfo.InvariantCulture, $"s{step}.page.{index:D10}");

    /// <summary>
    /// A stable fingerprint of a chain input (SHA-256 of its text and of the first step's key for it: the relative URL it is asked
    /// with, which tells apart inputs whose text does not, such as classes without a <c>ToString</c> or records with collections), so a
    /// resumed run can check it continues the same input without storing it.
    /// </summary>
    public static string Fingerprint(object? input, string firstStepKey)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes((input?.ToString() ?? "<null>") + "\n" + firstStepKey)));

    public async ValueTask<ChainRunRecord?> LoadRunAsync(CancellationToken cancellationToken)
    {
        var json = await _store.GetAsync(Scope, RunKey, cancellationToken).ConfigureAwait(false);
        return json is null ? null : Read(json, ChainStateJson.Default.ChainRunRecord, RunKey);
    }

    /// <summary>Writes the run record; with <paramref name="clear"/>, removes everything else of the chain first (in the same transaction).</summary>
    public async ValueTask SaveRunAsync(ChainRunRecord run, bool clear, CancellationToken cancellationToken)
    {
        var change = new StateChange();
        if (clear)
        {
            change.DeleteScope(Scope);
        }

        change.Put(Scope, RunKey, JsonSerializer.Serialize(run, ChainStateJson.Default.ChainRunRecord));
        await _store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask CommitAsync(StateChange change, CancellationToken cancellationToken) => _store.CommitAsync(change, cancellationToken);

    /// <summary>
    /// How far step <paramref name="step"/> got with input <paramref name="key"/>; for a batch that is done, how many records it
    /// covered (<see langword="null"/> when that was not noted: all of them).
    /// </summary>
    public async ValueTask<(bool Done, PageCheckpoint? Next, int? Covered)> GetItemAsync(int step, long key, CancellationToken cancellationToken)
    {
        string itemKey = ItemKey(step, key);
        var value = await _store.GetAsync(Scope, itemKey, cancellationToken).ConfigureAwait(false);
        return value switch
        {
            null => (false, null, null),
            DoneMarker => (true, null, null),
            _ when value.StartsWith(DoneMarker + "/", StringComparison.Ordinal) && int.TryParse(value.AsSpan(DoneMarker.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int covered) => (true, null, covered),
            _ when value.StartsWith(BatchPrefix, StringComparison.Ordinal) && value.IndexOf('/', BatchPrefix.Length) is int slash and > 0
                && int.TryParse(value.AsSpan(BatchPrefix.Length, slash - BatchPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int part)
                => (false, Read(value[(slash + 1)..], ChainStateJson.Default.PageCheckpoint, itemKey), part),
            _ => (false, Read(value, ChainStateJson.Default.PageCheckpoint, itemKey), null),
        };
    }

    /// <summary>Before a batch's checkpoint: <c>batch/&lt;records it covers&gt;/</c>.</summary>
    private const string BatchPrefix = "batch/";

    /// <summary>The marker of a batch that is done after covering <paramref name="covered"/> records.</summary>
    public static string DoneMarkerOf(int covered) => string.Create(CultureInfo.InvariantCulture, $"{DoneMarker}/{covered}");

    /// <summary>The marker of an input stopped at <paramref name="next"/>; a batch's also notes how many records it covers.</summary>
    public static string Marker(PageCheckpoint next, int? covered = null)
    {
        string json = JsonSerializer.Serialize(next, ChainStateJson.Default.PageCheckpoint);
        return covered is int n ? string.Create(CultureInfo.InvariantCulture, $"{BatchPrefix}{n}/{json}") : json;
    }

    public ValueTask<string?> GetPageAsync(int step, long index, CancellationToken cancellationToken) => _store.GetAsync(Scope, PageKey(step, index), cancellationToken);

    public async ValueTask<PreparedCommit?> GetPreparedAsync(CancellationToken cancellationToken)
    {
        var json = await _store.GetAsync(Scope, PreparedKey, cancellationToken).ConfigureAwait(false);
        return json is null ? null : Read(json, ChainStateJson.Default.PreparedCommit, PreparedKey);
    }

    public StateChange PutPrepared(StateChange change, PreparedCommit prepared)
        => change.Put(Scope, PreparedKey, JsonSerializer.Serialize(prepared, ChainStateJson.Default.PreparedCommit));

    /// <summary>The last batch of dead-letter entries recorded, or <see langword="null"/>.</summary>
    public async ValueTask<PreparedDeadLetters?> GetDeadLettersAsync(CancellationToken cancellationToken)
    {
        var json = await _store.GetAsync(Scope, DeadLettersKey, cancellationToken).ConfigureAwait(false);
        return json is null ? null : Read(json, ChainStateJson.Default.PreparedDeadLetters, DeadLettersKey);
    }

    public StateChange PutDeadLetters(StateChange change, PreparedDeadLetters prepared)
        => change.Put(Scope, DeadLettersKey, JsonSerializer.Serialize(prepared, ChainStateJson.Default.PreparedDeadLetters));

    /// <summary>
    /// A page of records as stored: <c>{"parent":7,"first":300,"records":[…],"lineage":[{"step":1,"record":{…}}]}</c>, each record through
    /// its own type metadata (<c>lineage</c> only when the page carries one).
    /// </summary>
    public static string WritePage<T>(long parent, long first, ReadOnlySpan<T> records, JsonTypeInfo<T> typeInfo, ChainLineage? lineage, ChainDefinition definition)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * Math.Max(1, records.Length));
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = typeInfo.Options.Encoder, SkipValidation = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("parent", parent);
            json.WriteNumber("first", first);
            json.WriteStartArray("records");
            foreach (var record in records)
            {
                JsonSerializer.Serialize(json, record, typeInfo);
            }

            json.WriteEndArray();
            if (lineage is not null)
            {
                json.WritePropertyName("lineage");
                WriteLineage(json, lineage, definition);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes a lineage as a stored page holds it: <c>[{"step":1,"record":{…}}]</c>, each record through its step's metadata.</summary>
    public static void WriteLineage(Utf8JsonWriter json, ChainLineage lineage, ChainDefinition definition)
    {
        json.WriteStartArray();
        foreach (var (step, record) in lineage.Entries)
        {
            json.WriteStartObject();
            json.WriteNumber("step", step);
            json.WritePropertyName("record");
            definition.Steps[step - 1].WriteRecord(json, record);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>Reads a lineage written by <see cref="WriteLineage"/>.</summary>
    /// <exception cref="JsonException">The text is not such a lineage, or a record does not fit its step's record type.</exception>
    public static ChainLineage? ReadLineage(ReadOnlySpan<byte> json, ChainDefinition definition)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = PageParser.MaxDepth });
        reader.Read();
        return ChainLineage.Restore(definition.Steps.Count, ReadLineage(ref reader, definition));
    }

    /// <summary>Reads a page written by <see cref="WritePage{T}"/>.</summary>
    public T[] ReadPage<T>(string text, JsonTypeInfo<T> typeInfo, string key, ChainDefinition definition, out long first, out ChainLineage? lineage)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = PageParser.MaxDepth });
            var records = new List<T>();
            List<(int Step, object Record)>? ancestors = null;
            first = -1;
            Expect(ref reader, JsonTokenType.StartObject);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                switch (name)
                {
                    case "first":
                        first = reader.GetInt64();
                        break;
                    case "records":
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            throw new JsonException("'records' is not an array");
                        }

                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            records.Add(JsonSerializer.Deserialize(ref reader, typeInfo)!);
                        }

                        break;
                    case "lineage":
                        ancestors = ReadLineage(ref reader, definition);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (first < 0)
            {
                throw new JsonException("'first' is missing");
            }

            lineage = ancestors is null ? null : ChainLineage.Restore(definition.Steps.Count, ancestors);
            return [.. records];
        }
        catch (JsonException ex)
        {
            throw Unreadable(key, ex);
        }
    }

    private static List<(int Step, object Record)> ReadLineage(ref Utf8JsonReader reader, ChainDefinition definition)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("'lineage' is not an array");
        }

        var entries = new List<(int, object)>();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            int step = 0;
            object? record = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                if (name == "step")
                {
                    step = reader.GetInt32();
                }
                else if (name == "record" && step >= 1 && step <= definition.Steps.Count)
                {
                    record = definition.Steps[step - 1].ReadRecord(ref reader);
                }
                else
                {
                    throw new JsonException($"unexpected '{name}' in a lineage entry (step {step})");
                }
            }

            entries.Add((step, record ?? throw new JsonException($"a lineage entry of step {step} has no record")));
        }

        return entries;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw new JsonException($"expected {type}");
        }
    }

    private T Read<T>(string json, JsonTypeInfo<T> typeInfo, string key)
    {
        try
        {
            return JsonSerializer.Deserialize(json, typeInfo) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw Unreadable(key, ex);
        }
    }

    private ChainStateException Unreadable(string key, Exception ex)
        => new($"The state of chain '{ChainId}' in '{_store.Location}' is unreadable at '{key}' ({ex.Message}); reset it with ResetStateAsync to start the chain over.", ex);
}

/// <summary>The record of a chain's current or last run.</summary>
internal sealed record ChainRunRecord
{
    public const string Running = "running";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string Succeeded = "succeeded";
    public const string PartialSuccess = "partial_success";

    public long RunId { get; init; }

    public required string Status { get; init; }

    public required string Input { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public string? FailedStep { get; init; }

    public string? Error { get; init; }

    /// <summary>Whether a new call should continue this run rather than start another.</summary>
    [JsonIgnore]
    public bool Unfinished => Status is Running or Failed or Cancelled;
}

[JsonSerializable(typeof(ChainRunRecord))]
[JsonSerializable(typeof(PageCheckpoint))]
[JsonSerializable(typeof(PreparedCommit))]
[JsonSerializable(typeof(PreparedDeadLetters))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ChainStateJson : JsonSerializerContext;
