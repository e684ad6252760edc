using XraySyslogSink.Core;

namespace XraySyslogSink.Listeners.Security;

/// <summary>
/// Decides at accept time whether one stream listener takes a connection: the peer must be on the listener's
/// allow list, and neither <c>Listeners:MaxConnections</c> (all peers) nor <c>Listeners:MaxConnectionsPerSource</c>
/// (one address) may be reached. Every admitted connection must be <see cref="Release"/>d once.
/// </summary>
internal sealed class ConnectionAdmission
{
    public const string SourceNotAllowed = "source_not_allowed";
    public const string TooManyConnections = "too_many_connections";
    public const string TooManyFromSource = "too_many_from_source";

    private readonly SourceFilter _filter;
    private readonly ListenerKind _kind;
    private readonly int _maxTotal;
    private readonly int _maxPerSource;
    private readonly Dictionary<InetValue, int> _perSource = [];
    private int _total;

    public ConnectionAdmission(SourceFilter filter, ListenerKind kind, ListenerOptions options)
    {
        _filter = filter;
        _kind = kind;
        _maxTotal = options.MaxConnections;
        _maxPerSource = options.MaxConnectionsPerSource;
    }

    public int Total
    {
        get
        {
            lock (_perSource)
            {
                return _total;
            }
        }
    }

    /// <summary>Null when admitted, otherwise the reason (one of the constants) the connection is refused.</summary>
    public string? TryAdmit(InetValue peer)
    {
        if (!_filter.For(_kind).Allows(peer))
        {
            return SourceNotAllowed;
        }

        lock (_perSource)
        {
            if (_total >= _maxTotal)
            {
                return TooManyConnections;
            }

            _perSource.TryGetValue(peer, out int fromPeer);
            if (fromPeer >= _maxPerSource)
            {
                return TooManyFromSource;
            }

            _perSource[peer] = fromPeer + 1;
            _total++;
            return null;
        }
    }

    public void Release(InetValue peer)
    {
        lock (_perSource)
        {
            _total--;
            if (_perSource.TryGetValue(peer, out int fromPeer) && fromPeer > 1)
            {
                _perSource[peer] = fromPeer - 1;
            }
            else
            {
                _perSource.Remove(peer);
            }
        }
    }
}
