using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// Which clock a row's time comes from: the xray line's own timestamp in the sender's zone, else the syslog
/// header (exact with an offset; local or year-less headers in the sender's zone, the year inferred).
/// </summary>
public sealed class AccessRecordBuilderTimeTests
{
    private const string Body = "from 1.2.3.4:5 accepted tcp:x.org:443 [in >> out]";

    private static readonly XrayOptions Zones = new()
    {
        TimeZone = "UTC",
        SenderTimeZones = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["node-ny"] = "America/New_York",
            ["node-berlin"] = "Europe/Berlin",
            ["node-sydney"] = "Australia/Sydney",
        },
    };

    [Theory]
    // RFC 5424 and RFC 3339-in-3164 headers carry an offset: exact, whatever the sender's zone.
    [InlineData("<134>1 2025-03-04T05:06:07.123456+03:00 node-ny xray - - - " + Body, "2026-01-01T00:00:00Z", "2025-03-04T02:06:07.1234560Z")]
    [InlineData("<134>2025-03-04T05:06:07-05:00 node-berlin xray[1]: " + Body, "2026-01-01T00:00:00Z", "2025-03-04T10:06:07.0000000Z")]
    // RFC 3164: no year, no zone. Read in the sender's zone, the year symmetric around New Year.
    [InlineData("<134>Dec 31 23:59:59 node-x xray[1]: " + Body, "2026-01-01T00:00:05Z", "2025-12-31T23:59:59.0000000Z")]
    [InlineData("<134>Jan  1 00:00:01 node-x xray[1]: " + Body, "2025-12-31T23:59:58Z", "2026-01-01T00:00:01.0000000Z")]
    [InlineData("<134>Jun 30 14:16:59 node-x xray[1]: " + Body, "2026-01-01T00:00:00Z", "2026-06-30T14:16:59.0000000Z")]
    // New York: received 23:59:59 on Dec 31 local (04:59:59Z on Jan 1), a Jan 1 stamp is next year's in New York's calendar.
    [InlineData("<134>Jan  1 00:00:01 node-ny xray[1]: " + Body, "2026-01-01T04:59:59Z", "2026-01-01T05:00:01.0000000Z")]
    // Sydney is already in January when UTC is still in December: the December stamp is last year's there.
    [InlineData("<134>Dec 31 23:59:59 node-sydney xray[1]: " + Body, "2025-12-31T13:00:05Z", "2025-12-31T12:59:59.0000000Z")]
    // OpenWrt logread: full local time without a zone.
    [InlineData("Thu Oct 13 07:50:16 2022 daemon.info xray[23519]: " + Body, "2026-01-01T00:00:00Z", "2022-10-13T07:50:16.0000000Z")]
    // A line with its own timestamp ignores the header's time entirely.
    [InlineData("<134>1 2025-03-04T05:06:07Z node-berlin xray - - - 2024/07/01 12:00:00 " + Body, "2026-01-01T00:00:00Z", "2024-07-01T10:00:00.0000000Z")]
    [InlineData("<134>Mar  4 05:06:07 node-ny xray[1]: 2024/12/31 20:00:00.000001 " + Body, "2026-01-01T00:00:00Z", "2025-01-01T01:00:00.0000010Z")]
    public void A_row_takes_its_time_from_the_line_else_from_the_header(string message, string receivedAt, string expectedUtc)
    {
        (RecordChunk chunk, _) = Build(message, DateTimeOffset.Parse(receivedAt, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(chunk.DeadLetters);
        AccessRecord row = Assert.Single(chunk.Records.ToArray());
        Assert.Equal(DateTime.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal), row.TimestampUtc);
        Assert.Equal(DateTimeKind.Utc, row.TimestampUtc.Kind);
        Assert.Equal("1.2.3.4", row.SourceIp.ToString());
        Assert.Equal("x.org", row.Destination.Text);
    }

    [Theory]
    [InlineData(Body, "no timestamp")]
    [InlineData("<134>" + Body, "no timestamp")]
    [InlineData("<134>1 - node xray - - - " + Body, "no timestamp")]
    [InlineData("<134>Feb 29 12:00:00 node xray[1]: " + Body, "invalid timestamp")] // received in 2026, not a leap year
    public void A_line_without_a_timestamp_and_no_usable_header_time_is_a_dead_letter(string message, string reason)
    {
        (RecordChunk chunk, _) = Build(message, new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(0, chunk.Count);
        Assert.Equal(reason, Assert.Single(chunk.DeadLetters).Reason);
    }

    [Fact]
    public void Taking_the_time_from_the_header_allocates_nothing_for_known_values()
    {
        byte[][] messages =
        [
            Encoding.UTF8.GetBytes("<134>1 2025-03-04T05:06:07.123456+03:00 node-ny xray - - - " + Body),
            Encoding.UTF8.GetBytes("<134>Dec 31 23:59:59 node-sydney xray[1]: " + Body),
            Encoding.UTF8.GetBytes("Thu Oct 13 07:50:16 2022 daemon.info xray[23519]: " + Body),
            Encoding.UTF8.GetBytes("<134>Mar  4 05:06:07 node-berlin xray[1]: 2024/12/31 20:00:00.000001 " + Body),
        ];
        DimensionCaches caches = KnownCaches();
        var builder = new AccessRecordBuilder(caches, new SenderTimeZones(Zones), new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), AcceptWindow.None);
        ReceivedMessage[] received = messages
            .Select(m => ReceivedMessage.Copy(m, InetValue.FromIPAddress(IPAddress.Loopback), Transport.Tcp, new DateTimeOffset(2026, 1, 1, 0, 0, 5, TimeSpan.Zero)))
            .ToArray();
        var chunk = new RecordChunk(4096);
        long allocated = SteadyStateAllocation.Measure(() =>
        {
            for (int i = 0; i < 400; i++)
            {
                builder.Append(received[i % received.Length], chunk);
            }
        });

        Assert.Equal(400 * (1 + SteadyStateAllocation.Rounds), chunk.Count);
        Assert.Empty(chunk.DeadLetters);
        Assert.Equal(0, allocated);
    }

    private static (RecordChunk Chunk, AccessRecordBuilder Builder) Build(string message, DateTimeOffset receivedAt)
    {
        var builder = new AccessRecordBuilder(new DimensionCaches(new DimensionCacheOptions()), new SenderTimeZones(Zones), new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), AcceptWindow.None);
        var chunk = new RecordChunk();
        ReceivedMessage received = ReceivedMessage.Copy(Encoding.UTF8.GetBytes(message), InetValue.FromIPAddress(IPAddress.Loopback), Transport.Udp, receivedAt);
        builder.Append(received, chunk);
        received.Release();
        return (chunk, builder);
    }

    private static DimensionCaches KnownCaches()
    {
        var caches = new DimensionCaches(new DimensionCacheOptions());
        caches.Protocols.Set("tcp", 1);
        caches.Endpoints.Set("x.org", 2);
        caches.Tags.Set("in", 3);
        caches.Tags.Set("out", 4);
        return caches;
    }
}
