using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>
/// syslog-ng without <c>flags(no-parse)</c> sends an xray line's date as APP-NAME and the rest as MSG; the builder
/// puts the line back together (counted), and leaves every other APP-NAME alone.
/// </summary>
public sealed class AccessRecordBuilderRecoveryTests
{
    private const string Body = "from 1.2.3.4:5 accepted tcp:x.org:443 [in >> out] email: a@b";

    [Theory]
    // The exact shape syslog-ng 3.38 sends into a syslog() destination.
    [InlineData("<13>1 2026-12-02T21:04:47+00:00 vm 2026/12/01 - - [meta sequenceId=\"1\"] 23:59:58.000000 " + Body, "2026-12-01T23:59:58.0000000Z")]
    // Without the microseconds (v2fly).
    [InlineData("<13>1 2026-12-02T21:04:47+00:00 vm 2026/12/01 - - - 23:59:58 " + Body, "2026-12-01T23:59:58.0000000Z")]
    public void A_date_taken_for_the_program_name_is_put_back(string message, string expectedUtc)
    {
        (RecordChunk chunk, AccessRecordBuilder builder) = Build(message);
        Assert.Empty(chunk.DeadLetters);
        AccessRecord row = Assert.Single(chunk.Records.ToArray());
        Assert.Equal(DateTime.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal), row.TimestampUtc);
        Assert.Equal("x.org", row.Destination.Text);
        Assert.Equal("a@b", row.User.Text);
        var metrics = new XraySyslogSink.Telemetry.SinkMetrics();
        builder.Counts.ReportTo(metrics);
        Assert.Equal(1, metrics.TotalRecovered);
    }

    /// <summary>What syslog-ng 3.38 sends into a <c>network()</c> destination from the same misconfigured source: a row either way.</summary>
    [Fact]
    public void The_same_misparse_into_a_network_destination_is_a_row()
    {
        (RecordChunk chunk, _) = Build("<13>Dec  2 22:13:01 vm 2026/12/01 23:59:58.000000 " + Body);
        Assert.Empty(chunk.DeadLetters);
        AccessRecord row = Assert.Single(chunk.Records.ToArray());
        Assert.Equal(new DateTime(2026, 12, 1, 23, 59, 58, DateTimeKind.Utc), row.TimestampUtc);
    }

    [Theory]
    // An APP-NAME of the same length that is no date, and a date APP-NAME whose MSG starts with no time.
    [InlineData("<13>1 2026-12-02T21:04:47+00:00 vm xray-12345 - - - 23:59:58.000000 " + Body, "no timestamp")]
    [InlineData("<13>1 2026-12-02T21:04:47+00:00 vm 2026/12/01 - - - " + Body, null)]
    [InlineData("<13>1 2026-12-02T21:04:47+00:00 vm 2026/12/01 - - - 2:59:58 " + Body, "no timestamp")]
    public void Other_shapes_are_not_rejoined(string message, string? deadLetterReason)
    {
        (RecordChunk chunk, AccessRecordBuilder builder) = Build(message);
        var metrics = new XraySyslogSink.Telemetry.SinkMetrics();
        builder.Counts.ReportTo(metrics);
        Assert.Equal(0, metrics.TotalRecovered);
        if (deadLetterReason is null)
        {
            // The header's own time applies: an ordinary untimed line.
            Assert.Single(chunk.Records.ToArray());
        }
        else
        {
            Assert.Equal(deadLetterReason, Assert.Single(chunk.DeadLetters).Reason);
        }
    }

    [Fact]
    public void Putting_a_line_back_allocates_nothing_for_known_values()
    {
        var caches = new DimensionCaches(new DimensionCacheOptions());
        caches.Protocols.Set("tcp", 1);
        caches.Endpoints.Set("x.org", 2);
        caches.Tags.Set("in", 3);
        caches.Tags.Set("out", 4);
        caches.Users.Set("a@b", 5);
        var builder = new AccessRecordBuilder(caches, new SenderTimeZones(new XrayOptions { TimeZone = "UTC" }), new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), AcceptWindow.None);
        ReceivedMessage received = ReceivedMessage.Copy(
            Encoding.UTF8.GetBytes("<13>1 2026-12-02T21:04:47+00:00 vm 2026/12/01 - - [meta sequenceId=\"1\"] 23:59:58.000000 " + Body),
            InetValue.FromIPAddress(IPAddress.Loopback), Transport.Tcp, new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero));
        var chunk = new RecordChunk(4096);
        long allocated = SteadyStateAllocation.Measure(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                builder.Append(received, chunk);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(500 * (1 + SteadyStateAllocation.Rounds), chunk.Count);
        received.Release();
    }

    private static (RecordChunk Chunk, AccessRecordBuilder Builder) Build(string message)
    {
        var builder = new AccessRecordBuilder(new DimensionCaches(new DimensionCacheOptions()), new SenderTimeZones(new XrayOptions { TimeZone = "UTC" }),
            new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), AcceptWindow.None);
        var chunk = new RecordChunk();
        ReceivedMessage received = ReceivedMessage.Copy(Encoding.UTF8.GetBytes(message), InetValue.FromIPAddress(IPAddress.Loopback), Transport.Tcp,
            new DateTimeOffset(2026, 12, 2, 21, 5, 0, TimeSpan.Zero));
        builder.Append(received, chunk);
        received.Release();
        return (chunk, builder);
    }
}
