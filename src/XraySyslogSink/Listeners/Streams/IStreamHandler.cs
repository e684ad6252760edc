namespace XraySyslogSink.Listeners.Streams;

/// <summary>
/// A protocol spoken over an accepted connection (octet-counted/LF syslog, RELP), run once the connection's layers
/// (TLS, the plain-port check) have handed it on. Returning means the peer closed; any other end is a
/// <see cref="ConnectionEndException"/>, which the listener core logs and counts.
/// </summary>
internal interface IStreamHandler
{
    Task RunAsync(StreamConnection connection);

    /// <summary>A connection for this protocol was refused at accept (for protocol-specific counters).</summary>
    void OnRefused(string reason)
    {
    }
}

/// <summary>
/// A step between accept and the protocol handler, as a connection middleware: TLS, or the check that a plain port
/// is not receiving TLS. Returns null to hand the connection on, or why it ends (already counted by the layer).
/// </summary>
internal interface IConnectionLayer
{
    ValueTask<ConnectionEnd?> OnConnectedAsync(StreamConnection connection);
}
