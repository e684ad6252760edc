using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Listeners;

/// <summary>Options section <c>Listeners</c>: where to receive syslog and how much to accept.</summary>
internal sealed class ListenerOptions
{
    public const string SectionName = "Listeners";

    /// <summary>The most receive sockets <see cref="UdpReceivers"/> = 0 gives, whatever the core count.</summary>
    public const int MaxAutoUdpReceivers = 4;

    /// <summary>UDP <c>host:port</c> (IPv4 or <c>[::]</c>, which also takes IPv4); empty = off. Default <c>0.0.0.0:5514</c>.</summary>
    public string Udp { get; set; } = "0.0.0.0:5514";

    /// <summary>TCP <c>host:port</c>; empty = off. Default <c>0.0.0.0:5514</c>.</summary>
    public string Tcp { get; set; } = "0.0.0.0:5514";

    /// <summary>
    /// RELP <c>host:port</c> for rsyslog's <c>omrelp</c>, which acknowledges each message only once it is durable;
    /// empty = off (the default). Usually a port of its own, e.g. <c>0.0.0.0:2514</c>.
    /// </summary>
    public string Relp { get; set; } = "";

    /// <summary>
    /// RFC 5425 syslog over TLS (octet-counted frames, TLS 1.2/1.3) <c>host:port</c>, usually <c>0.0.0.0:6514</c>;
    /// empty = off (the default). The certificate and client authentication are in the <c>Tls</c> section.
    /// </summary>
    public string Tls { get; set; } = "";

    /// <summary>RELP over TLS (rsyslog <c>omrelp tls="on"</c>) <c>host:port</c>; empty = off (the default). Uses the <c>Tls</c> section.</summary>
    public string RelpTls { get; set; } = "";

    /// <summary>
    /// Source networks allowed to send, as CIDR (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>) or single addresses; empty
    /// (the default) allows everyone. Other sources are dropped (UDP) or closed at accept (stream listeners) and counted.
    /// </summary>
    public string[] AllowedSources { get; set; } = [];

    /// <summary>
    /// Per-listener lists replacing <see cref="AllowedSources"/> for that listener: keys <c>Udp</c>, <c>Tcp</c>,
    /// <c>Tls</c>, <c>Relp</c>, <c>RelpTls</c> (e.g. <c>Listeners:AllowedSourcesByListener:Udp:0=10.0.0.0/8</c>).
    /// Default: none (every listener uses <see cref="AllowedSources"/>).
    /// </summary>
    public Dictionary<string, string[]> AllowedSourcesByListener { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Largest message kept, in bytes (default 8192, rsyslog's default maximum). A larger datagram or
    /// frame is discarded whole and counted.
    /// </summary>
    [Range(64, 1024 * 1024)]
    public int MaxMessageSize { get; set; } = 8192;

    /// <summary>
    /// An octet count above this (default 1 MiB) cannot be an honest syslog frame: the TCP connection
    /// is closed rather than skipping that many bytes.
    /// </summary>
    [Range(64, int.MaxValue)]
    public int MaxOctetCount { get; set; } = 1024 * 1024;

    /// <summary>
    /// Requested UDP socket receive buffer in bytes (default 32 MiB) so bursts survive while the parser
    /// catches up. The kernel caps it at <c>net.core.rmem_max</c>; the granted size is logged.
    /// </summary>
    [Range(64 * 1024, int.MaxValue)]
    public int UdpReceiveBufferSize { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// UDP receive sockets sharing the port (Linux <c>SO_REUSEPORT</c>), each with its own receive thread and its own
    /// <see cref="UdpReceiveBufferSize"/>; the kernel spreads senders over them by address and port. 0 (the default)
    /// means one per core, at most <see cref="MaxAutoUdpReceivers"/>. Other systems use one socket.
    /// </summary>
    [Range(0, 64)]
    public int UdpReceivers { get; set; }

    /// <summary>The receive sockets the UDP listener opens.</summary>
    public int EffectiveUdpReceivers => OperatingSystem.IsLinux() ? UdpReceiversFor(UdpReceivers, Environment.ProcessorCount) : 1;

    /// <summary>The receive sockets for a <see cref="UdpReceivers"/> setting on a machine with <paramref name="cores"/> cores.</summary>
    public static int UdpReceiversFor(int configured, int cores) =>
        configured > 0 ? configured : Math.Clamp(cores, 1, MaxAutoUdpReceivers);

    /// <summary>Concurrent connections accepted per stream listener (TCP, TLS, RELP; default 1024); further ones are closed and counted.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 1024;

    /// <summary>
    /// Concurrent connections one source address may hold per stream listener (default 16; an rsyslog node uses
    /// one per action). Further ones are closed and counted as <c>too_many_from_source</c>.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerSource { get; set; } = 16;

    /// <summary>
    /// Received bytes one connection may hold in memory unconsumed (default 256 KiB): a partial frame, or a RELP
    /// frame read whole. Must be at least <see cref="MaxMessageSize"/> plus 1 KiB. A connection over it is closed
    /// and counted as <c>buffer_limit</c>; each connection also holds one 64 KiB read buffer.
    /// </summary>
    [Range(2048, 64 * 1024 * 1024)]
    public int MaxBufferedBytesPerConnection { get; set; } = 256 * 1024;

    /// <summary>
    /// Concurrent connections one network may hold per stream listener (default 256), counted per /24 for IPv4 and
    /// per /64 for IPv6, so one attacker with many neighbouring addresses cannot take every slot. Further ones are
    /// closed and counted as <c>too_many_from_prefix</c>.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerPrefix { get; set; } = 256;

    /// <summary>
    /// Connections one source address may hold per stream listener before they have sent a valid frame (or, over TLS,
    /// authenticated with a client certificate); default 8, half of <see cref="MaxConnectionsPerSource"/>. Quiet nodes (syslog-ng opens its connection at start and
    /// speaks with its first message) fit; a source opening more is refused as <c>too_many_silent_from_source</c>.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxSilentConnectionsPerSource { get; set; } = 8;

    /// <summary>The same budget per /24 (IPv4) or /64 (IPv6) network (default 64); over it: <c>too_many_silent_from_prefix</c>.</summary>
    [Range(1, 1_000_000)]
    public int MaxSilentConnectionsPerPrefix { get; set; } = 64;

    /// <summary>
    /// A TCP, TLS or RELP connection that has not yet sent a valid frame and sends nothing for this long is closed and
    /// counted as <c>silent_timeout</c> (default 1 hour). Connections that did send valid frames fall under
    /// <see cref="EstablishedIdleTimeout"/> instead.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A connection that has sent valid frames (or authenticated with a client certificate) and then sends nothing for
    /// this long is closed; <c>00:00:00</c> (the default) never closes it. Senders such as syslog-ng over TLS do not
    /// notice a close while they are quiet and lose the next line into the dead connection, so the default keeps
    /// quiet nodes connected and leaves dead peers to <see cref="KeepAliveTime"/>.
    /// </summary>
    public TimeSpan EstablishedIdleTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// TCP keepalive on accepted connections: the first probe after this much silence, then every 30 s, and the
    /// connection is dropped after 4 unanswered probes (default 5 minutes; <c>00:00:00</c> turns keepalive off). Finds
    /// peers that vanished without closing (a node rebooted, a NAT forgot the flow) while quiet nodes stay connected.
    /// </summary>
    public TimeSpan KeepAliveTime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A peer that takes nothing we send (RELP acknowledgements) for this long is disconnected (default 1 minute),
    /// so a client that stops reading cannot hold its session and its unacknowledged window forever.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromMinutes(1);
}
