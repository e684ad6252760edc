using System.Net;
using Microsoft.Extensions.Logging;
using XraySyslogSink.Core;
using XraySyslogSink.Listeners.Relp;
using XraySyslogSink.Listeners.Security;
using XraySyslogSink.Nodes;
using XraySyslogSink.Listeners.Streams;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Listeners;

/// <summary>
/// Turns the <c>Listeners</c> section into listeners: UDP its own receive loop, the four stream listeners one
/// <see cref="StreamListener"/> core each with their layers (TLS, or the plain-port check) and protocol handler.
/// </summary>
internal sealed class ListenerFactory(ListenerOptions options, SourceFilter sources, IMessageSpool spool, SinkMetrics metrics, TimeProvider timeProvider, ILogger logger)
{
    private readonly MisdirectedTls _misdirected = new(logger);

    /// <summary>The listeners configured on, in start order, with their addresses (validated at start).</summary>
    public static List<(ListenerKind Kind, IPEndPoint EndPoint)> Configured(ListenerOptions options)
    {
        var configured = new List<(ListenerKind, IPEndPoint)>();
        foreach (ListenerKind kind in Enum.GetValues<ListenerKind>())
        {
            if (!ListenAddress.TryParse(AddressOf(options, kind), out IPEndPoint? endPoint, out string? error))
            {
                throw new InvalidOperationException($"{Key(kind)}: {error}");
            }

            if (endPoint is not null)
            {
                configured.Add((kind, endPoint));
            }
        }

        return configured;
    }

    public static bool IsTls(ListenerKind kind) => kind is ListenerKind.Tls or ListenerKind.RelpTls;

    /// <summary>The setting that turns <paramref name="kind"/> on, e.g. <c>Listeners:RelpTls</c>.</summary>
    public static string Key(ListenerKind kind) => $"{ListenerOptions.SectionName}:{kind}";

    public static string AddressOf(ListenerOptions options, ListenerKind kind) => kind switch
    {
        ListenerKind.Udp => options.Udp,
        ListenerKind.Tcp => options.Tcp,
        ListenerKind.Tls => options.Tls,
        ListenerKind.Relp => options.Relp,
        _ => options.RelpTls,
    };

    /// <summary>Names the node of each connection or datagram at accept time (certificate, <c>Nodes:Networks</c>).</summary>
    public NodeIdentityResolver Nodes { get; init; } = NodeIdentityResolver.None;

    /// <summary>Binds the listener for <paramref name="kind"/>; a TLS one needs <paramref name="tls"/>.</summary>
    public IListener Create(ListenerKind kind, IPEndPoint endPoint, TlsAuthenticator? tls)
    {
        if (kind == ListenerKind.Udp)
        {
            return new UdpSyslogListener(endPoint, options, sources, spool, metrics, timeProvider, logger) { Nodes = Nodes };
        }

        StreamListenerSpec spec = kind switch
        {
            ListenerKind.Tcp => new(kind, "tcp", "syslog on tcp://", [Gate("tcp", ListenerKind.Tcp, ListenerKind.Tls)], Syslog(Transport.Tcp)),
            ListenerKind.Tls => new(kind, "tls", "syslog over TLS on tcp://", [Tls(tls, "tls")], Syslog(Transport.Tls)),
            ListenerKind.Relp => new(kind, "relp", "RELP on tcp://", [Gate("relp", ListenerKind.Relp, ListenerKind.RelpTls)], Relp()),
            _ => new(kind, "relp_tls", "RELP over TLS on tcp://", [Tls(tls, "relp_tls")], Relp()),
        };
        return new StreamListener(spec, endPoint, options, sources, metrics, timeProvider, logger) { Nodes = Nodes };
    }

    private PlainPortGate Gate(string name, ListenerKind plain, ListenerKind secure) => new(_misdirected, metrics, name, Key(plain), Key(secure));

    private static TlsLayer Tls(TlsAuthenticator? tls, string name) =>
        new(tls ?? throw new InvalidOperationException("a TLS listener needs the Tls section loaded"), name);

    private SyslogStreamHandler Syslog(Transport transport) => new(transport, options, spool, metrics, timeProvider);

    private RelpHandler Relp() => new(spool, options, metrics, timeProvider);
}
