using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Storage;

/// <summary>Options section <c>Cache</c>: the most entries each dimension cache keeps in memory.</summary>
public sealed class DimensionCacheOptions
{
    public const string SectionName = "Cache";

    /// <summary>Distinct user emails kept. Default 200 000.</summary>
    [Range(2, 100_000_000)]
    public int MaxUsers { get; set; } = 200_000;

    /// <summary>Distinct destination addresses kept. Default 500 000.</summary>
    [Range(2, 100_000_000)]
    public int MaxEndpoints { get; set; } = 500_000;

    /// <summary>Distinct route tags (inbound and outbound share one cache). Default 10 000.</summary>
    [Range(2, 10_000_000)]
    public int MaxTags { get; set; } = 10_000;

    /// <summary>Distinct protocol names. Default 100.</summary>
    [Range(2, 1_000_000)]
    public int MaxProtocols { get; set; } = 100;
}
