namespace XraySyslogSink.Core;

/// <summary>
/// One node as met in one chunk: its name, its <c>nodes</c> row (an id, or the text the writer resolves), its
/// per-node metrics slot and zone, and the peer and time of its latest message in the chunk (the writer keeps
/// <c>nodes.last_seen</c> and <c>nodes.last_address</c> from these). Created once per node and chunk by the parser.
/// </summary>
internal sealed class NodeSighting
{
    public NodeSighting(string name, DimensionValue value, int slot, TimeZoneInfo zone)
    {
        Name = name;
        Value = value;
        Slot = slot;
        Zone = zone;
    }

    public string Name { get; }

    /// <summary>The <c>nodes</c> row; the writer replaces the text by its id.</summary>
    public DimensionValue Value;

    public int Slot { get; }

    public TimeZoneInfo Zone { get; }

    public InetValue LastPeer { get; private set; }

    public DateTimeOffset LastReceived { get; private set; }

    /// <summary>The last HOSTNAME met that disagreed with the node's established name (to skip repeats cheaply).</summary>
    internal byte[]? LastDisagreeing { get; set; }

    public void Saw(InetValue peer, DateTimeOffset receivedAt)
    {
        if (receivedAt >= LastReceived)
        {
            LastReceived = receivedAt;
            LastPeer = peer;
        }
    }
}
