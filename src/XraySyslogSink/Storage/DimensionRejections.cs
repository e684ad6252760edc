using XraySyslogSink.Pipeline;

namespace XraySyslogSink.Storage;

/// <summary>Dimension texts of one batch that could not be stored, with the reason, per dimension table.</summary>
internal sealed class DimensionRejections
{
    public Dictionary<string, string> Users { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Protocols { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Endpoints { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);

    /// <summary>Why <paramref name="record"/> cannot be copied, or null when all its dimensions are resolved.</summary>
    public string? ReasonFor(in AccessRecord record) =>
        Reason(record.User, Users)
        ?? Reason(record.Protocol, Protocols)
        ?? Reason(record.Destination, Endpoints)
        ?? Reason(record.InboundTag, Tags)
        ?? Reason(record.OutboundTag, Tags);

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
