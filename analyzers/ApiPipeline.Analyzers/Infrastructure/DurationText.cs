using System;
using System.Globalization;
using System.Text;

namespace ApiPipeline.Analyzers;

/// <summary>
/// Mirrors <c>ApiPipeline.Duration</c> (the one duration grammar of the attributes: whole numbers with the units d, h, m, s, ms,
/// largest first, each at most once, no spaces; <c>"0"</c> is zero), since analyzers cannot reference the runtime.
/// <c>HelperTests</c> checks that both agree on a table of literals. Adds <see cref="TryCanonical"/>: the canonical form of a
/// parseable or common human-written duration, for the code fix.
/// </summary>
internal static class DurationText
{
    /// <summary>The accepted forms, as in <c>Duration.AcceptedForms</c>.</summary>
    public const string AcceptedForms = "whole numbers with the units d, h, m, s or ms, largest first, each at most once and without spaces, e.g. \"500ms\", \"30s\", \"2m\", \"1h30m\"; or \"0\"";

    private const long TicksPerMillisecond = 10_000;

    private static readonly string[] UnitNames = ["d", "h", "m", "s", "ms"];

    private static readonly long[] UnitTicks =
    [
        TicksPerMillisecond * 1000 * 60 * 60 * 24,
        TicksPerMillisecond * 1000 * 60 * 60,
        TicksPerMillisecond * 1000 * 60,
        TicksPerMillisecond * 1000,
        TicksPerMillisecond,
    ];

    /// <summary>Parses like <c>Duration.TryParse</c>: the duration in ticks, or a problem in the runtime's words.</summary>
    public static bool TryParse(string? text, out long ticks, out string problem)
    {
        ticks = 0;
        if (string.IsNullOrEmpty(text))
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
        while (position < text!.Length)
        {
            int start = position;
            while (position < text.Length && text[position] is >= '0' and <= '9')
            {
                position++;
            }

            if (position == start)
            {
                problem = $"expected a digit at position {position}, found '{text[position]}'";
                return false;
            }

            if (!long.TryParse(text.Substring(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out long amount))
            {
                problem = "the number is too large";
                return false;
            }

            int unitStart = position;
            while (position < text.Length && text[position] is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z'))
            {
                position++;
            }

            string unit = text.Substring(unitStart, position - unitStart);
            if (unit.Length == 0)
            {
                problem = position >= text.Length
                    ? $"the number {amount.ToString(CultureInfo.InvariantCulture)} has no unit"
                    : $"unexpected '{text[position]}' at position {position}"
                        + (text[position] is '.' or ',' ? "; use a smaller unit instead of a fraction, e.g. \"1500ms\"" : string.Empty);
                return false;
            }

            int index = Array.IndexOf(UnitNames, unit);
            if (index < 0)
            {
                problem = $"'{unit}' is not a unit";
                return false;
            }

            if (index < nextUnit)
            {
                problem = $"the unit '{UnitNames[index]}' is repeated or out of order";
                return false;
            }

            nextUnit = index + 1;
            try
            {
                total = checked(total + checked(amount * UnitTicks[index]));
            }
            catch (OverflowException)
            {
                problem = "it is too long";
                return false;
            }
        }

        ticks = total;
        problem = string.Empty;
        return true;
    }

    /// <summary>Writes a duration as <c>Duration.Format</c> does (<c>1h30m</c>, <c>500ms</c>, <c>0</c>).</summary>
    public static string Format(long ticks)
    {
        if (ticks <= 0)
        {
            return "0";
        }

        var text = new StringBuilder();
        for (int u = 0; u < UnitNames.Length; u++)
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

    /// <summary>
    /// The canonical form of <paramref name="text"/> when it is unambiguous: a valid duration written differently (<c>"90s"</c> →
    /// <c>"1m30s"</c>), or a common human form: spaces (<c>"1h 30m"</c>), words and abbreviations (<c>"5 minutes"</c>,
    /// <c>"5 min"</c>, <c>"2 seconds"</c>, <c>"1 hr"</c>, <c>"200 msec"</c>), upper case (<c>"5M"</c> is not guessed: it could be
    /// months). Sub-millisecond results and anything else give <see langword="null"/>.
    /// </summary>
    public static string? TryCanonical(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (TryParse(text, out long ticks, out _))
        {
            return Format(ticks);
        }

        string trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            return null;
        }

        long total = 0;
        int position = 0;
        int nextUnit = 0;
        while (position < trimmed.Length)
        {
            while (position < trimmed.Length && (trimmed[position] == ' ' || (position > 0 && trimmed[position] == ',')))
            {
                position++;
            }

            int start = position;
            while (position < trimmed.Length && trimmed[position] is >= '0' and <= '9')
            {
                position++;
            }

            if (position == start || !long.TryParse(trimmed.Substring(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out long amount))
            {
                return null;
            }

            while (position < trimmed.Length && trimmed[position] == ' ')
            {
                position++;
            }

            int unitStart = position;
            while (position < trimmed.Length && trimmed[position] is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z'))
            {
                position++;
            }

            int index = UnitIndex(trimmed.Substring(unitStart, position - unitStart));
            if (index < nextUnit)
            {
                return null;
            }

            nextUnit = index + 1;
            try
            {
                total = checked(total + checked(amount * UnitTicks[index]));
            }
            catch (OverflowException)
            {
                return null;
            }

            while (position < trimmed.Length && trimmed[position] == ' ')
            {
                position++;
            }

            if (position < trimmed.Length && trimmed[position] == ',')
            {
                position++;
            }
            else if (position + 3 < trimmed.Length && string.CompareOrdinal(trimmed, position, "and ", 0, 4) == 0)
            {
                position += 4;
            }
        }

        return Format(total);
    }

    // -1 (not a unit) is below every nextUnit, so an unknown word fails the caller's order check.
    private static int UnitIndex(string word)
        => word switch
        {
            "d" or "day" or "days" => 0,
            "h" or "hr" or "hrs" or "hour" or "hours" => 1,
            "m" or "min" or "mins" or "minute" or "minutes" => 2,
            "s" or "sec" or "secs" or "second" or "seconds" => 3,
            "ms" or "msec" or "msecs" or "millisecond" or "milliseconds" => 4,
            _ => -1,
        };
}
