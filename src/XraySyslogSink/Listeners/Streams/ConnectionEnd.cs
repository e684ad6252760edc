namespace XraySyslogSink.Listeners.Streams;

/// <summary>Why a stream connection ended; the listener core logs and counts each the same way for every protocol.</summary>
internal enum ConnectionEnd
{
    /// <summary>The peer closed its side.</summary>
    Closed,

    /// <summary>The peer asked to close (RELP <c>close</c>).</summary>
    ClientClose,

    /// <summary>The byte stream cannot be framed or broke the protocol.</summary>
    ProtocolError,

    /// <summary>A connection that never sent a valid frame stayed quiet for <c>Listeners:IdleTimeout</c>.</summary>
    SilentTimeout,

    /// <summary>A connection that had sent valid frames stayed quiet for <c>Listeners:EstablishedIdleTimeout</c>.</summary>
    IdleTimeout,

    /// <summary>More than <c>Listeners:MaxBufferedBytesPerConnection</c> unconsumed.</summary>
    BufferLimit,

    /// <summary>A TLS ClientHello on a plain port.</summary>
    TlsOnPlainPort,

    /// <summary>The TLS handshake failed, timed out or the client was refused (counted by the TLS layer).</summary>
    TlsRefused,

    /// <summary>The peer did not take what was sent to it within <c>Listeners:SendTimeout</c>.</summary>
    SendTimeout,

    /// <summary>The daemon is stopping.</summary>
    Shutdown,

    /// <summary>A socket error (reset, broken pipe).</summary>
    IOError,
}

/// <summary>The counter and log names of <see cref="ConnectionEnd"/>.</summary>
internal static class ConnectionEnds
{
    public const string BufferLimit = "buffer_limit";
    public const string FramingError = "framing_error";
    public const string SilentTimeout = "silent_timeout";
    public const string TlsOnPlainPort = "tls_on_plain_port";
    public const string SendTimeout = "send_timeout";

    public static string Name(this ConnectionEnd end) => end switch
    {
        ConnectionEnd.Closed => "disconnected",
        ConnectionEnd.ClientClose => "client_close",
        ConnectionEnd.ProtocolError => "protocol_error",
        ConnectionEnd.SilentTimeout => SilentTimeout,
        ConnectionEnd.IdleTimeout => "idle_timeout",
        ConnectionEnd.BufferLimit => BufferLimit,
        ConnectionEnd.TlsOnPlainPort => TlsOnPlainPort,
        ConnectionEnd.TlsRefused => "tls_refused",
        ConnectionEnd.SendTimeout => SendTimeout,
        ConnectionEnd.Shutdown => "shutdown",
        _ => "io_error",
    };
}

/// <summary>
/// Ends a connection from deep inside a layer or handler with a reason the core reports; <see cref="Detail"/> is
/// text for the log line (never peer-controlled unless escaped).
/// </summary>
internal sealed class ConnectionEndException : Exception
{
    public ConnectionEndException()
    {
    }

    public ConnectionEndException(string message)
        : base(message)
    {
    }

    public ConnectionEndException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ConnectionEndException(ConnectionEnd end, string? detail = null)
        : base(detail ?? end.Name())
    {
        End = end;
        Detail = detail;
    }

    public ConnectionEnd End { get; } = ConnectionEnd.IOError;

    public string? Detail { get; }
}
