using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Nodes;

/// <summary>
/// The identity a message was accepted under travels with it through the spool: lines a node sent over TLS under its
/// client certificate (CN <c>node-1</c>) while claiming another HOSTNAME, spooled but not committed when the daemon
/// is killed, are stored under <c>node-1</c> by a restarted daemon that has no TLS listener (and so no certificate to
/// look at) at all.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NodeReplayTests(PostgresServer postgres) : IDisposable
{
    private const int Lines = 200;
    private readonly string _spool = DaemonProcess.NewSpoolDirectory();
    private readonly TestCertificates _pki = new();

    [Fact]
    public async Task The_certificate_identity_of_spooled_lines_survives_kill_9_and_a_restart_without_TLS()
    {
        string database = await postgres.CreateDatabaseAsync();
        int tlsPort = LoggedDaemon.FreeTcpPort();
        using (LoggedDaemon daemon = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(),
                   [$"--Listeners:Tls=127.0.0.1:{tlsPort}", .. _pki.CollectorArguments("Require"), "--Writer:BatchSize=1000000", "--Writer:FlushInterval=00:10:00"]))
        {
            await DaemonProcess.WaitForPortAsync(tlsPort, daemon.Process);
            await SendOverTlsAsync(new IPEndPoint(IPAddress.Loopback, tlsPort));
            await Task.Delay(1000); // longer than Spool:SyncInterval: every line is durable
            daemon.KillHard();
        }

        // Nothing was committed before the kill: every row below comes from the spool's replay.
        Assert.Equal(0L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs"));

        using (LoggedDaemon restarted = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(), "--Writer:FlushInterval=00:00:00.200"))
        {
            Assert.Equal(Lines, await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", Lines));
            Assert.True(restarted.StopGracefully(TimeSpan.FromSeconds(30)), "the restarted daemon should stop cleanly");
            Assert.Empty(restarted.Errors());
        }

        List<object?[]> byNode = await Database.RowsAsync(database, """
            SELECT coalesce(n.name::text, '(none)'), count(*), count(DISTINCT l.source_port)
            FROM logs l LEFT JOIN nodes n ON n.id = l.node_id GROUP BY 1 ORDER BY 1
            """);
        Assert.Equal([["node-1", (long)Lines, (long)Lines]], byNode);
        Assert.Equal(["node-1"], (await Database.RowsAsync(database, "SELECT name::text FROM nodes")).Select(r => (string)r[0]!));
    }

    public void Dispose()
    {
        _pki.Dispose();
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    /// <summary>Octet-counted RFC 5424 lines claiming HOSTNAME <c>node-tcp-a</c>, over TLS with the <c>node-1</c> certificate.</summary>
    private async Task SendOverTlsAsync(IPEndPoint endPoint)
    {
        using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(_pki.NodeCertificateFile, _pki.NodeKeyFile);
        using X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endPoint);
        await using var ssl = new SslStream(client.GetStream(), false, (_, collector, _, _) => collector is not null);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = TestCertificates.CollectorName,
            ClientCertificates = [certificate],
        });

        var frames = new StringBuilder();
        for (int port = 1; port <= Lines; port++)
        {
            string message = $"<14>1 2025-11-17T10:00:00Z node-tcp-a xray - - - 2025/11/17 10:{port / 60 % 60:00}:{port % 60:00}.000000 from 10.0.0.1:{port} accepted tcp:host.example:443 [in >> out] email: user@example.com";
            frames.Append(Encoding.UTF8.GetByteCount(message)).Append(' ').Append(message);
        }

        await ssl.WriteAsync(Encoding.UTF8.GetBytes(frames.ToString()));
        await ssl.FlushAsync();
        await ssl.ShutdownAsync();
        client.Client.Shutdown(SocketShutdown.Send);

        // The collector closes its side once it has read (and spooled) every frame.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        byte[] rest = new byte[16];
        while (await ssl.ReadAsync(rest, timeout.Token) > 0)
        {
        }
    }
}
