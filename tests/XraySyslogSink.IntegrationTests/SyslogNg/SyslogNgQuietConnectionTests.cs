using System.Diagnostics;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Rsyslog;
using Xunit.Abstractions;

namespace XraySyslogSink.IntegrationTests.SyslogNg;

/// <summary>
/// Quiet nodes: syslog-ng opens its TLS connection at start but sends its ClientHello only with the first line, and
/// over TLS it does not notice a connection the collector closed while it was quiet (its next line would go into
/// the dead connection). Neither may cost a line or a minute's delay. The delays are printed for the record.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SyslogNgQuietConnectionTests(PostgresServer postgres, ITestOutputHelper output) : IDisposable
{
    /// <summary>Far below syslog-ng's 60 s reconnect delay (time-reopen), which is what a cut connection costs.</summary>
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(15);

    private readonly SyslogNgNodes _nodes = new(postgres);

    [Fact]
    public async Task A_TLS_node_that_starts_quietly_is_not_cut_and_its_first_lines_arrive_within_seconds()
    {
        NodeAccessLog log = NodeAccessLog.Build(rounds: 2);
        await using SinkUnderTest sink = await _nodes.StartSinkAsync("--Tls:HandshakeTimeout=00:00:02");
        await using SyslogNgProcess node = _nodes.StartNode(sink, "tls", text => text, out string accessLog);

        // Quiet for twice the handshake timeout: the connection is open, no ClientHello has been sent.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var clock = Stopwatch.StartNew();
        await SyslogNgNodes.AppendAsync(accessLog, log.Lines);
        await SyslogNgNodes.AssertArrivedAsync(sink, node, log, Promptly);
        output.WriteLine($"tls, quiet start: {log.RowsBySourcePort.Count} rows stored {clock.Elapsed.TotalSeconds:F1} s after the lines were written; " +
            $"{sink.Metrics.TotalRejected("tls_handshake_timeout")} handshake timeouts");

        await node.StopAsync();
        await SyslogNgNodes.AssertExactRowsAsync(sink, log);
        Assert.Equal(0, sink.Metrics.TotalRejected("tls_handshake_timeout"));
    }

    public static TheoryData<string> StreamTransports => new() { "tcp", "tls" };

    [Theory]
    [MemberData(nameof(StreamTransports))]
    public async Task Lines_after_a_quiet_period_longer_than_the_idle_policy_all_arrive(string transport)
    {
        NodeAccessLog log = NodeAccessLog.Build(rounds: 2);
        int half = log.Lines.Count / 2;
        // The old default closed any connection quiet for Listeners:IdleTimeout; 3 s stands in for the hour.
        await using SinkUnderTest sink = await _nodes.StartSinkAsync("--Listeners:IdleTimeout=00:00:03");
        await using SyslogNgProcess node = _nodes.StartNode(sink, transport, text => text, out string accessLog);

        await SyslogNgNodes.AppendAsync(accessLog, log.Lines.Take(half));
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalMessages >= half), $"first half: {sink.Metrics.TotalMessages} of {half}\n{node.Output}");

        await Task.Delay(TimeSpan.FromSeconds(8));
        var clock = Stopwatch.StartNew();
        await SyslogNgNodes.AppendAsync(accessLog, log.Lines.Skip(half));
        await SyslogNgNodes.AssertArrivedAsync(sink, node, log, Promptly);
        output.WriteLine($"{transport}, after 8 s quiet: the second half stored {clock.Elapsed.TotalSeconds:F1} s after it was written");

        await node.StopAsync();
        await SyslogNgNodes.AssertExactRowsAsync(sink, log);
    }

    public void Dispose() => _nodes.Dispose();
}
