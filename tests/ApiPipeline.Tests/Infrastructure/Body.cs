namespace ApiPipeline.Tests;

/// <summary>JSON bodies for the test server, written as text so the tests see exactly what goes over the wire.</summary>
public static class Body
{
    /// <summary><c>{"id":7,"name":"item-7"}</c>.</summary>
    public static string Item(long id) => $$$"""{"id":{{{id}}},"name":"item-{{{id}}}"}""";

    /// <summary>A JSON array of <see cref="Item"/> objects.</summary>
    public static string Items(params long[] ids) => "[" + string.Join(",", ids.Select(Item)) + "]";

    /// <summary>The ids <paramref name="from"/> … <paramref name="from"/> + <paramref name="count"/> - 1.</summary>
    public static long[] Ids(long from, int count) => [.. Enumerable.Range(0, count).Select(i => from + i)];

    /// <summary>A JSON string literal (quotes included) or <c>null</c>.</summary>
    public static string Str(string? value) => value is null ? "null" : System.Text.Json.JsonSerializer.Serialize(value, TestJson.Default.String);
}
