namespace XraySyslogSink.Storage;

/// <summary>Distinct dimension texts, one set per dimension table.</summary>
internal abstract class DimensionTextSets
{
    public HashSet<string> Users { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Protocols { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Endpoints { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Tags { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Nodes { get; } = new(StringComparer.Ordinal);

    public bool IsEmpty => Users.Count + Protocols.Count + Endpoints.Count + Tags.Count + Nodes.Count == 0;
}

/// <summary>
/// The dimension texts of some chunks that neither their records nor the caches have an id for: what a resolve must
/// insert or read back (<see cref="DimensionResolver.Collect"/>).
/// </summary>
internal sealed class PendingValues : DimensionTextSets
{
}
