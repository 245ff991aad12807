using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
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
        var scanner = new Scanner(new StringReader(text));
        var parser = new FlowTracker(new Parser(scanner));
        try
        {
            stream.Load(parser);
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException or ArgumentException)
        {
            var (line, column, detail) = Malformed(text, ex, scanner.CurrentPosition, parser.OpenFlow);
            throw new ConfigException(file, line, column, "not valid YAML: " + detail, ex);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
            throw new ConfigException(file, node?.Start.Line ?? 1, node?.Start.Column ?? 1, "expected a mapping of settings (key: value) at the top of the file");
        }

        return new YamlDocument(file, root);
    }

    /// <summary>
    /// Where YamlDotNet's failure to read <paramref name="text"/> lies and what it is, in plain words. YamlDotNet does not always say:
    /// a flow list or mapping left open (<c>key: [a</c>, <c>key: {</c>) fails on a later line for want of a ',' or its closing bracket, or with an
    /// <see cref="InvalidOperationException"/> and no position, so it is reported at its bracket; a tab in a line's indentation
    /// fails without a position (or at the value before it), so the tab is looked for from the line reported; a failure without a
    /// position is placed where the scanner stopped.
    /// </summary>
    private static (long Line, long Column, string Detail) Malformed(string text, Exception error, Mark stopped, ParsingEvent? openFlow)
    {
        var at = error is YamlException { Start: var start } && (!start.Equals(Mark.Empty) || stopped.Line == 1) ? start : stopped;
        // Only the flow parser's own complaint (no ',' or closing bracket where one was due, on a later line) means the bracket was
        // left open; any other error inside a list or mapping written over several lines (a quote, an escape) is reported where it is.
        if (openFlow is not null && (error is InvalidOperationException
            || (at.Line > openFlow.Start.Line && error.Message.Contains("did not find expected ','", StringComparison.Ordinal))))
        {
            return (openFlow.Start.Line, openFlow.Start.Column, openFlow is SequenceStart
                ? "the list started with '[' here is never closed with ']'"
                : "the mapping started with '{' here is never closed with '}'");
        }

        if (error.Message.Contains("tab character", StringComparison.Ordinal) || error.Message.Contains("invalid tab", StringComparison.Ordinal))
        {
            string[] lines = text.Split('\n');
            for (int i = (int)Math.Max(at.Line, 1) - 1; i < lines.Length; i++)
            {
                int tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
                if (tab >= 0 && lines[i][..tab].Trim(' ').Length == 0)
                {
                    return (i + 1, tab + 1, "a tab indents this line; YAML indents with spaces only");
                }
            }
        }

        string detail = error switch
        {
            // A quote never closed: the text runs to the end of the file, or on to a next line indented less than it may be.
            YamlException when error.Message.Contains("quoted scalar, found unexpected end of stream", StringComparison.Ordinal)
                || error.Message.Contains("quoted scalar, found wrong indentation", StringComparison.Ordinal) => "the quoted text starting here has no closing quote",
            YamlException yaml => yaml.InnerException?.Message ?? yaml.Message,
            _ => "the text here cannot be read as YAML",
        };
        return (at.Line, at.Column, detail);
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

    public long PositiveLong(YamlNode node, string what)
        => node is YamlScalarNode { Value: { } text } && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0
            ? value
            : throw Error(node, $"expected {what} as a whole number of at least 1, not '{(node as YamlScalarNode)?.Value}'");

    public int PositiveInt(YamlNode node, string what)
        => node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw Error(node, $"expected {what} as a whole number of at least 1, not '{(node as YamlScalarNode)?.Value}'");

    /// <summary>Whether the file's top-level mapping has <paramref name="key"/> (however the key is written: plain, quoted, in flow style).</summary>
    public bool HasKey(string key) => Root.Children.Keys.Any(k => k is YamlScalarNode { Value: var value } && value == key);

    public long NonNegativeLong(YamlNode node, string what)
        => node is YamlScalarNode { Value: { } text } && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw Error(node, $"expected {what} as a whole number of at least 0, not '{(node as YamlScalarNode)?.Value}'");

    public int NonNegativeInt(YamlNode node, string what)
        => node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw Error(node, $"expected {what} as a whole number of at least 0, not '{(node as YamlScalarNode)?.Value}'");

    public bool Bool(YamlNode node, string what)
        => (node as YamlScalarNode)?.Value switch
        {
            "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" => true,
            "false" or "False" or "FALSE" or "no" or "No" or "NO" => false,
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

    /// <summary>
    /// YamlDotNet's parser, remembering the innermost flow collection (<c>[…]</c>, <c>{…}</c>) still open, to point at its bracket when
    /// it is never closed. Flow collections hold only flow collections, so every end while one is open ends the innermost one.
    /// </summary>
    private sealed class FlowTracker(IParser parser) : IParser
    {
        private readonly Stack<ParsingEvent> _open = new();

        public ParsingEvent? Current => parser.Current;

        /// <summary>The innermost flow collection open: its start event.</summary>
        public ParsingEvent? OpenFlow => _open.Count > 0 ? _open.Peek() : null;

        public bool MoveNext()
        {
            if (!parser.MoveNext())
            {
                return false;
            }

            switch (parser.Current)
            {
                case SequenceStart { Style: SequenceStyle.Flow } or MappingStart { Style: MappingStyle.Flow }:
                    _open.Push(parser.Current);
                    break;
                case SequenceEnd or MappingEnd when _open.Count > 0:
                    _open.Pop();
                    break;
            }

            return true;
        }
    }
}
