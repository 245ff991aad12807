using System.Globalization;
using System.Text;

namespace ApiPipeline;

/// <summary>
/// The one parser of the durations written in attributes: whole numbers with units, largest unit first, each unit at most once,
/// no spaces: <c>"500ms"</c>, <c>"30s"</c>, <c>"2m"</c>, <c>"1h30m"</c>, <c>"1d"</c>, <c>"1m30s250ms"</c>; <c>"0"</c> is zero.
/// Units: <c>d</c> (days), <c>h</c> (hours), <c>m</c> (minutes), <c>s</c> (seconds), <c>ms</c> (milliseconds).
/// </summary>
public static class Duration
{
    /// <summary>The accepted forms, as shown in error messages.</summary>
    public const string AcceptedForms = "whole numbers with the units d, h, m, s or ms, largest first, each at most once and without spaces, e.g. \"500ms\", \"30s\", \"2m\", \"1h30m\"; or \"0\"";

    private static readonly (string Unit, long TicksPerUnit)[] Units =
    [
        ("d", TimeSpan.TicksPerDay),
        ("h", TimeSpan.TicksPerHour),
        ("m", TimeSpan.TicksPerMinute),
        ("s", TimeSpan.TicksPerSecond),
        ("ms", TimeSpan.TicksPerMillisecond),
    ];

    /// <summary>Parses a duration such as <c>"500ms"</c> or <c>"1h30m"</c>.</summary>
    /// <param name="text">The duration.</param>
    /// <returns>The duration as a <see cref="TimeSpan"/>.</returns>
    /// <exception cref="FormatException">The text is not a duration; the message names it and the accepted forms.</exception>
    public static TimeSpan Parse(string text)
        => TryParse(text, out var value, out var problem)
            ? value
            : throw new FormatException($"The duration \"{text}\" is not valid ({problem}); write {AcceptedForms}.");

    /// <summary>Parses a duration such as <c>"500ms"</c> or <c>"1h30m"</c>, without throwing.</summary>
    /// <param name="text">The duration.</param>
    /// <param name="value">The duration, when the text is valid.</param>
    /// <returns>Whether the text is a valid duration.</returns>
    public static bool TryParse(string? text, out TimeSpan value) => TryParse(text, out value, out _);

    /// <summary>Writes a duration in the form <see cref="Parse"/> reads (<c>1h30m</c>, <c>500ms</c>, <c>0</c>); sub-millisecond parts are dropped.</summary>
    /// <param name="value">A non-negative duration.</param>
    public static string Format(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0";
        }

        var text = new StringBuilder();
        long ticks = value.Ticks;
        foreach (var (unit, size) in Units)
        {
            long count = ticks / size;
            if (count > 0)
            {
                text.Append(count.ToString(CultureInfo.InvariantCulture)).Append(unit);
                ticks -= count * size;
            }
        }

        return text.Length == 0 ? "0" : text.ToString();
    }

    private static bool TryParse(string? text, out TimeSpan value, out string problem)
    {
        value = TimeSpan.Zero;
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
        while (position < text.Length)
        {
            int start = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }

            if (position == start)
            {
                problem = $"expected a digit at position {position}, found '{text[position]}'";
                return false;
            }

            if (!long.TryParse(text.AsSpan(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out long amount))
            {
                problem = "the number is too large";
                return false;
            }

            int unitStart = position;
            while (position < text.Length && char.IsAsciiLetter(text[position]))
            {
                position++;
            }

            var unit = text.AsSpan(unitStart, position - unitStart);
            if (unit.IsEmpty)
            {
                const string NoFractions = "; use a smaller unit instead of a fraction, e.g. \"1500ms\"";
                problem = position >= text.Length
                    ? $"the number {amount.ToString(CultureInfo.InvariantCulture)} has no unit"
                    : $"unexpected '{text[position]}' at position {position}" + (text[position] is '.' or ',' ? NoFractions : string.Empty);
                return false;
            }

            int index = -1;
            for (int u = 0; u < Units.Length; u++)
            {
                if (unit.SequenceEqual(Units[u].Unit))
                {
                    index = u;
                    break;
                }
            }

            if (index < 0)
            {
                problem = $"'{unit.ToString()}' is not a unit";
                return false;
            }

            if (index < nextUnit)
            {
                problem = $"the unit '{Units[index].Unit}' is repeated or out of order";
                return false;
            }

            nextUnit = index + 1;
            try
            {
                total = checked(total + checked(amount * Units[index].TicksPerUnit));
            }
            catch (OverflowException)
            {
                problem = "it is too long";
                return false;
            }
        }

        value = TimeSpan.FromTicks(total);
        problem = string.Empty;
        return true;
    }
}
