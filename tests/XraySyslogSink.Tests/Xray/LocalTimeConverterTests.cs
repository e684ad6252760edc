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

        Assert.Same(Tokyo.Id, zones.ForNode("NODE-TOKYO-1"u8).Id);
        Assert.Equal("Europe/Berlin", zones.ForNode("node-2"u8).Id);
        Assert.Equal("Europe/Berlin", zones.ForNode(ReadOnlySpan<byte>.Empty).Id);
        Assert.False(zones.AllUtc);
        Assert.True(new SenderTimeZones(new XrayOptions()).AllUtc);
    }

    /// <summary>
    /// One rule everywhere: a repeated hour (daylight saving ends) is standard time, a skipped one (it starts) is
    /// read with the standard offset. Real transitions of 2025 in both hemispheres, and a zone without DST.
    /// </summary>
    [Theory]
    // Europe/Berlin: CET +01, CEST +02; 30 Mar 02:00 -> 03:00, 26 Oct 03:00 -> 02:00.
    [InlineData("Europe/Berlin", "2025-03-30T01:59:59", "2025-03-30T00:59:59")]
    [InlineData("Europe/Berlin", "2025-03-30T02:30:00", "2025-03-30T01:30:00")]
    [InlineData("Europe/Berlin", "2025-03-30T03:00:00", "2025-03-30T01:00:00")]
    [InlineData("Europe/Berlin", "2025-10-26T02:30:00", "2025-10-26T01:30:00")]
    [InlineData("Europe/Berlin", "2025-10-26T03:00:00", "2025-10-26T02:00:00")]
    // America/New_York: EST -05, EDT -04; 9 Mar 02:00 -> 03:00, 2 Nov 02:00 -> 01:00.
    [InlineData("America/New_York", "2025-03-09T01:59:59", "2025-03-09T06:59:59")]
    [InlineData("America/New_York", "2025-03-09T02:30:00", "2025-03-09T07:30:00")]
    [InlineData("America/New_York", "2025-03-09T03:00:00", "2025-03-09T07:00:00")]
    [InlineData("America/New_York", "2025-11-02T00:59:59", "2025-11-02T04:59:59")]
    [InlineData("America/New_York", "2025-11-02T01:30:00", "2025-11-02T06:30:00")]
    [InlineData("America/New_York", "2025-11-02T02:00:00", "2025-11-02T07:00:00")]
    // Australia/Sydney (southern hemisphere): AEST +10, AEDT +11; 6 Apr 03:00 -> 02:00, 5 Oct 02:00 -> 03:00.
    [InlineData("Australia/Sydney", "2025-04-06T01:59:59", "2025-04-05T14:59:59")]
    [InlineData("Australia/Sydney", "2025-04-06T02:30:00", "2025-04-05T16:30:00")]
    [InlineData("Australia/Sydney", "2025-04-06T03:00:00", "2025-04-05T17:00:00")]
    [InlineData("Australia/Sydney", "2025-10-05T01:59:59", "2025-10-04T15:59:59")]
    [InlineData("Australia/Sydney", "2025-10-05T02:30:00", "2025-10-04T16:30:00")]
    [InlineData("Australia/Sydney", "2025-10-05T03:00:00", "2025-10-04T16:00:00")]
    [InlineData("Australia/Sydney", "2025-01-01T00:30:00", "2024-12-31T13:30:00")]
    // Asia/Tokyo: +09 all year, no transitions.
    [InlineData("Asia/Tokyo", "2025-03-30T02:30:00", "2025-03-29T17:30:00")]
    [InlineData("Asia/Tokyo", "2025-10-26T02:30:00", "2025-10-25T17:30:00")]
    [InlineData("Asia/Tokyo", "2025-07-01T00:00:00", "2025-06-30T15:00:00")]
    public void Daylight_saving_changes_resolve_the_same_way_in_every_zone(string zoneId, string local, string utc)
    {
        TimeZoneInfo zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        DateTime localTime = DateTime.Parse(local, System.Globalization.CultureInfo.InvariantCulture);
        var expected = DateTime.SpecifyKind(DateTime.Parse(utc, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);

        Assert.Equal(expected, new LocalTimeConverter().ToUtc(localTime, zone));

        // The per-quarter-hour offset memo must not carry one side of a transition over to the other.
        var warm = new LocalTimeConverter();
        warm.ToUtc(localTime.AddMinutes(-61), zone);
        warm.ToUtc(localTime.AddMinutes(61), zone);
        Assert.Equal(expected, warm.ToUtc(localTime, zone));
    }
}
