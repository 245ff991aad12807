namespace ApiPipeline;

/// <summary>
/// The one parser of the durations written in attributes: whole numbers with units, largest unit first, each unit at most once,
/// no spaces: <c>"500ms"</c>, <c>"30s"</c>, <c>"2m"</c>, <c>"1h30m"</c>, <c>"1d"</c>, <c>"1m30s250ms"</c>; <c>"0"</c> is zero.
/// Units: <c>d</c> (days), <c>h</c> (hours), <c>m</c> (minutes), <c>s</c> (seconds), <c>ms</c> (milliseconds).
/// </summary>
public static class Duration
{
    /// <summary>The accepted forms, as shown in error messages.</summary>
    public const string AcceptedForms = DurationGrammar.AcceptedForms;

    /// <summary>Parses a duration such as <c>"500ms"</c> or <c>"1h30m"</c>.</summary>
    /// <param name="text">The duration.</param>
    /// <returns>The duration as a <see cref="TimeSpan"/>.</returns>
    /// <exception cref="FormatException">The text is not a duration; the message names it and the accepted forms.</exception>
    public static TimeSpan Parse(string text)
        => DurationGrammar.TryParse(text, out long ticks, out var problem)
            ? TimeSpan.FromTicks(ticks)
            : throw new FormatException($"The duration \"{text}\" is not valid ({problem}); write {AcceptedForms}.");

    /// <summary>Parses a duration such as <c>"500ms"</c> or <c>"1h30m"</c>, without throwing.</summary>
    /// <param name="text">The duration.</param>
    /// <param name="value">The duration, when the text is valid.</param>
    /// <returns>Whether the text is a valid duration.</returns>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        bool parsed = DurationGrammar.TryParse(text, out long ticks, out _);
        value = TimeSpan.FromTicks(ticks);
        return parsed;
    }

    /// <summary>Writes a duration in the form <see cref="Parse"/> reads (<c>1h30m</c>, <c>500ms</c>, <c>0</c>); sub-millisecond parts are dropped.</summary>
    /// <param name="value">A non-negative duration.</param>
    public static string Format(TimeSpan value) => DurationGrammar.Format(value.Ticks);
}
