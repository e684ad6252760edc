using System.Net;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Rsyslog;

namespace XraySyslogSink.IntegrationTests.SyslogNg;

/// <summary>
/// What the syslog-ng tests share: a sink with TLS (client certificates required, node-1 allowed), syslog-ng nodes
/// on the shipped files pointed at it, and the checks that every line became exactly its row.
/// </summary>
internal sealed class SyslogNgNodes(PostgresServer postgres) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xraysink-syslog-ng-").FullName;
    private readonly TestCertificates _pki = new();

    public static async Task AssertArrivedAsync(SinkUnderTest sink, SyslogNgProcess node, NodeAccessLog log, TimeSpan patience)
    {
        int expectedRows = log.RowsBySourcePort.Count;
        bool arrived = await Eventually.TrueAsync(
            () => sink.Metrics.TotalRowsWritten >= expectedRows && sink.Metrics.TotalSkipped >= log.SkippedLines, patience);
        Assert.False(node.HasExited, "syslog-ng exited early:\n" + node.Output);
        if (!arrived)
        {
            List<object?[]> deadLetters = await Database.RowsAsync(sink.ConnectionString, "SELECT reason, raw FROM dead_letters");
            Assert.Fail(
                $"after {patience.TotalSeconds} s: {sink.Metrics.TotalMessages} messages, {sink.Metrics.TotalRowsWritten} rows of {expectedRows}, " +
                $"{sink.Metrics.TotalSkipped} skipped, {sink.Metrics.TotalDeadLettered} dead letters:\n" +
                string.Join('\n', deadLetters.Select(row => $"  {row[0]}: {row[1]}")) + $"\nsyslog-ng said:\n{node.Output}");
        }
    }

    public static async Task AssertExactRowsAsync(SinkUnderTest sink, NodeAccessLog log)
    {
        Assert.Equal(0, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM dead_letters"));
        List<object?[]> rows = await Database.RowsAsync(sink.ConnectionString, Database.LogsWithDimensions);
        Assert.Equal(log.RowsBySourcePort.Count, rows.Count);
        Assert.Equal(log.RowsBySourcePort.Count, rows.Select(row => (int)row[2]!).Distinct().Count());
        foreach (object?[] row in rows)
        {
            Assert.True(log.RowsBySourcePort.TryGetValue((int)row[2]!, out ExpectedRow? expected), $"a row nobody wrote: source port {row[2]}");
            Assert.Equal(expected, new ExpectedRow(
                (DateTime)row[0]!, (string)row[1]!, (int)row[2]!, (string)row[3]!, (string?)row[4], (string?)row[5], (int?)row[6],
                (string?)row[7], (string?)row[8], (string?)row[9]));
        }

        Assert.Equal(log.SkippedLines, sink.Metrics.TotalSkipped);
    }

    public async Task<SinkUnderTest> StartSinkAsync(params string[] more) =>
        await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(),
            ["--Listeners:Tls=127.0.0.1:0", .. _pki.CollectorArguments("Require"), "--Tls:AllowedClientNames:0=node-1", .. more]);

    /// <summary>syslog-ng on the shipped file for <paramref name="transport"/>, pointed at the sink's matching listener.</summary>
    public SyslogNgProcess StartNode(SinkUnderTest sink, string transport, Func<string, string> edit, out string accessLog)
    {
        (string file, IPEndPoint collector) = transport switch
        {
            "tcp" => ("xraysink-forward-tcp.conf", sink.TcpEndPoint),
            "tls" => ("xraysink-forward-tls.conf", sink.TlsEndPoint!),
            "udp" => ("xraysink-forward-udp.conf", sink.UdpEndPoint),
            _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "tcp, tls or udp"),
        };
        Dictionary<string, string> files = transport == "tls"
            ? SyslogNgProcess.TlsFiles(_pki.CaFile, _pki.NodeCertificateFile, _pki.NodeKeyFile)
            : [];
        return SyslogNgProcess.StartNode(file, collector, _directory, files, edit, out accessLog);
    }

    /// <summary>Appends <paramref name="lines"/> as one write, as xray's buffered logger does (UTF-8 without a BOM, as Go writes).</summary>
    public static async Task AppendAsync(string accessLog, IEnumerable<string> lines) =>
        await File.AppendAllTextAsync(accessLog, string.Concat(lines.Select(line => line + "\n")), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
