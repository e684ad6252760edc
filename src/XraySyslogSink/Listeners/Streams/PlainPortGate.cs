using System.IO.Pipelines;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners.Streams;

/// <summary>
/// The layer of a plain port (<c>Listeners:Tcp</c>, <c>Listeners:Relp</c>): looks at the first bytes without
/// consuming them and ends a connection that opens with a TLS ClientHello (a node configured for TLS pointed at the
/// plain port), counted and reported once per address by <see cref="MisdirectedTls"/>.
/// </summary>
internal sealed class PlainPortGate(MisdirectedTls misdirected, SinkMetrics metrics, string listener, string listenerKey, string tlsKey) : IConnectionLayer
{
    public async ValueTask<ConnectionEnd?> OnConnectedAsync(StreamConnection connection)
    {
        while (true)
        {
            ReadResult read = await connection.ReadAsync();
            StreamStart start = MisdirectedTls.Inspect(read);
            // Nothing is consumed: the protocol handler reads these bytes again.
            connection.Input.AdvanceTo(read.Buffer.Start, start == StreamStart.NeedMoreData ? read.Buffer.End : read.Buffer.Start);
            if (start == StreamStart.Plain)
            {
                return null;
            }

            if (start == StreamStart.Tls)
            {
                metrics.ConnectionRejected(listener, MisdirectedTls.Reason);
                misdirected.Report(connection.Peer, connection.Remote, listenerKey, tlsKey);
                return ConnectionEnd.TlsOnPlainPort;
            }
        }
    }
}
