using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace ApiPipeline.Generators.Helpers;

/// <summary>An indented text writer for generated C#.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4);
        }

        _text.Append(line).Append('\n');
        return this;
    }

    public SourceWriter Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public SourceText ToSourceText() => SourceText.From(_text.ToString(), Encoding.UTF8);

    public override string ToString() => _text.ToString();
}
