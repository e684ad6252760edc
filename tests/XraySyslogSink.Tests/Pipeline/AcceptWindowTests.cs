using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// Live lines whose event time lies outside <c>Xray:AcceptWindowBack</c> / <c>AcceptWindowAhead</c> around their
/// receive time are dead letters with their own reason; a builder made with <see cref="AcceptWindow.None"/>
/// (the history import) takes every time.
/// </summary>
public sealed class AcceptWindowTests
{
    private const string Body = " from 1.2.3.4:5 accepted tcp:x.org:443 [in >> out]";
    private static readonly DateTimeOffset ReceivedAt = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly AcceptWindow Default = AcceptWindow.FromOptions(new XrayOptions());

    [Fact]
    public void The_default_window_is_30_days_back_and_one_day_ahead()
    {
        Assert.Equal(TimeSpan.FromDays(30), Default.Back);
        Assert.Equal(TimeSpan.FromDays(1), Default.Ahead);
        Assert.False(Default.IsNone);
        Assert.True(AcceptWindow.None.IsNone);
    }

    [Theory]
    [InlineData("2025/12/02 00:00:00.000000", null)] // exactly 30 days back: inside
    [InlineData("2025/12/01 23:59:59.999999", DeadLetterReasons.BeforeAcceptWindow)]
    [InlineData("2026/01/02 00:00:00.000000", null)] // exactly one day ahead: inside
    [InlineData("2026/01/02 00:00:00.000001", DeadLetterReasons.AfterAcceptWindow)]
    [InlineData("2099/12/31 23:59:59", DeadLetterReasons.AfterAcceptWindow)]
    [InlineData("1970/01/01 00:00:00", DeadLetterReasons.BeforeAcceptWindow)]
    public void A_live_line_outside_the_window_is_a_dead_letter_with_its_reason(string timestamp, string? reason)
    {
        (RecordChunk chunk, AccessRecordBuilder builder) = Build(timestamp + Body, Default);

        if (reason is null)
        {
            Assert.Empty(chunk.DeadLetters);
            Assert.Equal(1, chunk.Count);
            Assert.Equal(1, builder.Counts.Parsed);
        }
        else
        {
            Assert.Equal(0, chunk.Count);
            Assert.Equal(0, builder.Counts.Parsed);
            DeadLetter dead = Assert.Single(chunk.DeadLetters);
            Assert.Equal(reason, dead.Reason);
            Assert.Equal(timestamp + Body, dead.Raw);
            Assert.Equal(ReceivedAt, dead.ReceivedAt);
        }
    }

    [Fact]
    public void A_time_taken_from_the_syslog_header_is_judged_the_same_way()
    {
        (RecordChunk chunk, _) = Build("<134>1 2099-03-04T05:06:07Z node-1 xray - - -" + Body, Default);

        Assert.Equal(0, chunk.Count);
        Assert.Equal(DeadLetterReasons.AfterAcceptWindow, Assert.Single(chunk.DeadLetters).Reason);
    }

    [Fact]
    public void The_window_follows_the_receive_time_so_a_replayed_line_is_judged_by_when_it_arrived()
    {
        // Received 40 days before "now" (e.g. replayed from the spool after an outage), written one second earlier.
        var window = new AcceptWindow(TimeSpan.FromDays(30), TimeSpan.FromDays(1));
        DateTime eventUtc = ReceivedAt.UtcDateTime.AddDays(-40);

        Assert.Null(window.Check(eventUtc, ReceivedAt.AddDays(-40).AddSeconds(1)));
        Assert.Equal(DeadLetterReasons.BeforeAcceptWindow, window.Check(eventUtc, ReceivedAt));
    }

    [Theory]
    [InlineData("2099/12/31 23:59:59", "2099-12-31T23:59:59")]
    [InlineData("1970/01/01 00:00:00", "1970-01-01T00:00:00")]
    [InlineData("2017/03/05 10:00:00", "2017-03-05T10:00:00")]
    public void Without_a_window_every_time_becomes_a_row(string timestamp, string expected)
    {
        (RecordChunk chunk, _) = Build(timestamp + Body, AcceptWindow.None);

        Assert.Empty(chunk.DeadLetters);
        AccessRecord row = Assert.Single(chunk.Records.ToArray());
        Assert.Equal(DateTime.Parse(expected, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), row.TimestampUtc);
    }

    [Fact]
    public void A_window_must_be_positive_on_both_sides()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AcceptWindow(TimeSpan.Zero, TimeSpan.FromDays(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AcceptWindow(TimeSpan.FromDays(1), TimeSpan.FromSeconds(-1)));
    }

    private static (RecordChunk Chunk, AccessRecordBuilder Builder) Build(string message, AcceptWindow window)
    {
        var builder = new AccessRecordBuilder(new DimensionCaches(new DimensionCacheOptions()), new SenderTimeZones(new XrayOptions()), new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), window);
        var chunk = new RecordChunk();
        ReceivedMessage received = ReceivedMessage.Copy(Encoding.UTF8.GetBytes(message), InetValue.FromIPAddress(IPAddress.Loopback), Transport.Udp, ReceivedAt);
        builder.Append(received, chunk);
        received.Release();
        return (chunk, builder);
    }
}
