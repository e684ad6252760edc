using System.Runtime.InteropServices;
using XraySyslogSink.Core;

namespace XraySyslogSink.Listeners.Security;

/// <summary>
/// Decides at accept time whether one stream listener takes a connection: the peer must be on the listener's
/// allow list, and none of these may be reached: <c>Listeners:MaxConnections</c> (all peers),
/// <c>Listeners:MaxConnectionsPerSource</c> (one address), <c>Listeners:MaxConnectionsPerPrefix</c> (one /24 or /64),
/// and the budgets of silent connections, those that have not yet sent a valid frame
/// (<c>Listeners:MaxSilentConnectionsPerSource</c>, <c>Listeners:MaxSilentConnectionsPerPrefix</c>). A silent
/// connection costs the collector a slot while proving nothing, so a source holds only a few at once.
/// Every admitted connection's <see cref="AdmissionTicket"/> must be <see cref="Release"/>d once.
/// </summary>
internal sealed class ConnectionAdmission
{
    public const string SourceNotAllowed = "source_not_allowed";
    public const string TooManyConnections = "too_many_connections";
    public const string TooManyFromSource = "too_many_from_source";
    public const string TooManyFromPrefix = "too_many_from_prefix";
    public const string TooManySilentFromSource = "too_many_silent_from_source";
    public const string TooManySilentFromPrefix = "too_many_silent_from_prefix";

    private readonly SourceFilter _filter;
    private readonly ListenerKind _kind;
    private readonly int _maxTotal;
    private readonly int _maxPerSource;
    private readonly int _maxPerPrefix;
    private readonly int _maxSilentPerSource;
    private readonly int _maxSilentPerPrefix;

    // Keyed by the peer address and, apart, by its prefix (an InetValue with prefix length 24 or 64, so the two never collide).
    private readonly Dictionary<InetValue, Held> _held = [];
    private int _total;

    public ConnectionAdmission(SourceFilter filter, ListenerKind kind, ListenerOptions options)
    {
        _filter = filter;
        _kind = kind;
        _maxTotal = options.MaxConnections;
        _maxPerSource = options.MaxConnectionsPerSource;
        _maxPerPrefix = options.MaxConnectionsPerPrefix;
        _maxSilentPerSource = options.MaxSilentConnectionsPerSource;
        _maxSilentPerPrefix = options.MaxSilentConnectionsPerPrefix;
    }

    public int Total
    {
        get
        {
            lock (_held)
            {
                return _total;
            }
        }
    }

    /// <summary>The network a peer's prefix limits count it in: its /24 (IPv4) or /64 (IPv6).</summary>
    public static InetValue PrefixOf(InetValue peer) =>
        peer.IsIPv6 ? InetValue.FromIPv6(peer.High, 0, 64) : InetValue.FromIPv4((uint)peer.Low & 0xFFFF_FF00u, 24);

    /// <summary>
    /// Admits <paramref name="peer"/> as a silent connection and returns its ticket, or null with the
    /// <paramref name="refusal"/> reason (one of the constants).
    /// </summary>
    public AdmissionTicket? TryAdmit(InetValue peer, out string? refusal)
    {
        if (!_filter.For(_kind).Allows(peer))
        {
            refusal = SourceNotAllowed;
            return null;
        }

        InetValue prefix = PrefixOf(peer);
        lock (_held)
        {
            _held.TryGetValue(peer, out Held source);
            _held.TryGetValue(prefix, out Held network);
            refusal = _total >= _maxTotal ? TooManyConnections
                : source.Connections >= _maxPerSource ? TooManyFromSource
                : network.Connections >= _maxPerPrefix ? TooManyFromPrefix
                : source.Silent >= _maxSilentPerSource ? TooManySilentFromSource
                : network.Silent >= _maxSilentPerPrefix ? TooManySilentFromPrefix
                : null;
            if (refusal is not null)
            {
                return null;
            }

            _total++;
            Change(peer, connections: 1, silent: 1);
            Change(prefix, connections: 1, silent: 1);
            return new AdmissionTicket(peer, prefix);
        }
    }

    /// <summary>The connection sent a valid frame (or authenticated): it no longer counts against the silent budgets.</summary>
    public void MarkEstablished(AdmissionTicket ticket)
    {
        lock (_held)
        {
            if (ticket.Established || ticket.Released)
            {
                return;
            }

            ticket.Established = true;
            Change(ticket.Peer, connections: 0, silent: -1);
            Change(ticket.Prefix, connections: 0, silent: -1);
        }
    }

    public void Release(AdmissionTicket ticket)
    {
        lock (_held)
        {
            if (ticket.Released)
            {
                return;
            }

            ticket.Released = true;
            int silent = ticket.Established ? 0 : -1;
            _total--;
            Change(ticket.Peer, connections: -1, silent);
            Change(ticket.Prefix, connections: -1, silent);
        }
    }

    /// <summary>What <paramref name="key"/> holds now (for tests).</summary>
    internal (int Connections, int Silent) Holding(InetValue key)
    {
        lock (_held)
        {
            _held.TryGetValue(key, out Held held);
            return (held.Connections, held.Silent);
        }
    }

    private void Change(InetValue key, int connections, int silent)
    {
        ref Held held = ref CollectionsMarshal.GetValueRefOrAddDefault(_held, key, out _);
        held.Connections += connections;
        held.Silent += silent;
        if (held.Connections == 0)
        {
            _held.Remove(key);
        }
    }

    private struct Held
    {
        public int Connections;
        public int Silent;
    }
}

/// <summary>One admitted connection's hold on its listener's limits; state changes only under the admission's lock.</summary>
internal sealed class AdmissionTicket
{
    internal AdmissionTicket(InetValue peer, InetValue prefix)
    {
        Peer = peer;
        Prefix = prefix;
    }

    public InetValue Peer { get; }

    public InetValue Prefix { get; }

    /// <summary>Sent a valid frame or authenticated with a client certificate.</summary>
    public bool Established { get; internal set; }

    internal bool Released { get; set; }
}
