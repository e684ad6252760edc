using XraySyslogSink.Core;

namespace XraySyslogSink.Storage;

/// <summary>Dimension texts of one batch that could not be stored, with the reason, per dimension table.</summary>
internal sealed class DimensionRejections
{
    public Dictionary<string, string> Users { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Protocols { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Endpoints { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Nodes { get; } = new(StringComparer.Ordinal);

    /// <summary>Why <paramref name="record"/> cannot be copied, or null when all its dimensions are resolved.</summary>
    public string? ReasonFor(in AccessRecord record) =>
        Reason(record.User, Users)
        ?? Reason(record.Protocol, Protocols)
        ?? Reason(record.Destination, Endpoints)
        ?? Reason(record.InboundTag, Tags)
        ?? Reason(record.OutboundTag, Tags)
        ?? (NodesStored ? Reason(record.Node, Nodes) : null);

    /// <summary>Whether this batch resolved node names (the database has <c>logs.node_id</c>).</summary>
    public bool NodesStored { get; init; }

    private static string? Reason(DimensionValue value, Dictionary<string, string> rejected)
    {
        if (value.IsResolved || value.Text is not { } text)
        {
            return null;
        }

        // Not rejected yet unresolved: the row vanished between INSERT and SELECT (an operator deleted it).
        return rejected.GetValueOrDefault(text) ?? "dimension value could not be resolved";
    }
}

/// <summary>New dimension texts of one batch over <see cref="NewValueLimit"/>, per dimension table.</summary>
internal sealed class ParkedValues : DimensionTextSets
{
    /// <summary>The first table whose value <paramref name="record"/> holds is parked, or null.</summary>
    public DimensionTable? FirstIn(in AccessRecord record) =>
        Holds(record.User, Users) ? DimensionTable.Users
        : Holds(record.Protocol, Protocols) ? DimensionTable.Protocols
        : Holds(record.Destination, Endpoints) ? DimensionTable.Endpoints
        : Holds(record.InboundTag, Tags) || Holds(record.OutboundTag, Tags) ? DimensionTable.Tags
        : Holds(record.Node, Nodes) ? DimensionTable.Nodes
        : null;

    public static void Clear(ref DimensionValue value, HashSet<string> parked)
    {
        if (Holds(value, parked))
        {
            value = default;
        }
    }

    private static bool Holds(DimensionValue value, HashSet<string> parked) =>
        !value.IsResolved && value.Text is { } text && parked.Contains(text);
}
