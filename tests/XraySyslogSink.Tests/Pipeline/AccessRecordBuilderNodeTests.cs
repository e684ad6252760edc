using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.Nodes;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Storage;
using XraySyslogSink.Telemetry;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Tests.Pipeline;

/// <summary>Each row knows its node: the established identity beats the claimed HOSTNAME, also for the time zone.</summary>
public sealed class AccessRecordBuilderNodeTests
{
    private const string Line = "2025/11/17 12:00:00 from 1.2.3.4:5 accepted tcp:x.org:443 [in >> out]";
    private static readonly DateTimeOffset ReceivedAt = new(2025, 11, 17, 12, 0, 0, TimeSpan.Zero);
    private static readonly InetValue Peer = InetValue.FromIPAddress(IPAddress.Parse("192.0.2.10"));

    private static readonly XrayOptions Zones = new()
    {
        SenderTimeZones = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["node-tokyo-1"] = "Asia/Tokyo",
            ["node-berlin"] = "Europe/Berlin",
        },
    };

    private readonly NodeSeries _series = new(maxSeries: 10);
    private readonly HostnameMismatches _mismatches = new();
    private readonly ListLogger _log = new();

    [Fact]
    public void A_certificate_node_claiming_another_hostname_keeps_its_name_and_its_own_time_zone()
    {
        (AccessRecordBuilder builder, RecordChunk chunk) = Start();
        var certificate = new NodeIdentity("node-berlin", NodeIdentitySource.Certificate);

        Append(builder, chunk, "<14>1 2025-11-17T12:00:00Z node-tokyo-1 xray - - - " + Line, certificate);
        Append(builder, chunk, "<14>1 2025-11-17T12:00:00Z node-tokyo-1 xray - - - " + Line, certificate);

        AccessRecord row = chunk.Records[0];
        Assert.Equal("node-berlin", row.Node.Text);
        Assert.Equal(new DateTime(2025, 11, 17, 11, 0, 0, DateTimeKind.Utc), row.TimestampUtc);
        Assert.Equal(2, builder.Nodes.DisagreementsSinceReport(NodeIdentitySource.Certificate));
        string warning = Assert.Single(_log.Lines);
        Assert.Contains("Node node-berlin (identified by certificate) sends HOSTNAME node-tokyo-1", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_established_identity_the_hostname_names_the_node_and_picks_its_zone()
    {
        (AccessRecordBuilder builder, RecordChunk chunk) = Start();

        Append(builder, chunk, "<14>1 2025-11-17T12:00:00Z node-tokyo-1 xray - - - " + Line, default);

        AccessRecord row = Assert.Single(chunk.Records.ToArray());
        Assert.Equal("node-tokyo-1", row.Node.Text);
        Assert.Equal(new DateTime(2025, 11, 17, 3, 0, 0, DateTimeKind.Utc), row.TimestampUtc);
        Assert.Empty(_log.Lines);
    }

    [Theory]
    [InlineData("<14>1 2025-11-17T12:00:00Z - xray - - - ")]
    [InlineData("<14>Nov 17 12:00:00 bad\u0001host xray[1]: ")]
    public void An_invalid_hostname_falls_back_to_the_peer_address(string header)
    {
        (AccessRecordBuilder builder, RecordChunk chunk) = Start();

        Append(builder, chunk, header + Line, default);

        Assert.Equal("192.0.2.10", Assert.Single(chunk.Records.ToArray()).Node.Text);
    }

    [Fact]
    public void An_imported_line_without_hostname_has_no_node_unless_the_import_names_one()
    {
        (AccessRecordBuilder builder, RecordChunk chunk) = Start();
        Append(builder, chunk, Line, default, default(InetValue));
        Append(builder, chunk, Line, new NodeIdentity("tokyo-1", NodeIdentitySource.Assigned), default(InetValue));

        Assert.True(chunk.Records[0].Node.IsNull);
        Assert.Equal("tokyo-1", chunk.Records[1].Node.Text);
        Assert.Equal("tokyo-1", Assert.Single(chunk.Nodes).Name);
    }

    [Fact]
    public void Each_node_is_sighted_once_per_chunk_with_its_latest_peer_and_lines_and_dead_letters_count_per_node()
    {
        (AccessRecordBuilder builder, RecordChunk chunk) = Start();
        InetValue later = InetValue.FromIPAddress(IPAddress.Parse("192.0.2.11"));

        Append(builder, chunk, "<14>1 2025-11-17T12:00:00Z node-a xray - - - " + Line, default);
        Append(builder, chunk, "<14>1 2025-11-17T12:00:00Z node-b xray - - - " + Line, default);
        Append(builder, chunk, "<14>1 2025-11-17T12:00:00Z node-a xray - - - not an access line at all", default, later, ReceivedAt.AddSeconds(5));
        Append(builder, chunk, "<14>1 2025-11-17T12:00:00Z node-a xray - - - 2025/11/17 12:00:00 from garbage", default, later, ReceivedAt.AddSeconds(5));
        using var metrics = new SinkMetrics();
        builder.Nodes.ReportTo(metrics);

        Assert.Equal(["node-a", "node-b"], chunk.Nodes.Select(n => n.Name));
        NodeSighting a = chunk.Nodes[0];
        Assert.Equal(later, a.LastPeer);
        Assert.Equal(ReceivedAt.AddSeconds(5), a.LastReceived);
        NodeSeriesValues seriesA = _series.Snapshot().Single(s => s.Node == "node-a");
        Assert.Equal(3, seriesA.Lines);
        Assert.Equal(2, seriesA.DeadLetters);
        Assert.Equal(ReceivedAt.AddSeconds(5).ToUnixTimeSeconds(), seriesA.LastSeenUnixSeconds);
        Assert.Equal(chunk.Records[0].NodeSlot, _series.SlotOf("node-a"u8));
    }

    [Fact]
    public void A_flood_of_invented_hostnames_is_bounded_in_series_and_logged_pairs()
    {
        var small = new NodeSeries(maxSeries: 3);
        var mismatches = new HostnameMismatches(capacity: 5);
        var nodes = new MessageNodes(new DimensionCache("nodes", 100), new SenderTimeZones(Zones), small, mismatches, _log);
        var builder = new AccessRecordBuilder(new DimensionCaches(new DimensionCacheOptions()), new SenderTimeZones(Zones), new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), AcceptWindow.None, nodes: nodes);
        var certificate = new NodeIdentity("node-berlin", NodeIdentitySource.Certificate);

        // One meter for the whole flood: every undisposed SinkMetrics stays registered, and 2,000 of them made each
        // later MeterProvider in this test process (MetricsExpositionTests) take minutes to build and scrape.
        using var metrics = new SinkMetrics();
        for (int i = 0; i < 2_000; i++)
        {
            var chunk = new RecordChunk();
            Append(builder, chunk, $"<14>1 2025-11-17T12:00:00Z invented-{i} xray - - - " + Line, i % 2 == 0 ? certificate : default);
            builder.Nodes.ReportTo(metrics);
            builder.ChunkSent();
            chunk.Release();
        }

        Assert.Equal(3, small.Count);
        Assert.Equal(4, small.Snapshot().Count);
        Assert.True(small.OverflowLookups > 0);
        Assert.Equal(5, mismatches.Count);
        Assert.Equal(6, _log.Lines.Count);
    }

    private (AccessRecordBuilder Builder, RecordChunk Chunk) Start()
    {
        var caches = new DimensionCaches(new DimensionCacheOptions());
        var zones = new SenderTimeZones(Zones);
        var nodes = new MessageNodes(caches.Nodes, zones, _series, _mismatches, _log);
        return (new AccessRecordBuilder(caches, zones, new PipelineOptions { ParserWorkers = 1 }, new FakeTimeProvider(), AcceptWindow.None, nodes: nodes), new RecordChunk());
    }

    private static void Append(AccessRecordBuilder builder, RecordChunk chunk, string text, NodeIdentity node, InetValue? peer = null, DateTimeOffset? receivedAt = null)
    {
        ReceivedMessage message = ReceivedMessage.Copy(Encoding.UTF8.GetBytes(text), peer ?? Peer, Transport.Tcp, receivedAt ?? ReceivedAt, node);
        builder.Append(message, chunk);
        message.Release();
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
