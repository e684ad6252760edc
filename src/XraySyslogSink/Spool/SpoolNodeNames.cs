using System.Text;
using XraySyslogSink.Core;

namespace XraySyslogSink.Spool;

/// <summary>
/// Turns the node names of replayed records back into <see cref="NodeIdentity"/> values, keeping the last few so a
/// replay of many messages from the same nodes makes no string per message. Bounded (<see cref="Capacity"/>
/// entries, replaced in turn). Not thread-safe: the replay loop owns one.
/// </summary>
internal sealed class SpoolNodeNames
{
    public const int Capacity = 16;

    private readonly (byte[] Utf8, NodeIdentity Identity)[] _recent = new (byte[], NodeIdentity)[Capacity];
    private int _next;

    public NodeIdentity Identity(NodeIdentitySource source, ReadOnlySpan<byte> utf8)
    {
        foreach ((byte[] known, NodeIdentity identity) in _recent)
        {
            if (known is not null && identity.Source == source && utf8.SequenceEqual(known))
            {
                return identity;
            }
        }

        var made = new NodeIdentity(Encoding.UTF8.GetString(utf8), source);
        _recent[_next] = (utf8.ToArray(), made);
        _next = (_next + 1) % Capacity;
        return made;
    }
}
