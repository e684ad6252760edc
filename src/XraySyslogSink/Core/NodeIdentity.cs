namespace XraySyslogSink.Core;

/// <summary>How a node's name was established, strongest first (the order the resolver tries them in).</summary>
internal enum NodeIdentitySource : byte
{
    /// <summary>Not decided yet: the parser applies the HOSTNAME and peer-address rules.</summary>
    None = 0,

    /// <summary>A TLS or RELP-over-TLS client certificate (its subject CN, or a name mapped from its fingerprint).</summary>
    Certificate = 1,

    /// <summary>The operator's mapping of source networks to node names (<c>Nodes:Networks</c>).</summary>
    Network = 2,

    /// <summary>The syslog HOSTNAME the sender wrote (claimed, not authenticated).</summary>
    Hostname = 3,

    /// <summary>The peer address the message came from (no valid HOSTNAME).</summary>
    PeerAddress = 4,

    /// <summary>Named by the operator for the whole input (<c>xraysink import --node NAME</c>).</summary>
    Assigned = 5,
}

/// <summary>
/// The node a message is attributed to: its name and how that name was established. A listener records the
/// part it can vouch for when it accepts the message (<see cref="NodeIdentitySource.Certificate"/> or
/// <see cref="NodeIdentitySource.Network"/>), and that part travels with the message through the spool, so a
/// crash or a configuration reload cannot change it; the HOSTNAME and peer-address rules are applied by the parser.
/// </summary>
internal readonly struct NodeIdentity : IEquatable<NodeIdentity>
{
    /// <summary>The longest name, the width of <c>nodes.name</c> (so its UTF-8 always fits a spool record's header).</summary>
    public const int MaxNameLength = 255;

    public NodeIdentity(string name, NodeIdentitySource source)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(name.Length, MaxNameLength, nameof(name));
        Name = name;
        Source = source;
    }

    /// <summary>The node name; null for <c>default</c> (nothing established at accept time).</summary>
    public string? Name { get; }

    public NodeIdentitySource Source { get; }

    /// <summary>True when a listener established the name (certificate or network), so the HOSTNAME cannot override it.</summary>
    public bool IsEstablished => Source is NodeIdentitySource.Certificate or NodeIdentitySource.Network or NodeIdentitySource.Assigned;

    public static bool operator ==(NodeIdentity left, NodeIdentity right) => left.Equals(right);

    public static bool operator !=(NodeIdentity left, NodeIdentity right) => !left.Equals(right);

    public bool Equals(NodeIdentity other) => Source == other.Source && string.Equals(Name, other.Name, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is NodeIdentity other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Name, Source);

    public override string ToString() => Name is null ? "(none)" : $"{Name} ({Source.Name()})";
}

internal static class NodeIdentitySourceNames
{
    /// <summary>The lower-case name used in metrics tags and reports.</summary>
    public static string Name(this NodeIdentitySource source) => source switch
    {
        NodeIdentitySource.Certificate => "certificate",
        NodeIdentitySource.Network => "network",
        NodeIdentitySource.Hostname => "hostname",
        NodeIdentitySource.PeerAddress => "peer_address",
        NodeIdentitySource.Assigned => "assigned",
        _ => "none",
    };
}
