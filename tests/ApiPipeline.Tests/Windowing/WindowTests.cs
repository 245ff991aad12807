namespace ApiPipeline.Tests;

public sealed class WindowTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 7, 13, 0, TimeSpan.Zero);

    [Fact]
    public void Fixed_windows_align_to_the_size_and_are_clipped_to_the_range()
    {
        var windows = Windows.Split(T0, T0.AddHours(50), new WindowOptions { Size = TimeSpan.FromHours(24) }).ToArray();

        Assert.Equal(
            [
                new TimeWindow(T0, new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero)),
                new TimeWindow(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 3, 0, 0, 0, TimeSpan.Zero)),
                new TimeWindow(new DateTimeOffset(2026, 3, 3, 0, 0, 0, TimeSpan.Zero), T0.AddHours(50)),
            ],
            windows);
    }

    [Fact]
    public void No_sliding_window_lies_inside_another_and_together_they_still_cover_the_range()
    {
        // Windows clipped at the range's edges can fall inside a neighbour (each record would be read once more): they are left out.
        var random = new Random(7);
        for (int trial = 0; trial < 300; trial++)
        {
            var size = TimeSpan.FromHours(random.Next(2, 30));
            var overlap = TimeSpan.FromHours(random.Next(1, (int)size.TotalHours));
            var start = DateTimeOffset.UnixEpoch.AddHours(random.Next(0, 500_000));
            var end = start.AddHours(random.Next(1, 100));
            var windows = Windows.Split(start, end, new WindowOptions { Type = WindowType.Sliding, Size = size, Overlap = overlap }).ToArray();

            Assert.Equal(start, windows[0].Start);
            Assert.Equal(end, windows[^1].End);
            for (int i = 1; i < windows.Length; i++)
            {
                Assert.True(windows[i].Start > windows[i - 1].Start && windows[i].End > windows[i - 1].End, $"{windows[i - 1]} and {windows[i]}");
                Assert.True(windows[i].Start <= windows[i - 1].End, $"a gap between {windows[i - 1]} and {windows[i]}");
            }
        }
    }

    [Fact]
    public void A_window_as_long_as_time_is_one_window_not_an_endless_loop()
    {
        var windows = Windows.Split(T0, DateTimeOffset.MaxValue, new WindowOptions { Size = TimeSpan.MaxValue }).Take(3).ToArray();

        Assert.Equal([new TimeWindow(T0, DateTimeOffset.MaxValue)], windows);
    }

    [Fact]
    public void A_session_ending_at_the_end_of_time_ends_there()
    {
        var sessions = Windows.Sessions(new[] { T0, DateTimeOffset.MaxValue }, t => t, TimeSpan.FromHours(1)).ToArray();

        Assert.Equal(2, sessions.Length);
        Assert.Equal(new TimeWindow(DateTimeOffset.MaxValue, DateTimeOffset.MaxValue), sessions[1].Item1);
    }

    [Fact]
    public void Offset_shifts_fixed_window_boundaries()
    {
        var windows = Windows.Split(T0, T0.AddHours(3), new WindowOptions { Size = TimeSpan.FromHours(1), Offset = TimeSpan.FromMinutes(30) }).ToArray();

        Assert.Equal(new DateTimeOffset(2026, 3, 1, 7, 30, 0, TimeSpan.Zero), windows[0].End);
        Assert.All(windows.Skip(1), w => Assert.Equal(30, w.Start.Minute));
    }

    // Property: every instant of [start, end) is in exactly one fixed window, and windows tile the range without gaps.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Every_instant_belongs_to_exactly_one_fixed_window(int seed)
    {
        var random = new Random(seed);
        for (int trial = 0; trial < 200; trial++)
        {
            var start = DateTimeOffset.UnixEpoch.AddSeconds(random.NextInt64(0, 2_000_000_000));
            var end = start.AddSeconds(random.Next(0, 500_000));
            var options = new WindowOptions
            {
                Size = TimeSpan.FromSeconds(random.Next(1, 100_000)),
                Offset = TimeSpan.FromSeconds(random.Next(-50_000, 50_000)),
            };
            var windows = Windows.Split(start, end, options).ToArray();

            if (start == end)
            {
                Assert.Empty(windows);
                continue;
            }

            Assert.Equal(start, windows[0].Start);
            Assert.Equal(end, windows[^1].End);
            for (int i = 1; i < windows.Length; i++)
            {
                Assert.Equal(windows[i - 1].End, windows[i].Start);
            }

            Assert.All(windows, w => Assert.True(w.Start < w.End && w.Length <= options.Size, $"bad window {w}"));
            for (int probe = 0; probe < 20; probe++)
            {
                var instant = start.AddTicks(random.NextInt64(0, (end - start).Ticks));
                Assert.Single(windows, w => w.Contains(instant));
            }
        }
    }

    // Property: neighbouring sliding windows overlap by exactly the overlap (except where clipped at the range's ends).
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Sliding_windows_overlap_by_exactly_the_overlap(int seed)
    {
        var random = new Random(seed);
        for (int trial = 0; trial < 200; trial++)
        {
            var size = TimeSpan.FromMinutes(random.Next(2, 600));
            var overlap = TimeSpan.FromMinutes(random.Next(0, (int)size.TotalMinutes));
            var start = DateTimeOffset.UnixEpoch.AddMinutes(random.Next(0, 10_000_000));
            var end = start.AddMinutes(random.Next(1, 5000));
            var windows = Windows.Split(start, end, new WindowOptions { Type = WindowType.Sliding, Size = size, Overlap = overlap }).ToArray();

            Assert.Equal(start, windows[0].Start);
            Assert.Equal(end, windows[^1].End);
            for (int i = 1; i < windows.Length; i++)
            {
                var shared = windows[i - 1].End - windows[i].Start;
                bool clipped = windows[i - 1].Start == start || windows[i].End == end;
                if (!clipped)
                {
                    Assert.Equal(overlap, shared);
                    Assert.Equal(size, windows[i].Length);
                }
                else
                {
                    Assert.True(shared <= overlap, $"windows {windows[i - 1]} and {windows[i]} share {shared}, more than {overlap}");
                }
            }

            // Every instant is covered at least once.
            var instant = start.AddTicks(random.NextInt64(0, (end - start).Ticks));
            Assert.Contains(windows, w => w.Contains(instant));
        }
    }

    [Fact]
    public void Global_window_is_the_whole_range()
        => Assert.Equal([new TimeWindow(T0, T0.AddDays(400))], Windows.Split(T0, T0.AddDays(400), new WindowOptions { Type = WindowType.Global }));

    [Fact]
    public void Session_windows_split_on_gaps_longer_than_the_session_gap()
    {
        DateTimeOffset[] times = [T0, T0.AddMinutes(10), T0.AddMinutes(40), T0.AddMinutes(71), T0.AddMinutes(200)];
        var sessions = Windows.Sessions(times, t => t, TimeSpan.FromMinutes(30)).ToArray();

        Assert.Equal(3, sessions.Length);
        Assert.Equal([T0, T0.AddMinutes(10), T0.AddMinutes(40)], sessions[0].Records);
        Assert.Equal([T0.AddMinutes(71)], sessions[1].Records);
        Assert.Equal(T0, sessions[0].Window.Start);
        Assert.True(sessions[0].Window.Contains(T0.AddMinutes(40)));
        Assert.False(sessions[0].Window.Contains(T0.AddMinutes(41)));
    }

    [Fact]
    public void Session_windows_need_records_in_time_order()
        => Assert.Throws<ArgumentException>(() => Windows.Sessions([T0, T0.AddMinutes(-1)], t => t, TimeSpan.FromMinutes(30)).ToArray());

    [Fact]
    public void Halving_a_window_gives_two_adjacent_halves()
    {
        var (first, second) = new TimeWindow(T0, T0.AddHours(2)).Halve();
        Assert.Equal(new TimeWindow(T0, T0.AddHours(1)), first);
        Assert.Equal(new TimeWindow(T0.AddHours(1), T0.AddHours(2)), second);
    }

    [Fact]
    public void Bad_settings_are_clear_errors()
    {
        var overlap = Assert.Throws<ArgumentException>(() => Windows.Split(T0, T0.AddDays(1), new WindowOptions { Type = WindowType.Sliding, Size = TimeSpan.FromHours(1), Overlap = TimeSpan.FromHours(1) }).ToArray());
        Assert.Contains("Overlap", overlap.Message, StringComparison.Ordinal);
        var reversed = Assert.Throws<ArgumentException>(() => Windows.Split(T0, T0.AddDays(-1), new WindowOptions()).ToArray());
        Assert.Contains("before its start", reversed.Message, StringComparison.Ordinal);
    }
}
