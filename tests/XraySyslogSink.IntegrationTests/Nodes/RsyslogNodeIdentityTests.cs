using System.Net;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Rsyslog;

namespace XraySyslogSink.IntegrationTests.Nodes;

/// <summary>
/// Real rsyslogd nodes, each with its own <c>localHostname</c>, over TCP and UDP, and one over TLS whose client
/// certificate (CN <c>node-1</c>) differs from the HOSTNAME it sends: every row carries the right <c>node_id</c>,
/// the TLS node's under its certificate name.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RsyslogNodeIdentityTests(PostgresServer postgres) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xraysink-rsyslog-nodes-").FullName;
    private readonly TestCertificates _pki = new();

    [Fact]
    public async Task Nodes_over_TCP_UDP_and_TLS_each_get_their_rows_and_the_TLS_node_its_certificate_name()
    {
        NodeAccessLog log = NodeAccessLog.Build(rounds: 2);
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(
            await postgres.CreateDatabaseAsync(), ["--Listeners:Tls=127.0.0.1:0", .. _pki.CollectorArguments("Require")]);
        var tlsFiles = RsyslogProcess.TlsFiles(_pki.CaFile, _pki.NodeCertificateFile, _pki.NodeKeyFile);

        // The TLS node claims the TCP node's name: its certificate must win.
        await using RsyslogProcess tcp = StartNode("xraysink-forward.conf", sink.TcpEndPoint, "node-tcp-a", [], out string tcpLog);
        await using RsyslogProcess udp = StartNode("xraysink-forward-udp.conf", sink.UdpEndPoint, "node-udp-b", [], out string udpLog);
        await using RsyslogProcess tls = StartNode("xraysink-forward-tls.conf", sink.TlsEndPoint!, "node-tcp-a", tlsFiles, out string tlsLog);
        string lines = string.Concat(log.Lines.Select(line => line + "\n"));
        foreach (string accessLog in new[] { tcpLog, udpLog, tlsLog })
        {
            await File.AppendAllTextAsync(accessLog, lines);
        }

        int perNode = log.RowsBySourcePort.Count;
        bool arrived = await Eventually.TrueAsync(() => sink.Metrics.TotalRowsWritten >= 3 * perNode, TimeSpan.FromSeconds(60));
        Assert.True(arrived, $"{sink.Metrics.TotalRowsWritten} rows of {3 * perNode}; rsyslogd said:\n{tcp.Output}\n{udp.Output}\n{tls.Output}");

        List<object?[]> byNode = await Database.RowsAsync(sink.ConnectionString, """
            SELECT n.name::text, count(*), count(DISTINCT l.source_port)
            FROM logs l JOIN nodes n ON n.id = l.node_id GROUP BY n.name ORDER BY n.name
            """);
        Assert.Equal(
            [["node-1", (long)perNode, (long)perNode], ["node-tcp-a", (long)perNode, (long)perNode], ["node-udp-b", (long)perNode, (long)perNode]],
            byNode);
        Assert.Equal(0, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM logs WHERE node_id IS NULL"));

        // nodes keeps where each was last heard from (written at the end of the first batch that named it).
        List<object?[]> nodes = await Database.RowsAsync(sink.ConnectionString, "SELECT name::text, host(last_address), last_seen IS NOT NULL FROM nodes ORDER BY name");
        Assert.Equal([["node-1", "127.0.0.1", true], ["node-tcp-a", "127.0.0.1", true], ["node-udp-b", "127.0.0.1", true]], nodes);
    }

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A node on a shipped file with <c>global(localHostname=…)</c>: the HOSTNAME its rsyslog sends.</summary>
    private RsyslogProcess StartNode(string shippedFile, IPEndPoint collector, string hostname, Dictionary<string, string> files, out string accessLog) =>
        RsyslogProcess.StartNode(shippedFile, collector, _directory, files, configuration => $"global(localHostname=\"{hostname}\")\n{configuration}", out accessLog);
}
