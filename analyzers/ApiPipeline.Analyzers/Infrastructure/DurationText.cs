using System;
using System.Globalization;

namespace ApiPipeline.Analyzers;

/// <summary>
/// The duration code fix's guesses. The grammar itself is the runtime's <c>DurationGrammar</c>, compiled into this assembly from the
/// runtime's source file (see the project file), so the analyzers and the runtime accept the same durations with the same messages.
/// </summary>
internal static class DurationText
{
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

        if (DurationGrammar.TryParse(text, out long ticks, out _))
        {
            return DurationGrammar.Format(ticks);
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
                total = checked(total + checked(amount * DurationGrammar.UnitTicks[index]));
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

        return DurationGrammar.Format(total);
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
