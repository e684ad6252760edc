namespace XraySyslogSink.Core;

/// <summary>How a message reached the collector; a tag on the received-message counters.</summary>
internal enum Transport : byte
{
    Udp,
    Tcp,
    Relp,

    /// <summary>RFC 5425 syslog over TLS (<c>Listeners:Tls</c>).</summary>
    Tls,
    /// <summary>Read from a file by <c>xraysink import</c>.</summary>
    Import,
}

internal static class TransportNames
{
    public static string Name(this Transport transport) => transport switch
    {
        Transport.Udp => "udp",
        Transport.Tcp => "tcp",
        Transport.Relp => "relp",
        Transport.Tls => "tls",
        Transport.Import => "import",
        _ => "unknown",
    };
}
