using System.Text;
using XraySyslogSink.Core;

namespace XraySyslogSink.Nodes;

/// <summary>
/// The parse-time half of node identity: the identity a listener recorded wins; otherwise the syslog HOSTNAME when
/// it is a valid name (<see cref="NodeNames.IsValidHostname"/>); otherwise the peer address. Not thread-safe: each
/// parser worker owns one. Allocates only the text of a peer address it has not named before (a bounded cache).
/// </summary>
internal sealed class NodeAttribution
{
    private const int MaxPeerNames = 4096;

    private readonly Dictionary<InetValue, string> _peerNames = [];

    /// <summary>Chooses the node of one message.</summary>
    /// <param name="accepted">What the listener established (certificate or network), or <c>default</c>.</param>
    /// <param name="hostname">The HOSTNAME field of the syslog header (empty when there is none).</param>
    /// <param name="peer">The address the message came from.</param>
    public NodeChoice Choose(in NodeIdentity accepted, ReadOnlySpan<byte> hostname, InetValue peer)
    {
        bool validHostname = NodeNames.IsValidHostname(hostname);
        if (accepted.Name is { } established)
        {
            bool disagrees = validHostname && !Ascii.EqualsIgnoreCase(hostname, established);
            return new NodeChoice(accepted.Source, established, default, disagrees ? hostname : default);
        }

        if (validHostname)
        {
            return new NodeChoice(NodeIdentitySource.Hostname, null, hostname, default);
        }

        string? address = PeerName(peer);
        return new NodeChoice(address is null ? NodeIdentitySource.None : NodeIdentitySource.PeerAddress, address, default, default);
    }

    /// <summary>The peer address as text (<c>192.0.2.7</c>, <c>2001:db8::1</c>); null without one (an imported line: no node).</summary>
    private string? PeerName(InetValue peer)
    {
        if (!peer.HasValue)
        {
            return null;
        }

        if (_peerNames.TryGetValue(peer, out string? name))
        {
            return name;
        }

        if (_peerNames.Count >= MaxPeerNames)
        {
            _peerNames.Clear();
        }

        name = peer.ToIPAddress().ToString();
        _peerNames.Add(peer, name);
        return name;
    }
}

/// <summary>
/// The node chosen for one message: either <see cref="Name"/> (an established or peer-address name) or the
/// <see cref="Hostname"/> bytes, not yet turned into a string; <see cref="DisagreeingHostname"/> is the HOSTNAME
/// when it names another node than the established identity (empty otherwise).
/// </summary>
internal readonly ref struct NodeChoice
{
    public NodeChoice(NodeIdentitySource source, string? name, ReadOnlySpan<byte> hostname, ReadOnlySpan<byte> disagreeingHostname)
    {
        Source = source;
        Name = name;
        Hostname = hostname;
        DisagreeingHostname = disagreeingHostname;
    }

    /// <summary><see cref="NodeIdentitySource.None"/> when nothing names the node (an imported line without HOSTNAME).</summary>
    public NodeIdentitySource Source { get; }

    /// <summary>The name as a string, or null when it is <see cref="Hostname"/>.</summary>
    public string? Name { get; }

    /// <summary>The HOSTNAME bytes that name the node (source <see cref="NodeIdentitySource.Hostname"/>).</summary>
    public ReadOnlySpan<byte> Hostname { get; }

    public ReadOnlySpan<byte> DisagreeingHostname { get; }

    public bool HostnameDisagrees => !DisagreeingHostname.IsEmpty;
}
