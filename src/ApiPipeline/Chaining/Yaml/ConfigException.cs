namespace ApiPipeline;

/// <summary>
/// A configuration file is wrong: unknown class, unknown field, bad mapping or bad value. The message starts with
/// <c>file(line,column)</c> and says what was expected.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The file (or the name given to text).</param>
    /// <param name="line">The 1-based line.</param>
    /// <param name="column">The 1-based column.</param>
    /// <param name="detail">What is wrong and what was expected.</param>
    /// <param name="innerException">The underlying error.</param>
    public ConfigException(string file, long line, long column, string detail, Exception? innerException = null)
        : base($"{file}({line},{column}): {detail}", innerException)
    {
        File = file;
        Line = line;
        Column = column;
        Detail = detail;
    }

    /// <summary>The file.</summary>
    public string File { get; }

    /// <summary>The 1-based line.</summary>
    public long Line { get; }

    /// <summary>The 1-based column.</summary>
    public long Column { get; }

    /// <summary>What is wrong and what was expected.</summary>
    public string Detail { get; }
}
