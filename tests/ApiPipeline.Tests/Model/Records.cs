using System.Text.Json.Serialization;

namespace ApiPipeline.Tests;

/// <summary>The record every test extractor reads: <c>{"id":1,"name":"item-1","created_at":"…"}</c>.</summary>
public sealed record Item(long Id, string Name, DateTimeOffset? CreatedAt = null);

/// <summary>The tests' source-generated JSON context, snake_case like most APIs.</summary>
[JsonSerializable(typeof(Item))]
[JsonSerializable(typeof(string))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal partial class TestJson : JsonSerializerContext;

/// <summary>Input of most test extractors: the scenario name fills the first path segment, so each test has its own URLs.</summary>
public sealed record Scenario(string Name);

/// <summary>Input with path placeholders and [Query] members of several types.</summary>
public sealed record IssueQuery(
    string Owner,
    string Repo,
    [property: Query] string? State = null,
    [property: Query("since")] DateTimeOffset? Since = null,
    [property: Query] bool? Draft = null,
    [property: Query] int MaxResults = 30,
    [property: Query] bool Archived = false);

/// <summary>Input of an extractor whose path template carries a fixed query.</summary>
public sealed record LabelQuery(string Name, [property: Query] string? Label = null);

/// <summary>Input that sends a secret as a query parameter.</summary>
public sealed record TokenScenario(string Name, [property: Query("access_token")] string? Token = null);

/// <summary>An input sending several values under one secret-looking name (<c>?code=US&amp;code=FR</c>).</summary>
public sealed record CodesScenario(string Name, [property: Query("code")] IReadOnlyList<string> Codes);

/// <summary>An input that is a value type (its <c>default</c> builds no URL: a replay passes it).</summary>
public readonly record struct StructScenario(string Name);

/// <summary>A value-type input whose default is a real input (no label: no filter).</summary>
public readonly record struct OptionalLabel([property: Query("label")] string? Label);
