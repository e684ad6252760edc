using System.Net;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Rsyslog;

namespace XraySyslogSink.IntegrationTests.Security;

/// <summary>
/// rsyslogd with omrelp <c>tls="on"</c> running config/rsyslog/xraysink-forward-relp-tls.conf against
/// <c>Listeners:RelpTls</c>: a trusted node delivers every line; a node signed by another CA is refused and counted.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RelpTlsTests(PostgresServer postgres) : IDisposable
{
    public const string ShippedFile = "xraysink-forward-relp-tls.conf";

    private readonly string _directory = Directory.CreateTempSubdirectory("xraysink-relp-tls-").FullName;
    private readonly TestCertificates _pki = new();

    [Fact]
    public async Task A_trusted_node_delivers_every_line_over_RELP_inside_TLS()
    {
        NodeAccessLog log = NodeAccessLog.Build(rounds: 2);
        await using SinkUnderTest sink = await StartSinkAsync();
        await using RsyslogProcess rsyslog = StartNode(sink.RelpTlsEndPoint!, _pki.NodeCertificateFile, _pki.NodeKeyFile, out string accessLog);
        await File.AppendAllTextAsync(accessLog, string.Concat(log.Lines.Select(line => line + "\n")));

        int expectedRows = log.RowsBySourcePort.Count;
        Assert.True(
            await Eventually.TrueAsync(() => sink.Metrics.TotalRowsWritten >= expectedRows),
            $"{sink.Metrics.TotalMessages} messages, {sink.Metrics.TotalRowsWritten} rows of {expectedRows}; rsyslogd said:\n{rsyslog.Output}");
        await rsyslog.StopAsync();

        List<object?[]> rows = await Database.RowsAsync(sink.ConnectionString, Database.LogsWithDimensions);
        Assert.Equal(log.RowsBySourcePort.Keys.Order(), rows.Select(row => (int)row[2]!).Order());
        foreach (object?[] row in rows)
        {
            ExpectedRow expected = log.RowsBySourcePort[(int)row[2]!];
            Assert.Equal(expected.Email, (string?)row[9]);
            Assert.Equal(expected.Destination, (string?)row[5]);
        }

        Assert.Equal(log.Lines.Count, sink.Metrics.TotalMessages);
    }

    [Fact]
    public async Task A_node_signed_by_another_CA_is_refused_and_counted()
    {
        await using SinkUnderTest sink = await StartSinkAsync();
        await using RsyslogProcess rsyslog = StartNode(sink.RelpTlsEndPoint!, _pki.RogueNodeCertificateFile, _pki.RogueNodeKeyFile, out string accessLog);
        await File.AppendAllTextAsync(accessLog, string.Concat(NodeAccessLog.Build(rounds: 1).Lines.Select(line => line + "\n")));

        // librelp's GnuTLS client offers its certificate only when its issuer is among the CAs the collector names
        // in the handshake (Tls:ClientCa), so this node arrives without one.
        Assert.True(
            await Eventually.TrueAsync(() => sink.Metrics.TotalRejected("tls_no_client_certificate") >= 1),
            $"no refusal counted (untrusted: {sink.Metrics.TotalRejected("tls_untrusted_client_certificate")}, failed: {sink.Metrics.TotalRejected("tls_handshake_failed")}); rsyslogd said:\n{rsyslog.Output[..Math.Min(2000, rsyslog.Output.Length)]}");
        Assert.Equal(0, sink.Metrics.TotalMessages);
    }

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<SinkUnderTest> StartSinkAsync() =>
        await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(), ["--Listeners:RelpTls=127.0.0.1:0", .. _pki.CollectorArguments("Require")]);

    private RsyslogProcess StartNode(IPEndPoint collector, string certificate, string key, out string accessLog) =>
        RsyslogProcess.StartNode(ShippedFile, collector, _directory, RsyslogProcess.TlsFiles(_pki.CaFile, certificate, key), configuration => configuration, out accessLog);
}
