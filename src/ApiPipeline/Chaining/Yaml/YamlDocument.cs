using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ApiPipeline;

/// <summary>
/// A YAML configuration file read with YamlDotNet's representation model (its parser and node tree, no object mapping, so no
/// reflection), with helpers that fail with <see cref="ConfigException"/>s naming the file, line and column.
/// </summary>
internal sealed class YamlDocument
{
    private YamlDocument(string file, YamlMappingNode root)
    {
        File = file;
        Root = root;
    }

    public string File { get; }

    public YamlMappingNode Root { get; }

    public static YamlDocument Parse(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new ConfigException(file, ex.Start.Line, ex.Start.Column, "not valid YAML: " + (ex.InnerException?.Message ?? ex.Message), ex);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Duplicate keys and some malformed documents surface from the node tree without a position.
            throw new ConfigException(file, 1, 1, "not valid YAML: " + ex.Message, ex);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
            throw new ConfigException(file, node?.Start.Line ?? 1, node?.Start.Column ?? 1, "expected a mapping of settings (key: value) at the top of the file");
        }

        return new YamlDocument(file, root);
    }

    public ConfigException Error(YamlNode node, string detail) => new(File, node.Start.Line, node.Start.Column, detail);

    /// <summary>
    /// The keys of <paramref name="mapping"/> as scalars, failing on a key not in <paramref name="allowed"/> (named with what it is in;
    /// <see langword="null"/> allows any key).
    /// </summary>
    public Dictionary<string, (YamlScalarNode Key, YamlNode Value)> Fields(YamlMappingNode mapping, string where, params string[]? allowed)
    {
        var fields = new Dictionary<string, (YamlScalarNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } scalar)
            {
                throw Error(keyNode, $"expected a plain key in {where}");
            }

            if (allowed is not null && !allowed.Contains(key, StringComparer.Ordinal))
            {
                throw Error(keyNode, $"unknown field '{key}' in {where}; expected one of: {string.Join(", ", allowed)}");
            }

            if (!fields.TryAdd(key, (scalar, value)))
            {
                throw Error(keyNode, $"'{key}' is given twice in {where}");
            }
        }

        return fields;
    }

    public YamlNode Required(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> fields, YamlNode owner, string key, string where)
        => fields.TryGetValue(key, out var field) ? field.Value : throw Error(owner, $"{where} needs '{key}'");

    public string Text(YamlNode node, string what)
        => node is YamlScalarNode { Value: { Length: > 0 } value } ? value : throw Error(node, $"expected {what} as text");

    public YamlMappingNode Mapping(YamlNode node, string what)
        => node as YamlMappingNode ?? throw Error(node, $"expected {what} as a mapping (key: value lines)");

    public YamlSequenceNode Sequence(YamlNode node, string what)
        => node as YamlSequenceNode ?? throw Error(node, $"expected {what} as a list ('- ' items)");

    public int PositiveInt(YamlNode node, string what)
        => node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw Error(node, $"expected {what} as a whole number of at least 1, not '{(node as YamlScalarNode)?.Value}'");

    public int NonNegativeInt(YamlNode node, string what)
        => node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw Error(node, $"expected {what} as a whole number of at least 0, not '{(node as YamlScalarNode)?.Value}'");

    public bool Bool(YamlNode node, string what)
        => (node as YamlScalarNode)?.Value switch
        {
            "true" or "True" or "yes" => true,
            "false" or "False" or "no" => false,
            var other => throw Error(node, $"expected {what} as true or false, not '{other}'"),
        };

    /// <summary>One of <paramref name="choices"/> (snake_case names in the file), mapped to its value.</summary>
    public T Choice<T>(YamlNode node, string what, params (string Name, T Value)[] choices)
    {
        string? text = (node as YamlScalarNode)?.Value;
        foreach (var (name, value) in choices)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        throw Error(node, $"'{text}' is not a valid {what}; expected one of: {string.Join(", ", choices.Select(c => c.Name))}");
    }

    public TimeSpan Duration(YamlNode node, string what)
    {
        string? text = (node as YamlScalarNode)?.Value;
        return ApiPipeline.Duration.TryParse(text, out var value)
            ? value
            : throw Error(node, $"'{text}' is not a valid {what}; write a duration such as 30s, 5m, 1h or 1h30m");
    }
}
