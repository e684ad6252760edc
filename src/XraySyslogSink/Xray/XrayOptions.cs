namespace XraySyslogSink.Xray;

/// <summary>Options section <c>Xray</c>: how to read the zone-less timestamps inside xray lines.</summary>
internal sealed class XrayOptions
{
    public const string SectionName = "Xray";

    /// <summary>
    /// IANA time zone the nodes' xray clocks run in (default <c>UTC</c>, which is also what xray uses in
    /// containers without zone data).
    /// </summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>
    /// Per-node zones, keyed by node name (case-insensitive), e.g. <c>"node-tokyo-1": "Asia/Tokyo"</c>. Nodes not
    /// listed use <see cref="TimeZone"/>. The name is the node's identity (certificate, <c>Nodes:Networks</c>,
    /// HOSTNAME, peer address: docs/nodes.md), so for nodes named by their HOSTNAME it is the HOSTNAME, as before;
    /// a node named by a certificate or a network cannot choose another node's zone by claiming its HOSTNAME.
    /// </summary>
    public Dictionary<string, string> SenderTimeZones { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Live lines whose event time lies more than this before their receipt go to dead letters (default 30 days;
    /// at most 3650 days). Bounds the partitions a wrong node clock can create; the history import ignores it.
    /// </summary>
    public TimeSpan AcceptWindowBack { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Live lines whose event time lies more than this after their receipt go to dead letters (default 1 day).</summary>
    public TimeSpan AcceptWindowAhead { get; set; } = TimeSpan.FromDays(1);
}
