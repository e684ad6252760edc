using System.Buffers;
using System.Net;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;

namespace XraySyslogSink.Listeners.Security;

/// <summary>What the first bytes of a plain-port connection look like.</summary>
internal enum StreamStart
{
    Plain,
    Tls,
    NeedMoreData,
}

/// <summary>
/// Recognises a TLS ClientHello arriving on a plain-text port (a node configured for TLS pointed at
/// <c>Listeners:Tcp</c> or <c>Listeners:Relp</c>): a TLS handshake record starts 0x16 0x03 0x00-0x04, which no
/// syslog frame (a digit, '&lt;' or text) and no RELP frame (a digit) can. Logged once per peer address.
/// </summary>
internal sealed partial class MisdirectedTls
{
    public const string Reason = "tls_on_plain_port";

    // Bounds the memory of who was already told; past it, the set starts over (a peer may then be logged again).
    private const int MaxRemembered = 4096;

    private readonly HashSet<InetValue> _logged = [];
    private readonly ILogger _logger;

    public MisdirectedTls(ILogger logger) => _logger = logger;

    /// <summary>
    /// Looks at the first read of a connection: <see cref="StreamStart.NeedMoreData"/> only while fewer than three
    /// bytes arrived and they could still be a TLS record header.
    /// </summary>
    public static StreamStart Inspect(System.IO.Pipelines.ReadResult read)
    {
        ReadOnlySequence<byte> buffer = read.Buffer;
        if (buffer.IsEmpty)
        {
            return read.IsCompleted ? StreamStart.Plain : StreamStart.NeedMoreData;
        }

        if (buffer.Length < 3)
        {
            return buffer.FirstSpan[0] == 0x16 && !read.IsCompleted ? StreamStart.NeedMoreData : StreamStart.Plain;
        }

        return LooksLikeClientHello(buffer) ? StreamStart.Tls : StreamStart.Plain;
    }

    /// <summary>Whether the first bytes of a connection are a TLS handshake record header.</summary>
    public static bool LooksLikeClientHello(ReadOnlySequence<byte> start)
    {
        if (start.Length < 3)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[3];
        start.Slice(0, 3).CopyTo(head);
        return head[0] == 0x16 && head[1] == 0x03 && head[2] <= 0x04;
    }

    /// <summary>Logs the misconfiguration unless this peer address was already logged.</summary>
    public void Report(InetValue peer, EndPoint? remote, string listenerKey, string tlsKey)
    {
        bool first;
        lock (_logged)
        {
            if (_logged.Count >= MaxRemembered)
            {
                _logged.Clear();
            }

            first = _logged.Add(peer);
        }

        if (first)
        {
            LogMisdirected(remote, listenerKey, tlsKey);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection from {Remote} to {Listener} looks like TLS (a ClientHello); point the node at {TlsListener}, or turn TLS off on the node. Closed; further ones from this address are only counted")]
    private partial void LogMisdirected(EndPoint? remote, string listener, string tlsListener);
}
