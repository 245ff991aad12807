using System.Text.Json.Serialization;

namespace ApiPipeline.Tests;

/// <summary>A record whose timestamp is a <see cref="DateTime"/>, as APIs that send no offset (<c>"2026-04-01T10:00:00"</c>) are read.</summary>
public sealed record LocalChange(long Id, DateTime UpdatedAt, DateTime? DeletedAt = null);

[JsonSerializable(typeof(LocalChange))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class LocalChangeJson : JsonSerializerContext;

[Extractor("http://localhost", "/{name}/changes", Json = typeof(LocalChangeJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Watermark(nameof(LocalChange.UpdatedAt), Param = "since")]
public sealed partial class LocalChanges : IExtractor<Scenario, LocalChange>;

[Extractor("http://localhost", "/{name}/changes", Json = typeof(LocalChangeJson))]
[Paginated(Pagination.None, RecordsPath = "data")]
[Watermark(nameof(LocalChange.DeletedAt), Param = "since")]
public sealed partial class LocalDeletions : IExtractor<Scenario, LocalChange>;

[CollectionDefinition(nameof(LocalTimeZoneCollection), DisableParallelization = true)]
public sealed class LocalTimeZoneCollection;

/// <summary>
/// A <see cref="DateTime"/> watermark is the same point in time on every machine: a timestamp without an offset is UTC, not the
/// machine's local time (which would move the stored watermark, and the next run's <c>since</c>, by the machine's offset). The
/// test sets the process's local time zone to UTC+05:00, so it runs alone.
/// </summary>
[Collection(nameof(LocalTimeZoneCollection))]
public sealed class DateTimeWatermarkTests
{
    [Fact]
    public void A_timestamp_without_an_offset_is_read_as_utc_whatever_the_machines_time_zone()
    {
        using var zone = LocalTimeZone.FixedOffset(TimeSpan.FromHours(5));
        var noon = new DateTime(2026, 4, 1, 10, 0, 0, DateTimeKind.Unspecified);
        var expected = WatermarkValue.FromTimestamp(new DateTimeOffset(2026, 4, 1, 10, 0, 0, TimeSpan.Zero));

        Assert.Equal(TimeSpan.FromHours(5), TimeZoneInfo.Local.GetUtcOffset(noon));
        Assert.Equal(expected, new LocalChanges().Watermark!.Read(new LocalChange(1, noon)));
        Assert.Equal(expected, new LocalDeletions().Watermark!.Read(new LocalChange(1, noon, noon)));
        Assert.Null(new LocalDeletions().Watermark!.Read(new LocalChange(1, noon)));

        // A value that says it is UTC, or local time, keeps its meaning.
        Assert.Equal(expected, new LocalChanges().Watermark!.Read(new LocalChange(1, DateTime.SpecifyKind(noon, DateTimeKind.Utc))));
        Assert.Equal(expected, new LocalChanges().Watermark!.Read(new LocalChange(1, new DateTime(2026, 4, 1, 15, 0, 0, DateTimeKind.Local))));
    }

    /// <summary>Sets the process's local time zone (<c>TZ</c>, read again after <see cref="TimeZoneInfo.ClearCachedData"/>) until disposed.</summary>
    private sealed class LocalTimeZone : IDisposable
    {
        private readonly string? _previous = Environment.GetEnvironmentVariable("TZ");
        private readonly string _file = Path.Combine(Path.GetTempPath(), $"apipipeline-tz-{Guid.NewGuid():N}");

        private LocalTimeZone(TimeSpan offset)
        {
            File.WriteAllBytes(_file, TzFile(offset));
            Environment.SetEnvironmentVariable("TZ", _file);
            TimeZoneInfo.ClearCachedData();
        }

        public static LocalTimeZone FixedOffset(TimeSpan offset) => new(offset);

        public void Dispose()
        {
            Environment.SetEnvironmentVariable("TZ", _previous);
            TimeZoneInfo.ClearCachedData();
            File.Delete(_file);
        }

        /// <summary>A TZif (version 1) file of one zone with a fixed offset and no transitions.</summary>
        private static byte[] TzFile(TimeSpan offset)
        {
            var bytes = new List<byte>();
            bytes.AddRange("TZif"u8.ToArray());
            bytes.Add(0); // version 1
            bytes.AddRange(new byte[15]);
            foreach (int count in new[] { 0, 0, 0, 0, 1, 4 }) // UT/local and standard/wall indicators, leap seconds, transitions, types, name bytes
            {
                bytes.AddRange(BigEndian(count));
            }

            bytes.AddRange(BigEndian((int)offset.TotalSeconds));
            bytes.Add(0); // not daylight saving time
            bytes.Add(0); // the name starts at 0
            bytes.AddRange("+05\0"u8.ToArray());
            return [.. bytes];
        }

        private static byte[] BigEndian(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
    }
}
