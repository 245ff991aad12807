namespace ApiPipeline.Analyzers.Tests;

/// <summary>
/// The duration grammar as the analyzers compile it (<see cref="DurationGrammar"/>, netstandard2.0) agrees with the runtime's
/// <see cref="Duration"/> on a table of literals; and the code fix's guesses (<see cref="DurationText"/>).
/// </summary>
public class DurationGrammarTests
{
    public static TheoryData<string?> Literals() =>
    [
        null, "", "0", "00", "0s", "0ms", "500ms", "30s", "2m", "1h30m", "1d", "1m30s250ms", "90s", "1500ms", "24h", "1d2h3m4s5ms",
        "5 minutes", "5min", "1x", "1h 30m", " 1h", "1h ", "30s2m", "1h1h", "1.5s", "1,5s", "-1s", "+1s", "1S", "5M", "1H", "m", "s1",
        "10", "ms", "1msx", "1sm", "1hms", "9223372036854775807ms", "9223372036854775808ms", "99999999999d", "1d1d", "1m1s1ms", "1s1m",
        "\u0661s", "1\u00b5s", "1\ts", "0h0m", "007s",
    ];

    [Theory]
    [MemberData(nameof(Literals))]
    public void Parse_agrees_with_Duration(string? text)
    {
        bool runtime = Duration.TryParse(text, out var expected);
        bool analyzer = DurationGrammar.TryParse(text, out long ticks, out string problem);
        Assert.Equal(runtime, analyzer);
        if (runtime)
        {
            Assert.Equal(expected.Ticks, ticks);
            Assert.Equal(Duration.Format(expected), DurationGrammar.Format(ticks));
        }
        else
        {
            // The problem is the runtime's own wording (its FormatException message embeds it).
            var exception = Assert.Throws<FormatException>(() => Duration.Parse(text!));
            Assert.Contains("(" + problem + ")", exception.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("90s", "1m30s")]
    [InlineData("1500ms", "1s500ms")]
    [InlineData("1h30m", "1h30m")]
    [InlineData("0s", "0")]
    [InlineData("1h 30m", "1h30m")]
    [InlineData("5 min", "5m")]
    [InlineData("5 minutes", "5m")]
    [InlineData("2 seconds", "2s")]
    [InlineData("1 hour, 15 minutes", "1h15m")]
    [InlineData("1 hour and 15 minutes", "1h15m")]
    [InlineData("250 msec", "250ms")]
    [InlineData("2 days", "2d")]
    [InlineData(" 30s ", "30s")]
    [InlineData("5M", null)]
    [InlineData("1.5s", null)]
    [InlineData("1x", null)]
    [InlineData("", null)]
    [InlineData("soon", null)]
    [InlineData("30s 2m", null)]
    [InlineData("5 minutes ago", null)]
    public void Canonical_form(string text, string? expected)
    {
        string? canonical = DurationText.TryCanonical(text);
        Assert.Equal(expected, canonical);
        if (canonical is not null)
        {
            Assert.Equal(canonical, Duration.Format(Duration.Parse(canonical)));
        }
    }
}
