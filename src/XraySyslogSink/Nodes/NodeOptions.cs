using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Nodes;

/// <summary>Options section <c>Nodes</c>: how a message's node is identified, and the per-node health limits.</summary>
internal sealed class NodeOptions
{
    public const string SectionName = "Nodes";

    /// <summary>
    /// Source networks by node name, for nodes without a client certificate: <c>"node-a": ["10.1.0.0/24"]</c>,
    /// <c>"node-b": ["192.0.2.7", "2001:db8:7::/64"]</c>. A peer in several networks belongs to the most specific.
    /// Beats the HOSTNAME the sender writes. Keyed by name because configuration keys cannot hold the <c>:</c> of IPv6.
    /// </summary>
    public Dictionary<string, string[]> Networks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Client-certificate SHA-256 fingerprints by node name (<c>"node-a": ["AB:CD:…"]</c>; several for a rotation):
    /// a certificate listed here names its node; any other verified certificate is named by its subject CN.
    /// </summary>
    public Dictionary<string, string[]> CertificateNames { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Node names with their own Prometheus series (default 500); every further node is counted under
    /// <c>node="other"</c>. Configured and recently seen nodes take their series first at start.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxSeries { get; set; } = 500;

    /// <summary>
    /// New rows the <c>nodes</c> table may take per minute (default 1000): a node over it is stored with
    /// <c>node_id</c> NULL and its row goes whole to <c>dead_letters</c>, like the other dimensions over
    /// <c>Cache:MaxNewValuesPerMinute</c>.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxNewPerMinute { get; set; } = 1000;

    /// <summary>A node that sent nothing for this long is listed as silent by <c>/healthz</c> (default 15 minutes).</summary>
    public TimeSpan SilentAfter { get; set; } = TimeSpan.FromMinutes(15);
}
