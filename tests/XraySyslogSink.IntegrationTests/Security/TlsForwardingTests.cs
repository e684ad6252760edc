using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Rsyslog;

namespace XraySyslogSink.IntegrationTests.Security;

/// <summary>
/// A real rsyslogd running config/rsyslog/xraysink-forward-tls.conf (gtls, and the same file with the ossl driver)
/// with its own node certificate against the collector's <c>Listeners:Tls</c>: trusted nodes deliver every line,
/// untrusted or certificate-less ones are refused and counted; handshakes that stall are cut.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class TlsForwardingTests(PostgresServer postgres) : IDisposable
{
    public const string ShippedFile = "xraysink-forward-tls.conf";

    private readonly string _directory = Directory.CreateTempSubdirectory("xraysink-rsyslog-tls-").FullName;
    private readonly TestCertificates _pki = new();

    public static TheoryData<string> Drivers => new() { "gtls", "ossl" };

    [Theory]
    [MemberData(nameof(Drivers))]
    public async Task A_node_with_a_trusted_certificate_delivers_every_line(string driver)
    {
        NodeAccessLog log = NodeAccessLog.Build(rounds: 2);
        await using SinkUnderTest sink = await StartSinkAsync("Require", "--Tls:AllowedClientNames:0=node-1");
        await using RsyslogProcess rsyslog = StartNode(sink.TlsEndPoint!, driver, _pki.NodeCertificateFile, _pki.NodeKeyFile, out string accessLog);
        await File.AppendAllTextAsync(accessLog, string.Concat(log.Lines.Select(line => line + "\n")));

        int expectedRows = log.RowsBySourcePort.Count;
        bool arrived = await Eventually.TrueAsync(() => sink.Metrics.TotalRowsWritten >= expectedRows && sink.Metrics.TotalSkipped >= log.SkippedLines);
        Assert.True(arrived, $"{sink.Metrics.TotalMessages} messages, {sink.Metrics.TotalRowsWritten} rows of {expectedRows}; rsyslogd said:\n{rsyslog.Output}");
        await rsyslog.StopAsync();

        List<object?[]> rows = await Database.RowsAsync(sink.ConnectionString, Database.LogsWithDimensions);
        Assert.Equal(expectedRows, rows.Count);
        foreach (object?[] row in rows)
        {
            Assert.True(log.RowsBySourcePort.TryGetValue((int)row[2]!, out ExpectedRow? expected), $"a row nobody wrote: source port {row[2]}");
            Assert.Equal(expected, new ExpectedRow(
                (DateTime)row[0]!, (string)row[1]!, (int)row[2]!, (string)row[3]!, (string?)row[4], (string?)row[5], (int?)row[6],
                (string?)row[7], (string?)row[8], (string?)row[9]));
        }

        Assert.Equal(log.Lines.Count, sink.Metrics.TotalMessages);
        Assert.Equal(0, sink.Metrics.TotalRejected("tls_untrusted_client_certificate") + sink.Metrics.TotalRejected("tls_handshake_failed"));
    }

    /// <summary>Nodes the collector must refuse: another CA's certificate, a trusted one missing from the name list, none at all.</summary>
    public static TheoryData<string, string, string> Refused => new()
    {
        { "rogue", "gtls", "tls_untrusted_client_certificate" },
        { "rogue", "ossl", "tls_untrusted_client_certificate" },
        { "other", "gtls", "tls_client_not_allowed" },
        { "none", "ossl", "tls_no_client_certificate" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task An_untrusted_unlisted_or_certificate_less_node_is_refused_and_counted(string node, string driver, string reason)
    {
        (string? certificate, string? key) = node switch
        {
            "rogue" => (_pki.RogueNodeCertificateFile, _pki.RogueNodeKeyFile),
            "other" => (_pki.OtherNodeCertificateFile, _pki.OtherNodeKeyFile),
            _ => ((string?)null, (string?)null),
        };
        await using SinkUnderTest sink = await StartSinkAsync("Require", "--Tls:AllowedClientNames:0=node-1");
        await using RsyslogProcess rsyslog = StartNode(sink.TlsEndPoint!, driver, certificate, key, out string accessLog);
        await File.AppendAllTextAsync(accessLog, string.Concat(NodeAccessLog.Build(rounds: 1).Lines.Select(line => line + "\n")));

        bool refused = await Eventually.TrueAsync(() => sink.Metrics.TotalRejected(reason) >= 1);
        Assert.True(refused, $"no {reason} counted; {sink.Metrics.TotalMessages} messages; rsyslogd said:\n{rsyslog.Output}");
        Assert.Equal(0, sink.Metrics.TotalMessages);
    }

    [Fact]
    public async Task A_handshake_that_stalls_is_cut_after_the_handshake_timeout_and_a_silent_client_only_after_the_idle_timeout()
    {
        await using SinkUnderTest sink = await StartSinkAsync("Require", "--Tls:HandshakeTimeout=00:00:01", "--Listeners:IdleTimeout=00:00:04");
        using var silent = new TcpClient(AddressFamily.InterNetwork);
        await silent.ConnectAsync(sink.TlsEndPoint!);
        using var halfHello = new TcpClient(AddressFamily.InterNetwork);
        await halfHello.ConnectAsync(sink.TlsEndPoint!);
        await halfHello.GetStream().WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 });

        DateTime started = DateTime.UtcNow;
        Assert.Equal(0, await ReadUntilClosedAsync(halfHello));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(3.5));
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalRejected("tls_handshake_timeout") == 1));

        // The client that has said nothing is no handshake yet: it goes only when quiet for Listeners:IdleTimeout.
        Assert.True(silent.Client.Connected && !(silent.Client.Poll(0, SelectMode.SelectRead) && silent.Available == 0), "the silent client was closed by the handshake clock");
        Assert.Equal(0, await ReadUntilClosedAsync(silent));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(12));
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalRejected("silent_timeout") == 1));
        Assert.Equal(1, sink.Metrics.TotalRejected("tls_handshake_timeout"));
    }

    [Fact]
    public async Task A_TLS_client_on_the_plain_TCP_and_RELP_ports_is_recognised_counted_and_closed()
    {
        await using SinkUnderTest sink = await StartSinkAsync("None", "--Listeners:Relp=127.0.0.1:0");
        foreach (IPEndPoint plain in new[] { sink.TcpEndPoint, sink.TcpEndPoint, sink.RelpEndPoint! })
        {
            using var client = new TcpClient(AddressFamily.InterNetwork);
            await client.ConnectAsync(plain);
            await using var ssl = new SslStream(client.GetStream());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions { TargetHost = TestCertificates.CollectorName, EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13 }, timeout.Token));
        }

        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalRejected("tls_on_plain_port") == 3));
        Assert.Equal(0, sink.Metrics.TotalMessages);

        // The plain port still serves plain syslog.
        await sink.SendTcpOctetCountedAsync("<14>1 2025-11-17T10:00:00Z node xray - - - plain after tls");
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalMessages == 1));
    }

    [Fact]
    public async Task Optional_client_certificates_accept_a_node_without_one_and_the_octet_count_limit_holds_inside_TLS()
    {
        await using SinkUnderTest sink = await StartSinkAsync("Optional");
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(sink.TlsEndPoint!);
        await using var ssl = new SslStream(client.GetStream(), false, (_, certificate, _, errors) => certificate is not null);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = TestCertificates.CollectorName });
        Assert.True(ssl.SslProtocol is SslProtocols.Tls12 or SslProtocols.Tls13, ssl.SslProtocol.ToString());
        string message = "<14>1 2025-11-17T10:00:00Z node xray - - - over tls";
        await ssl.WriteAsync(Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetByteCount(message)} {message}"));
        await ssl.FlushAsync();
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalMessages == 1));

        // Listeners:MaxOctetCount holds inside TLS too: an octet count of 2^31 closes the connection.
        await ssl.WriteAsync(Encoding.ASCII.GetBytes("2147483648 <14>1 2025-11-17T10:00:00Z node xray - - - x"));
        await ssl.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        Assert.Equal(0, await ssl.ReadAsync(new byte[16], timeout.Token));
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalRejected("framing_error") == 1));
    }

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    internal static async Task<int> ReadUntilClosedAsync(TcpClient client)
    {
        var buffer = new byte[1024];
        int total = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            int read;
            while ((read = await client.GetStream().ReadAsync(buffer, timeout.Token)) > 0)
            {
                total += read;
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // Reset by the collector (the socket then counts as not connected): closed as well.
        }

        return total;
    }

    private async Task<SinkUnderTest> StartSinkAsync(string mode, params string[] more) =>
        await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(), ["--Listeners:Tls=127.0.0.1:0", .. _pki.CollectorArguments(mode), .. more]);

    /// <summary>rsyslogd on the shipped TLS file; <paramref name="driver"/> ossl swaps the one driver word the file's header tells operators to change.</summary>
    private RsyslogProcess StartNode(IPEndPoint collector, string driver, string? certificate, string? key, out string accessLog) =>
        RsyslogProcess.StartNode(ShippedFile, collector, _directory, Files(certificate, key), configuration =>
        {
            configuration = configuration.Replace("StreamDriver=\"gtls\"", $"StreamDriver=\"{driver}\"", StringComparison.Ordinal);
            return certificate is not null ? configuration : string.Join('\n', configuration.Split('\n').Where(
                line => !line.Contains("StreamDriver.CertFile", StringComparison.Ordinal) && !line.Contains("StreamDriver.KeyFile", StringComparison.Ordinal)));
        }, out accessLog);

    private Dictionary<string, string> Files(string? certificate, string? key) =>
        RsyslogProcess.TlsFiles(_pki.CaFile, certificate ?? "/nonexistent", key ?? "/nonexistent");
}
