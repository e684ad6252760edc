using System.Net.Security;
using XraySyslogSink.Listeners.Security;

namespace XraySyslogSink.Listeners.Streams;

/// <summary>
/// TLS as a layer over an accepted connection (<c>Listeners:Tls</c>, <c>Listeners:RelpTls</c>). The handshake clock
/// (<c>Tls:HandshakeTimeout</c>) starts at the client's first byte, not at accept: syslog-ng, for one, connects at
/// start and sends its ClientHello only with its first message, and must not be cut for being quiet. Until that
/// byte the connection is silent and bounded like any other (<c>Listeners:IdleTimeout</c>, the silent budgets).
/// A client that presented a certificate which passed the checks is authenticated and counts as established.
/// </summary>
internal sealed class TlsLayer(TlsAuthenticator authenticator, string listener) : IConnectionLayer
{
    public async ValueTask<ConnectionEnd?> OnConnectedAsync(StreamConnection connection)
    {
        if (!await connection.WaitForFirstByteAsync())
        {
            return ConnectionEnd.Closed;
        }

        SslStream? secured = await authenticator.AuthenticateAsync(connection.Stream, connection.Remote, listener, connection.MayLog, connection.Stopping);
        if (secured is null)
        {
            return ConnectionEnd.TlsRefused;
        }

        connection.UseStream(secured);
        if (secured.RemoteCertificate is not null)
        {
            connection.MarkEstablished();
        }

        return null;
    }
}
