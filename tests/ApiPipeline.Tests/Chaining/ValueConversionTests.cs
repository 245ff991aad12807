namespace ApiPipeline.Tests.Chaining;

/// <summary>The conversions a YAML mapping may apply: the same set as C#'s implicit ones that lose nothing.</summary>
public sealed class ValueConversionTests
{
    [Fact]
    public void A_char_widens_to_numbers_as_its_code_as_in_CSharp()
    {
        Assert.Equal(65.0, ValueConversion.Find(typeof(char), typeof(double))!('A'));
        Assert.Equal(65m, ValueConversion.Find(typeof(char), typeof(decimal))!('A'));
        Assert.Equal(65L, ValueConversion.Find(typeof(char), typeof(long))!('A'));
    }

    [Fact]
    public void Dates_and_times_become_text_as_URLs_write_them()
    {
        Assert.Equal("2026-01-15", ValueConversion.Find(typeof(DateOnly), typeof(string))!(new DateOnly(2026, 1, 15)));
        Assert.Equal("14:30:15", ValueConversion.Find(typeof(TimeOnly?), typeof(string))!(new TimeOnly(14, 30, 15)));
        Assert.Equal("14:30:15.25", ChainMapping.Text(new TimeOnly(14, 30, 15, 250)));
        Assert.Null(ChainMapping.Text((TimeOnly?)null));
    }

    [Theory]
    [InlineData(typeof(byte))]
    [InlineData(typeof(ushort))]
    [InlineData(typeof(int))]
    public void Nothing_converts_to_a_char(Type source) => Assert.Null(ValueConversion.Find(source, typeof(char)));
}
