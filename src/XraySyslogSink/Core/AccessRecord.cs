using System.Diagnostics.CodeAnalysis;

namespace XraySyslogSink.Core;

/// <summary>What <c>logs.action</c> holds for an access line.</summary>
[SuppressMessage("Maintainability", "CA1515", Justification = "Public because the unit tests' xunit theories (public methods) take it as a parameter.")]
public enum AccessAction : byte
{
    Accepted,
    Rejected,
}

/// <summary>One row of the <c>logs</c> table, ready for the writer.</summary>
internal struct AccessRecord
{
    /// <summary>The event time in UTC (<see cref="DateTimeKind.Utc"/>); decides the partition.</summary>
    public DateTime TimestampUtc;

    public InetValue SourceIp;

    public int SourcePort;

    public AccessAction Action;

    public DimensionValue Protocol;

    public DimensionValue Destination;

    /// <summary>Destination port, or -1 for NULL (rejected lines have none).</summary>
    public int DestinationPort;

    public DimensionValue InboundTag;

    public DimensionValue OutboundTag;

    public DimensionValue User;

    /// <summary>When the message was received (UTC ticks), for the receipt-to-commit latency.</summary>
    public long ReceivedAtTicks;

    /// <summary>The node the line came from (<c>logs.node_id</c>); <c>default</c> when nothing names it.</summary>
    public DimensionValue Node;

    /// <summary>The node's per-node metrics slot (0 = the shared "other" series), for the per-node row counts.</summary>
    public int NodeSlot;
}
