using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Listeners;

/// <summary>Options section <c>Listeners</c>: where to receive syslog and how much to accept.</summary>
public sealed class ListenerOptions
{
    public const string SectionName = "Listeners";

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

    /// <summary>Concurrent TCP connections accepted (default 1024); further ones are closed and counted.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 1024;

    /// <summary>A TCP connection that sends nothing for this long is closed (default 1 hour; rsyslog keeps idle connections open).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(1);
}
