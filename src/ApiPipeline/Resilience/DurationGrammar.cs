using System.Globalization;
using System.Text;

namespace ApiPipeline;

/// <summary>
/// The one grammar of the durations written in attributes, in ticks: whole numbers with units, largest unit first, each unit at
/// most once, no spaces (<c>"500ms"</c>, <c>"1h30m"</c>); <c>"0"</c> is zero. The runtime's <c>Duration</c> parses with it,
/// and the analyzers compile this same file (linked into their project, so it uses only what netstandard2.0 has), so an attribute
/// the analyzers accept is one the runtime accepts, with the same words for what is wrong.
/// </summary>
internal static class DurationGrammar
{
    /// <summary>The accepted forms, as shown in error messages.</summary>
    public const string AcceptedForms = "whole numbers with the units d, h, m, s or ms, largest first, each at most once and without spaces, e.g. \"500ms\", \"30s\", \"2m\", \"1h30m\"; or \"0\"";

    /// <summary>The units, largest first.</summary>
    public static readonly string[] UnitNames = ["d", "h", "m", "s", "ms"];

    /// <summary>The ticks of each of <see cref="UnitNames"/>.</summary>
    public static readonly long[] UnitTicks = [System.TimeSpan.TicksPerDay, System.TimeSpan.TicksPerHour, System.TimeSpan.TicksPerMinute, System.TimeSpan.TicksPerSecond, System.TimeSpan.TicksPerMillisecond];

    /// <summary>Parses <paramref name="text"/>: the duration in ticks, or what is wrong with it (empty when it parses).</summary>
    public static bool TryParse(string? text, out long ticks, out string problem)
    {
        ticks = 0;
        if (text is null || text.Length == 0)
        {
            problem = "it is empty";
            return false;
        }

        if (text == "0")
        {
            problem = string.Empty;
            return true;
        }

        long total = 0;
        int position = 0;
        int nextUnit = 0;
        while (position < text.Length)
        {
            int start = position;
            long amount = 0;
            bool tooLarge = false;
            while (position < text.Length && text[position] is >= '0' and <= '9')
            {
                tooLarge |= amount > (long.MaxValue - (text[position] - '0')) / 10;
                amount = tooLarge ? 0 : (amount * 10) + (text[position] - '0');
                position++;
            }

            if (position == start)
            {
                problem = $"expected a digit at position {position}, found '{text[position]}'";
                return false;
            }

            if (tooLarge)
            {
                problem = "the number is too large";
                return false;
            }

            int unitStart = position;
            while (position < text.Length && text[position] is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z'))
            {
                position++;
            }

            if (position == unitStart)
            {
                problem = position >= text.Length
                    ? $"the number {amount.ToString(CultureInfo.InvariantCulture)} has no unit"
                    : $"unexpected '{text[position]}' at position {position}"
                        + (text[position] is '.' or ',' ? "; use a smaller unit instead of a fraction, e.g. \"1500ms\"" : string.Empty);
                return false;
            }

            int index = Unit(text, unitStart, position - unitStart);
            if (index < 0)
            {
                problem = $"'{text.Substring(unitStart, position - unitStart)}' is not a unit";
                return false;
            }

            if (index < nextUnit)
            {
                problem = $"the unit '{UnitNames[index]}' is repeated or out of order";
                return false;
            }

            nextUnit = index + 1;
            if (amount > (long.MaxValue - total) / UnitTicks[index])
            {
                problem = "it is too long";
                return false;
            }

            total += amount * UnitTicks[index];
        }

        ticks = total;
        problem = string.Empty;
        return true;
    }

    /// <summary>Writes a duration in the form <see cref="TryParse"/> reads (<c>1h30m</c>, <c>500ms</c>, <c>0</c>); sub-millisecond parts are dropped.</summary>
    public static string Format(long ticks)
    {
        var text = new StringBuilder();
        for (int u = 0; u < UnitNames.Length && ticks > 0; u++)
        {
            long count = ticks / UnitTicks[u];
            if (count > 0)
            {
                text.Append(count.ToString(CultureInfo.InvariantCulture)).Append(UnitNames[u]);
                ticks -= count * UnitTicks[u];
            }
        }

        return text.Length == 0 ? "0" : text.ToString();
    }

    private static int Unit(string text, int start, int length)
    {
        for (int u = 0; u < UnitNames.Length; u++)
        {
            if (UnitNames[u].Length == length && string.CompareOrdinal(text, start, UnitNames[u], 0, length) == 0)
            {
                return u;
            }
        }

        return -1;
    }
}
