using System.Globalization;

namespace ApiPipeline.Hosting;

/// <summary>
/// Builds an extractor's or chain's input from text (<c>--input owner=dotnet --input repo=runtime</c>, configuration), through the
/// input type's generated <see cref="TypeShape"/>: no reflection. <c>--from</c> and <c>--to</c> fill a member named like the start
/// (<c>since</c>, <c>from</c>, <c>start</c>, <c>after</c>, …) or the end (<c>until</c>, <c>to</c>, <c>end</c>, <c>before</c>, …) of a range: a
/// date member for a point in time, an <see cref="int"/> or <see cref="long"/> member for a number.
/// </summary>
public static class InputBinder
{
    private static readonly string[] StartNames = ["since", "from", "start", "after", "updatedsince", "startdate", "starttime", "modifiedsince", "createdsince", "sinceid", "afterid", "minid"];
    private static readonly string[] EndNames = ["until", "to", "end", "before", "updatedbefore", "enddate", "endtime", "beforeid", "untilid", "maxid"];

    /// <summary>Creates an input of <paramref name="shape"/>'s type from member values given as text.</summary>
    /// <param name="shape">The input type's shape.</param>
    /// <param name="values">Member name → text; names match ignoring case, <c>_</c> and <c>-</c>.</param>
    /// <param name="from">Fills the range-start member (a date member for a point in time, a whole-number member for a number).</param>
    /// <param name="to">Fills the range-end member, as <paramref name="from"/>.</param>
    /// <exception cref="InputBindingException">A name is not a member, a value does not parse, or a required member has no value.</exception>
    public static object Bind(TypeShape shape, IReadOnlyDictionary<string, string>? values, WatermarkValue? from = null, WatermarkValue? to = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Type == typeof(NoInput))
        {
            if (values is { Count: > 0 })
            {
                throw new InputBindingException($"{shape.TypeName} takes no input, but {string.Join(", ", values.Keys)} was given.");
            }

            if ((from ?? to) is { } range)
            {
                throw new InputBindingException($"{(from is null ? "--to" : "--from")} {range} has nothing to set: the extractor has no watermark to start a backfill at, and {shape.TypeName} takes no input with a range member.");
            }

            return NoInput.Value;
        }

        var slots = new object?[shape.Members.Count];
        Array.Fill(slots, ShapeValue.Unset);
        foreach (var (name, text) in Values(shape, values, from, to))
        {
            int index = shape.IndexOf(name);
            slots[index] = Convert(shape.Members[index], text);
        }

        var missing = shape.Members.Where((m, i) => m.Write == ShapeWrite.Required && slots[i] == ShapeValue.Unset).Select(m => m.Name).ToList();
        if (missing.Count > 0)
        {
            throw new InputBindingException($"{shape.TypeName} needs {string.Join(", ", missing)}; give {(missing.Count == 1 ? "it" : "them")} as --input {Kebab(missing[0])}=VALUE (members: {Describe(shape)}).");
        }

        if (!shape.CanCreate)
        {
            throw new InputBindingException($"{shape.TypeName} cannot be created from member values (it has no public constructor).");
        }

        return shape.Create(slots);
    }

    /// <summary>
    /// The member values, as text, that <see cref="Bind"/> creates the input from, keyed by the members' own names: <paramref name="values"/>
    /// (whose names may be typed in any case, with <c>_</c> or <c>-</c>), and <paramref name="from"/> and <paramref name="to"/> as the text of
    /// the range members they fill; binding them alone creates the same input.
    /// </summary>
    /// <exception cref="InputBindingException">A name is not a member that can be set, or a range has no member to fill.</exception>
    internal static Dictionary<string, string> Values(TypeShape shape, IReadOnlyDictionary<string, string>? values, WatermarkValue? from = null, WatermarkValue? to = null)
    {
        var texts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var given = new bool[shape.Members.Count];
        foreach (var (name, text) in values ?? new Dictionary<string, string>())
        {
            int index = shape.IndexOf(name);
            if (index < 0 || shape.Members[index].Write == ShapeWrite.None)
            {
                throw new InputBindingException($"'{name}' is not a member of {shape.TypeName} that can be set; its members are: {Describe(shape)}.");
            }

            texts[shape.Members[index].Name] = text; // under the member's own name, however it was typed
            given[index] = true;
        }

        Range(shape, texts, given, from, StartNames, "--from");
        Range(shape, texts, given, to, EndNames, "--to");
        return texts;
    }

    /// <summary>Parses <c>name=value</c> pairs.</summary>
    /// <param name="pairs">The pairs.</param>
    /// <exception cref="InputBindingException">A pair has no <c>=</c>.</exception>
    public static Dictionary<string, string> ParsePairs(IEnumerable<string>? pairs)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs ?? [])
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new InputBindingException($"'{pair}' is not name=value.");
            }

            values[pair[..eq].Trim()] = pair[(eq + 1)..];
        }

        return values;
    }

    /// <summary>The members of a shape as <c>name (type)</c>, for messages and <c>list</c>.</summary>
    /// <param name="shape">The shape.</param>
    public static string Describe(TypeShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var members = shape.Members.Where(m => m.Write != ShapeWrite.None).Select(m => $"{m.Name} ({m.TypeName}{(m.Write == ShapeWrite.Required ? ", required" : "")})").ToList();
        return members.Count == 0 ? "none" : string.Join(", ", members);
    }

    private static void Range(TypeShape shape, Dictionary<string, string> texts, bool[] given, WatermarkValue? value, string[] names, string option)
    {
        if (value is not { } mark)
        {
            return;
        }

        bool number = mark.Kind == WatermarkKind.Number;
        string? taken = null;
        for (int i = 0; i < shape.Members.Count; i++)
        {
            var member = shape.Members[i];
            string normalized = member.Name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
            if (member.Write != ShapeWrite.None && names.Contains(normalized) && (number ? IsWholeNumber(member.Type) : TypeShape.IsDate(member.Type)))
            {
                if (!given[i])
                {
                    texts[member.Name] = number ? mark.Number.ToString(CultureInfo.InvariantCulture) : mark.Timestamp.ToString("O", CultureInfo.InvariantCulture);
                    given[i] = true;
                    return;
                }

                taken ??= member.Name;
            }
        }

        if (taken is not null)
        {
            throw new InputBindingException($"{option} {mark} sets {shape.TypeName}.{taken}, which the input already gives (with --input, or in the configured Input); give it once.");
        }

        throw new InputBindingException($"{option} {mark} needs a {(number ? "whole-number" : "date")} member of {shape.TypeName} named {string.Join(", ", names.Take(4))}, …; its members are: {Describe(shape)}.");
    }

    private static bool IsWholeNumber(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(long) || type == typeof(int);
    }

    private static object? Convert(ShapeMember member, string text)
    {
        var type = Nullable.GetUnderlyingType(member.Type) ?? member.Type;
        var c = CultureInfo.InvariantCulture;
        try
        {
            if (text.Length == 0 && member.AllowsNull && type != typeof(string))
            {
                return null;
            }

            return type switch
            {
                _ when type == typeof(string) => text,
                _ when type == typeof(int) => int.Parse(text, NumberStyles.Integer, c),
                _ when type == typeof(long) => long.Parse(text, NumberStyles.Integer, c),
                _ when type == typeof(short) => short.Parse(text, NumberStyles.Integer, c),
                _ when type == typeof(byte) => byte.Parse(text, NumberStyles.Integer, c),
                _ when type == typeof(uint) => uint.Parse(text, NumberStyles.Integer, c),
                _ when type == typeof(ulong) => ulong.Parse(text, NumberStyles.Integer, c),
                _ when type == typeof(double) => double.Parse(text, NumberStyles.Float, c),
                _ when type == typeof(float) => float.Parse(text, NumberStyles.Float, c),
                _ when type == typeof(decimal) => decimal.Parse(text, NumberStyles.Number, c),
                _ when type == typeof(bool) => bool.Parse(text),
                _ when type == typeof(Guid) => Guid.Parse(text, c),
                _ when type == typeof(DateTimeOffset) => DateTimeOffset.Parse(text, c, DateTimeStyles.AssumeUniversal),
                _ when type == typeof(DateTime) => DateTime.Parse(text, c, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                _ when type == typeof(DateOnly) => DateOnly.FromDateTime(DateTimeOffset.Parse(text, c, DateTimeStyles.AssumeUniversal).UtcDateTime),
                _ when type == typeof(TimeSpan) => ExtractorSettings.ParseDuration(text),
                _ when type.IsEnum => Enum.Parse(type, text.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal), ignoreCase: true),
                _ when type == typeof(string[]) || type == typeof(IReadOnlyList<string>) || type == typeof(IEnumerable<string>) || type == typeof(List<string>) || type == typeof(IList<string>)
                    => type == typeof(List<string>) || type == typeof(IList<string>) ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList() : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                _ => throw new FormatException($"members of type {member.TypeName} cannot be given as text"),
            };
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            throw new InputBindingException($"'{text}' is not a valid {member.TypeName} for {member.Name}: {ex.Message}", ex);
        }
    }

    private static string Kebab(string name) => string.Concat(name.Select((ch, i) => char.IsUpper(ch) && i > 0 ? "-" + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));
}

/// <summary>An input could not be built from the text given; the message says what is expected. A usage error (exit code 64).</summary>
/// <param name="message">What is wrong.</param>
/// <param name="inner">The underlying error.</param>
public sealed class InputBindingException(string message, Exception? inner = null) : Exception(message, inner);
