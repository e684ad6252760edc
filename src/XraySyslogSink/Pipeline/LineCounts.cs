using XraySyslogSink.Core;
using XraySyslogSink.Telemetry;
using XraySyslogSink.Xray;

namespace XraySyslogSink.Pipeline;

/// <summary>One worker's counts since it last reported; reported to <see cref="SinkMetrics"/> once per chunk.</summary>
internal sealed class LineCounts
{
    private static readonly XrayLineKind[] SkipKinds =
        [XrayLineKind.SkippedInternalDns, XrayLineKind.SkippedDnsQuery, XrayLineKind.SkippedErrorLog];

    private readonly long[] _skipped = new long[Enum.GetValues<XrayLineKind>().Length];
    private readonly Dictionary<string, long> _deadLettered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _recovered = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Reason, DeadLetterLimit Limit, string SourceClass), long> _suppressed = [];
    private long _suppressedTotal;

    public long Parsed { get; set; }

    public DimensionLookupCounts Users { get; } = new("users");

    public DimensionLookupCounts Protocols { get; } = new("protocols");

    public DimensionLookupCounts Endpoints { get; } = new("endpoints");

    public DimensionLookupCounts Tags { get; } = new("tags");

    public void Skipped(XrayLineKind kind) => _skipped[(int)kind]++;

    /// <summary>Lines of <paramref name="kind"/> skipped since the last report.</summary>
    public long SkippedSinceReport(XrayLineKind kind) => _skipped[(int)kind];

    public void DeadLettered(string reason) =>
        _deadLettered[reason] = _deadLettered.GetValueOrDefault(reason) + 1;

    /// <summary>A dead letter over <paramref name="limit"/>: counted by reason, limit and the kind of source, not stored.</summary>
    public void Suppressed(string reason, DeadLetterLimit limit, InetValue peer)
    {
        var key = (reason, limit, SourceClass.Of(peer));
        _suppressed[key] = _suppressed.GetValueOrDefault(key) + 1;
        _suppressedTotal++;
    }

    /// <summary>A line that arrived in a known damaged shape and was put back together (see <see cref="RecoveredReasons"/>).</summary>
    public void Recovered(string reason) =>
        _recovered[reason] = _recovered.GetValueOrDefault(reason) + 1;

    /// <summary>Dead letters by reason since the last report (an importer, which never reports, reads its totals here).</summary>
    public IReadOnlyDictionary<string, long> DeadLetteredSinceReport => _deadLettered;

    /// <summary>Dead letters not stored (over the dead-letter budget) since the last report.</summary>
    public long SuppressedSinceReport => _suppressedTotal;

    public void ReportTo(SinkMetrics metrics)
    {
        metrics.LinesParsed(Parsed);
        Parsed = 0;
        foreach (XrayLineKind kind in SkipKinds)
        {
            if (_skipped[(int)kind] > 0)
            {
                metrics.LinesSkipped(kind.Name(), _skipped[(int)kind]);
                _skipped[(int)kind] = 0;
            }
        }

        if (_deadLettered.Count > 0)
        {
            foreach ((string reason, long count) in _deadLettered)
            {
                metrics.LineDeadLettered(reason, count);
            }

            _deadLettered.Clear();
        }

        if (_recovered.Count > 0)
        {
            foreach ((string reason, long count) in _recovered)
            {
                metrics.LinesRecovered(reason, count);
            }

            _recovered.Clear();
        }

        if (_suppressed.Count > 0)
        {
            foreach (((string reason, DeadLetterLimit limit, string sourceClass), long count) in _suppressed)
            {
                metrics.DeadLettersSuppressed(reason, limit, sourceClass, count);
            }

            _suppressed.Clear();
            _suppressedTotal = 0;
        }

        Users.ReportTo(metrics);
        Protocols.ReportTo(metrics);
        Endpoints.ReportTo(metrics);
        Tags.ReportTo(metrics);
    }
}

internal sealed class DimensionLookupCounts(string dimension)
{
    public long Hits { get; set; }

    public long Misses { get; set; }

    public void ReportTo(SinkMetrics metrics)
    {
        if (Hits + Misses > 0)
        {
            metrics.DimensionLookups(dimension, Hits, Misses);
            Hits = 0;
            Misses = 0;
        }
    }
}
