using XraySyslogSink.Syslog;

namespace XraySyslogSink.Tests.Syslog;

public sealed class SyslogYearInferenceTests
{
    [Theory]
    [InlineData(12, "2026-01-01T00:00:05", 2025)] // Dec 31 23:59:59 arriving just after midnight: last year's
    [InlineData(12, "2026-01-31T12:00:00", 2025)]
    [InlineData(1, "2025-12-31T23:59:59", 2026)]  // Jan 1 00:00:01 from a clock running ahead: next year's
    [InlineData(1, "2025-12-01T00:00:00", 2026)]
    [InlineData(1, "2026-01-01T00:00:00", 2026)]
    [InlineData(12, "2025-12-31T23:59:59", 2025)]
    [InlineData(6, "2025-01-01T00:00:00", 2025)]  // everything else is the receive year, even far off
    [InlineData(6, "2025-12-31T00:00:00", 2025)]
    [InlineData(11, "2026-01-01T00:00:00", 2026)]
    [InlineData(2, "2025-12-31T00:00:00", 2025)]
    public void The_year_is_the_receive_year_except_across_New_Year(int month, string received, int year) =>
        Assert.Equal(year, SyslogYearInference.InferYear(month, DateTime.Parse(received, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void A_stamp_is_placed_in_the_inferred_year_with_its_time_of_day()
    {
        // Year 4 is how the header parser carries a year-less stamp.
        var stamp = new DateTime(4, 12, 31, 23, 59, 59);
        Assert.True(SyslogYearInference.TryPlace(stamp, new DateTime(2026, 1, 1, 0, 0, 5), out DateTime local));
        Assert.Equal(new DateTime(2025, 12, 31, 23, 59, 59), local);
        Assert.Equal(DateTimeKind.Unspecified, local.Kind);
    }

    [Fact]
    public void February_29_exists_only_in_a_leap_year()
    {
        var stamp = new DateTime(4, 2, 29, 12, 0, 0);
        Assert.True(SyslogYearInference.TryPlace(stamp, new DateTime(2028, 3, 1), out DateTime leap));
        Assert.Equal(new DateTime(2028, 2, 29, 12, 0, 0), leap);
        Assert.False(SyslogYearInference.TryPlace(stamp, new DateTime(2026, 3, 1), out _));
    }
}
