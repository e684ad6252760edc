using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Xray;

public sealed class LocalTimeConverterTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo Tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

    [Fact]
    public void Utc_is_taken_as_written()
    {
        var converter = new LocalTimeConverter();
        DateTime utc = converter.ToUtc(new DateTime(2025, 11, 17, 23, 59, 59, 123), TimeZoneInfo.Utc);
        Assert.Equal(new DateTime(2025, 11, 17, 23, 59, 59, 123, DateTimeKind.Utc), utc);
        Assert.Equal(DateTimeKind.Utc, utc.Kind);
    }

    [Fact]
    public void A_line_after_midnight_in_Tokyo_belongs_to_the_previous_UTC_day()
    {
        var converter = new LocalTimeConverter();
        Assert.Equal(new DateTime(2025, 11, 17, 15, 30, 0, DateTimeKind.Utc), converter.ToUtc(new DateTime(2025, 11, 18, 0, 30, 0), Tokyo));
    }

    [Fact]
    public void Summer_and_winter_offsets_both_apply_in_one_converter()
    {
        var converter = new LocalTimeConverter();
        Assert.Equal(new DateTime(2025, 7, 1, 10, 0, 0, DateTimeKind.Utc), converter.ToUtc(new DateTime(2025, 7, 1, 12, 0, 0), Berlin));
        Assert.Equal(new DateTime(2025, 12, 1, 11, 0, 0, DateTimeKind.Utc), converter.ToUtc(new DateTime(2025, 12, 1, 12, 0, 0), Berlin));
    }

    [Fact]
    public void The_repeated_hour_when_daylight_saving_ends_is_read_as_standard_time()
    {
        // 2025-10-26 02:30 happens twice in Berlin (CEST, then CET); the documented choice is CET (+01:00).
        var converter = new LocalTimeConverter();
        Assert.Equal(new DateTime(2025, 10, 26, 1, 30, 0, DateTimeKind.Utc), converter.ToUtc(new DateTime(2025, 10, 26, 2, 30, 0), Berlin));
        Assert.Equal(new DateTime(2025, 10, 25, 23, 59, 0, DateTimeKind.Utc), converter.ToUtc(new DateTime(2025, 10, 26, 1, 59, 0), Berlin));
        Assert.Equal(new DateTime(2025, 10, 26, 2, 0, 0, DateTimeKind.Utc), converter.ToUtc(new DateTime(2025, 10, 26, 3, 0, 0), Berlin));
    }

    [Fact]
    public void A_time_skipped_when_daylight_saving_starts_is_read_with_the_standard_offset()
    {
        // 2025-03-30 02:30 does not exist in Berlin; read as +01:00 it is 01:30 UTC (03:30 CEST).
        var converter = new LocalTimeConverter();
        Assert.Equal(new DateTime(2025, 3, 30, 1, 30, 0, DateTimeKind.Utc), converter.ToUtc(new DateTime(2025, 3, 30, 2, 30, 0), Berlin));
        Assert.Equal(new DateTime(2025, 3, 30, 1, 0, 0, DateTimeKind.Utc), converter.ToUtc(new DateTime(2025, 3, 30, 3, 0, 0), Berlin));
    }

    [Fact]
    public void Senders_are_matched_by_hostname_case_insensitively_and_others_use_the_default()
    {
        var zones = new SenderTimeZones(new XrayOptions
        {
            TimeZone = "Europe/Berlin",
            SenderTimeZones = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["node-tokyo-1"] = "Asia/Tokyo" },
        });

        Assert.Same(Tokyo.Id, zones.ForSender("NODE-TOKYO-1"u8).Id);
        Assert.Equal("Europe/Berlin", zones.ForSender("node-2"u8).Id);
        Assert.Equal("Europe/Berlin", zones.ForSender(default).Id);
        Assert.False(zones.AllUtc);
        Assert.True(new SenderTimeZones(new XrayOptions()).AllUtc);
    }
}
