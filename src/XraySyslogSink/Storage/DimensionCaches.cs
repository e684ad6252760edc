namespace XraySyslogSink.Storage;

/// <summary>The dimension caches (the seed's four and <c>nodes</c>), sized from <see cref="DimensionCacheOptions"/>.</summary>
internal sealed class DimensionCaches
{
    public DimensionCaches(DimensionCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Users = new DimensionCache("users", options.MaxUsers);
        Protocols = new DimensionCache("protocols", options.MaxProtocols);
        Endpoints = new DimensionCache("endpoints", options.MaxEndpoints);
        Tags = new DimensionCache("tags", options.MaxTags);
        Nodes = new DimensionCache("nodes", options.MaxNodes);
    }

    public DimensionCache Users { get; }

    public DimensionCache Protocols { get; }

    public DimensionCache Endpoints { get; }

    public DimensionCache Tags { get; }

    public DimensionCache Nodes { get; }
}
