using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using XraySyslogSink.Core;
using XraySyslogSink.Nodes;
using XraySyslogSink.Storage;
using XraySyslogSink.Telemetry;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Pipeline;

/// <summary>
/// A parser worker's view of nodes: names each message's node (<see cref="NodeAttribution"/>), keeps one
/// <see cref="NodeSighting"/> per node and chunk (its <c>nodes</c> row, metrics slot and zone are looked up once
/// per chunk, not per line), counts lines per node, and counts and logs (once per node and pair) a HOSTNAME that
/// disagrees with an established identity. Not thread-safe: each worker owns one.
/// </summary>
internal sealed partial class MessageNodes
{
    private readonly NodeAttribution _attribution = new();
    private readonly DimensionCache _cache;
    private readonly SenderTimeZones _zones;
    private readonly NodeSeries _series;
    private readonly HostnameMismatches _mismatches;
    private readonly ILogger _logger;
    private readonly Dictionary<string, NodeSighting> _inChunk = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeSighting>.AlternateLookup<ReadOnlySpan<char>> _inChunkLookup;
    private readonly long[] _disagreements = new long[Enum.GetValues<NodeIdentitySource>().Length];

    public MessageNodes(DimensionCache cache, SenderTimeZones zones, NodeSeries series, HostnameMismatches mismatches, ILogger logger)
    {
        _cache = cache;
        _zones = zones;
        _series = series;
        _mismatches = mismatches;
        _logger = logger;
        _inChunkLookup = _inChunk.GetAlternateLookup<ReadOnlySpan<char>>();
        Tally = new NodeTally(series);
    }

    /// <summary>Nodes for a builder that reports no per-node metrics (the history import, tests).</summary>
    public static MessageNodes Unreported(DimensionCache cache, SenderTimeZones zones) =>
        new(cache, zones, new NodeSeries(1), new HostnameMismatches(), NullLogger.Instance);

    /// <summary>Per-node counts since the last report.</summary>
    public NodeTally Tally { get; }

    /// <summary>Lines whose HOSTNAME disagreed with an identity from <paramref name="source"/>, since the last report.</summary>
    public long DisagreementsSinceReport(NodeIdentitySource source) => _disagreements[(int)source];

    /// <summary>The node of <paramref name="message"/>, or null when nothing names it (an imported line without HOSTNAME).</summary>
    public NodeSighting? Find(in ReceivedMessage message, ReadOnlySpan<byte> hostname, RecordChunk chunk)
    {
        NodeChoice choice = _attribution.Choose(message.Node, hostname, message.Peer);
        if (choice.Source == NodeIdentitySource.None)
        {
            return null;
        }

        // A HOSTNAME that names a node is printable ASCII of at most 255 bytes, so widening is exact.
        Span<char> widened = stackalloc char[NodeNames.MaxLength];
        scoped ReadOnlySpan<char> name;
        if (choice.Name is { } text)
        {
            name = text;
        }
        else
        {
            for (int i = 0; i < choice.Hostname.Length; i++)
            {
                widened[i] = (char)choice.Hostname[i];
            }

            name = widened[..choice.Hostname.Length];
        }

        if (!_inChunkLookup.TryGetValue(name, out NodeSighting? node))
        {
            node = Sighting(choice.Name ?? new string(name));
            _inChunk.Add(node.Name, node);
            chunk.AddNode(node);
        }

        node.Saw(message.Peer, message.ReceivedAt);
        Tally.Line(node.Slot, message.ReceivedAt.ToUnixTimeSeconds());
        if (choice.HostnameDisagrees)
        {
            Disagreement(node, choice.Source, choice.DisagreeingHostname);
        }

        return node;
    }

    /// <summary>Call when a chunk has been handed on: the next one gets its own sightings.</summary>
    public void ChunkSent() => _inChunk.Clear();

    public void ReportTo(SinkMetrics metrics)
    {
        Tally.ReportTo(_series);
        for (int source = 0; source < _disagreements.Length; source++)
        {
            if (_disagreements[source] > 0)
            {
                metrics.HostnameDisagreements((NodeIdentitySource)source, _disagreements[source]);
                _disagreements[source] = 0;
            }
        }
    }

    private NodeSighting Sighting(string name)
    {
        DimensionValue value = _cache.TryGetId(name, out int id) ? new DimensionValue(id) : new DimensionValue(name);
        TimeZoneInfo zone = _zones.AllUtc ? TimeZoneInfo.Utc : _zones.ForNode(name.AsSpan());
        return new NodeSighting(name, value, _series.SlotOf(name.AsSpan()), zone);
    }

    private void Disagreement(NodeSighting node, NodeIdentitySource source, ReadOnlySpan<byte> hostname)
    {
        _disagreements[(int)source]++;
        if (node.LastDisagreeing is { } last && hostname.SequenceEqual(last))
        {
            return;
        }

        node.LastDisagreeing = hostname.ToArray();
        switch (_mismatches.Record(node.Name, hostname))
        {
            case MismatchVerdict.New:
                LogDisagreement(NodeText.Escape(node.Name), source.Name(), NodeText.Escape(hostname));
                break;
            case MismatchVerdict.FirstOverCapacity:
                LogDisagreementsFull(_mismatches.Capacity);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} (identified by {Source}) sends HOSTNAME {Hostname}: its lines are attributed to the node and read in its time zone (logged once per node and HOSTNAME; counted in xraysink.nodes.hostname_disagreements)")]
    private partial void LogDisagreement(string node, string source, string hostname);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Capacity} node/HOSTNAME disagreements logged; further new pairs are only counted (xraysink.nodes.hostname_disagreements)")]
    private partial void LogDisagreementsFull(int capacity);
}
