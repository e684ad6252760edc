using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Storage;

/// <summary>Options section <c>Cache</c>: the most entries each dimension cache keeps in memory.</summary>
internal sealed class DimensionCacheOptions
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

    /// <summary>Distinct node names (<c>nodes</c>). Default 10 000.</summary>
    [Range(2, 10_000_000)]
    public int MaxNodes { get; set; } = 10_000;

    /// <summary>Distinct protocol names. Default 100.</summary>
    [Range(2, 1_000_000)]
    public int MaxProtocols { get; set; } = 100;

    /// <summary>
    /// New rows each dimension table may take per minute (default 100 000; 0 = no cap). A row whose new value is
    /// over it is stored with that value NULL and also goes whole to <c>dead_letters</c> (see <see cref="NewValueLimit"/>).
    /// </summary>
    /// <remarks>
    /// 10 000 was the first default: a collector starting on a fleet with 50 000 distinct destinations parked
    /// 40 000 of them in its first minute (scripts/bench.sh). 100 000 a minute still bounds a random-subdomain
    /// flood to about 1 700 new rows a second while a real fleet's first-hour burst goes through whole.
    /// </remarks>
    [Range(0, 100_000_000)]
    public int MaxNewValuesPerMinute { get; set; } = 100_000;
}
