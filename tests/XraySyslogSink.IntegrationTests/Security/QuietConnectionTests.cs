using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Security;

/// <summary>
/// Quiet senders keep their connection (issue 15): a TLS client that connects and says nothing for longer than the
/// handshake timeout (as syslog-ng does until its first message) then handshakes and delivers; a connection that has
/// sent frames and is quiet for longer than the silent-connection timeout still delivers afterwards.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class QuietConnectionTests(PostgresServer postgres) : IDisposable
{
    private readonly TestCertificates _pki = new();

    [Fact]
    public async Task A_TLS_client_quiet_for_longer_than_the_handshake_timeout_then_handshakes_and_delivers()
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(),
            ["--Listeners:Tls=127.0.0.1:0", .. _pki.CollectorArguments("Require"), "--Tls:HandshakeTimeout=00:00:01"]);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(sink.TlsEndPoint!);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await using var ssl = new SslStream(client.GetStream(), false, (_, certificate, _, _) => certificate is not null);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = TestCertificates.CollectorName,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificates = [X509Certificate2.CreateFromPemFile(_pki.NodeCertificateFile, _pki.NodeKeyFile)],
        }, timeout.Token);
        await ssl.WriteAsync(OctetCounted("<14>1 2025-11-17T10:00:00Z node xray - - - quiet then spoke"), timeout.Token);
        await ssl.FlushAsync(timeout.Token);

        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalMessages == 1));
        Assert.Equal(0, sink.Metrics.TotalRejected("tls_handshake_timeout"));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("tls")]
    public async Task A_connection_that_sent_frames_and_stays_quiet_longer_than_the_idle_timeout_still_delivers(string listener)
    {
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync(),
            ["--Listeners:Tls=127.0.0.1:0", .. _pki.CollectorArguments("None"), "--Listeners:IdleTimeout=00:00:01"]);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(listener == "tls" ? sink.TlsEndPoint! : sink.TcpEndPoint);
        Stream stream = client.GetStream();
        if (listener == "tls")
        {
            var ssl = new SslStream(stream, false, (_, certificate, _, _) => certificate is not null);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = TestCertificates.CollectorName });
            stream = ssl;
        }

        await stream.WriteAsync(OctetCounted("<14>1 2025-11-17T10:00:00Z node xray - - - before the quiet"));
        await stream.FlushAsync();
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalMessages == 1));

        await Task.Delay(TimeSpan.FromSeconds(3));
        await stream.WriteAsync(OctetCounted("<14>1 2025-11-17T10:00:00Z node xray - - - after the quiet"));
        await stream.FlushAsync();
        Assert.True(await Eventually.TrueAsync(() => sink.Metrics.TotalMessages == 2));
        Assert.Equal(0, sink.Metrics.TotalRejected("silent_timeout"));
        await stream.DisposeAsync();
    }

    public void Dispose() => _pki.Dispose();

    private static byte[] OctetCounted(string message) => Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetByteCount(message)} {message}");
}
