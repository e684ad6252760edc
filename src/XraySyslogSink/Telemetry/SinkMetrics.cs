using System.Diagnostics.Metrics;
using XraySyslogSink.Core;

namespace XraySyslogSink.Telemetry;

/// <summary>
/// The <c>XraySyslogSink</c> meter (see it with <c>dotnet-counters monitor -n xraysink --counters XraySyslogSink</c>)
/// and running totals of the same figures for the periodic summary line, which instruments cannot be read back for.
/// Stages count locally and report here once per chunk or batch, so the hot path pays no per-line synchronisation.
/// </summary>
internal sealed class SinkMetrics : IDisposable
{
    public const string MeterName = "XraySyslogSink";

    /// <summary>The receipt-to-commit histogram, whose buckets follow <c>Writer:FlushInterval</c> (<see cref="MetricsEndpoint.CommitLatencyBuckets"/>).</summary>
    public const string CommitLatencyName = "xraysink.rows.commit_latency";

    private readonly Meter _meter;
    private readonly Counter<long> _messagesReceived;
    private readonly Counter<long> _bytesReceived;
    private readonly Counter<long> _messagesOversize;
    private readonly Counter<long> _messagesIncomplete;
    private readonly Counter<long> _linesParsed;
    private readonly Counter<long> _linesSkipped;
    private readonly Counter<long> _linesRecovered;
    private readonly Counter<long> _linesDeadLettered;
    private readonly Counter<long> _deadLettersSuppressed;
    private readonly Counter<long> _rowsWritten;
    private readonly Counter<long> _batchesFlushed;
    private readonly Counter<long> _flushFailures;
    private readonly Histogram<double> _flushDuration;
    private readonly Histogram<double> _commitLatency;
    private readonly Counter<long> _udpDropped;
    private readonly Counter<long> _connectionsAccepted;
    private readonly Counter<long> _connectionsRejected;
    private readonly Counter<long> _relpSessionsOpened;
    private readonly Counter<long> _relpSessionsClosed;
    private readonly Counter<long> _relpFramesRejected;
    private readonly Counter<long> _logSuppressed;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;
    private readonly List<(string Stage, Func<int> Depth, int Capacity)> _queues = [];
    private readonly Histogram<double> _spoolSyncDuration;
    private ISpoolGauges? _spool;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _rejectedByReason = new(StringComparer.Ordinal);
    private IParkedRows? _newValues;
    private readonly Counter<long> _hostnameDisagreements;
    private NodeSeries? _nodes;

    private long _totalLogSuppressed;
    private long _totalMessages;
    private long _totalBytes;
    private long _totalParsed;
    private long _totalSkipped;
    private long _totalRecovered;
    private long _totalDeadLettered;
    private long _totalRowsWritten;
    private long _totalUdpDropped;
    private long _totalOversize;
    private long _totalFlushFailures;

    public SinkMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _messagesReceived = _meter.CreateCounter<long>("xraysink.messages.received", "{message}", "Syslog messages received, by transport.");
        _bytesReceived = _meter.CreateCounter<long>("xraysink.bytes.received", "By", "Message bytes received, by transport.");
        _messagesOversize = _meter.CreateCounter<long>("xraysink.messages.oversize", "{message}", "Messages over Listeners:MaxMessageSize, discarded inside their frame.");
        _messagesIncomplete = _meter.CreateCounter<long>("xraysink.messages.incomplete", "{message}", "Octet-counted frames cut short by the sender closing the connection.");
        _linesParsed = _meter.CreateCounter<long>("xraysink.lines.parsed", "{line}", "Access lines parsed into rows.");
        _linesSkipped = _meter.CreateCounter<long>("xraysink.lines.skipped", "{line}", "Lines that are not access records (internal DNS, DNS query log, error log), by reason.");
        _linesRecovered = _meter.CreateCounter<long>("xraysink.lines.recovered", "{line}", "Lines that arrived in a known damaged shape and were put back together (e.g. a relay sent the xray date as the program name), by reason.");
        _linesDeadLettered = _meter.CreateCounter<long>("xraysink.lines.dead_lettered", "{line}", "Lines that could not be stored as rows, by reason.");
        _deadLettersSuppressed = _meter.CreateCounter<long>("xraysink.dead_letters.suppressed", "{line}", "Dead letters over the dead-letter budget (rate, volume, a source's share): counted by reason, limit and source class, not stored.");
        _rowsWritten = _meter.CreateCounter<long>("xraysink.rows.written", "{row}", "Rows committed to the logs table.");
        _batchesFlushed = _meter.CreateCounter<long>("xraysink.batches.flushed", "{batch}", "Batches committed to PostgreSQL.");
        _flushFailures = _meter.CreateCounter<long>("xraysink.flush.failures", "{failure}", "Flush attempts that failed and will be retried, by kind.");
        _flushDuration = _meter.CreateHistogram<double>("xraysink.flush.duration", "s", "Time to commit one batch.");
        _commitLatency = _meter.CreateHistogram<double>(CommitLatencyName, "s", "Time from receiving a message to committing its row, per row.");
        _udpDropped = _meter.CreateCounter<long>("xraysink.udp.dropped", "{datagram}", "UDP datagrams dropped by the collector, by reason.");
        _meter.CreateObservableCounter("xraysink.udp.kernel_dropped", () => KernelDrops.Total, "{datagram}", "UDP datagrams the kernel dropped for our sockets (receive buffer full), from /proc/net/udp and udp6.");
        _connectionsAccepted = _meter.CreateCounter<long>("xraysink.connections.accepted", "{connection}", "Stream connections accepted, by listener.");
        _connectionsRejected = _meter.CreateCounter<long>("xraysink.connections.rejected", "{connection}", "Stream connections closed before or instead of serving them, by listener and reason.");
        _relpSessionsOpened = _meter.CreateCounter<long>("xraysink.relp.sessions.opened", "{session}", "RELP sessions accepted.");
        _relpSessionsClosed = _meter.CreateCounter<long>("xraysink.relp.sessions.closed", "{session}", "RELP sessions ended, by reason.");
        _relpFramesRejected = _meter.CreateCounter<long>("xraysink.relp.frames.rejected", "{frame}", "RELP frames that ended their session, by reason.");
        _logSuppressed = _meter.CreateCounter<long>("xraysink.log.suppressed", "{line}", "Per-connection log lines over the per-peer limit (5 a minute per address): counted, not written.");
        _cacheHits = _meter.CreateCounter<long>("xraysink.dimension_cache.hits", "{lookup}", "Dimension values found in memory, by dimension.");
        _cacheMisses = _meter.CreateCounter<long>("xraysink.dimension_cache.misses", "{lookup}", "Dimension values the writer had to resolve in PostgreSQL, by dimension.");
        _meter.CreateObservableGauge("xraysink.queue.depth", ObserveQueues, "{item}", "Items waiting between stages, by stage.");
        _meter.CreateObservableGauge("xraysink.queue.capacity", ObserveQueueCapacities, "{item}", "Items a stage's queue holds at most (Pipeline:MessageQueueCapacity, Pipeline:RecordQueueCapacity), by stage.");
        _spoolSyncDuration = _meter.CreateHistogram<double>("xraysink.spool.sync.duration", "s", "Time to fsync the spool once (group commit).");
        _meter.CreateObservableGauge("xraysink.spool.bytes", () => SpoolBytes, "By", "Bytes of spool segment files not yet freed.");
        _meter.CreateObservableGauge("xraysink.spool.limit", () => _spool?.MaxBytes ?? 0, "By", "Spool:MaxBytes: at this size TCP senders are held back and UDP datagrams dropped.");
        _meter.CreateObservableCounter("xraysink.spool.appended", () => _spool?.Appended ?? 0, "{message}", "Messages appended to the spool.");
        _meter.CreateObservableCounter("xraysink.spool.replayed", () => _spool?.Replayed ?? 0, "{message}", "Messages forwarded to the parsers from disk (after the queue was full, or at start).");
        _meter.CreateObservableCounter("xraysink.spool.corrupt_bytes", () => _spool?.CorruptBytes ?? 0, "By", "Spool bytes skipped on replay because no trusted record started there (damage).");
        _meter.CreateObservableCounter("xraysink.spool.rejected_records", () => _spool?.RejectedRecords ?? 0, "{record}", "Spool records that passed their check but not the sequence rules on replay (not replayed).");
        _meter.CreateObservableCounter("xraysink.spool.clamped_times", () => _spool?.ClampedTimes ?? 0, "{message}", "Replayed messages whose received-at time lay outside the plausible window and was clamped into it.");
        _meter.CreateObservableCounter("xraysink.dimension_values.parked", ObserveParked, "{row}", "Rows stored with a new dimension value over Cache:MaxNewValuesPerMinute set NULL (the row also goes to dead_letters), by dimension.");
        _hostnameDisagreements = _meter.CreateCounter<long>("xraysink.nodes.hostname_disagreements", "{line}", "Lines whose HOSTNAME names another node than the identity their listener established, by that identity's source (certificate, network, assigned); attributed to the established node.");
        _meter.CreateObservableCounter("xraysink.node.lines.received", () => ObserveNodes(static n => n.Lines), "{line}", "Lines received per node (beyond Nodes:MaxSeries nodes under node=\"other\").");
        _meter.CreateObservableCounter("xraysink.node.rows.written", () => ObserveNodes(static n => n.Rows), "{row}", "Rows committed per node.");
        _meter.CreateObservableCounter("xraysink.node.dead_letters", () => ObserveNodes(static n => n.DeadLetters), "{line}", "Lines of each node that became dead letters in the parser.");
        _meter.CreateObservableGauge("xraysink.node.last_seen", () => ObserveNodes(static n => n.LastSeenUnixSeconds), "s", "When each node's latest line arrived, as a Unix time.");
        _meter.CreateObservableCounter("xraysink.nodes.series_overflow", () => _nodes?.OverflowLookups ?? 0, "{lookup}", "Node look-ups counted under node=\"other\" because Nodes:MaxSeries nodes already have their own series.");
        _meter.CreateObservableCounter("xraysink.dimension_values.parked_suppressed", () => _newValues?.SuppressedDeadLetters ?? 0, "{row}", "Dead letters of parked rows over Pipeline:DeadLettersPerSecond: counted, not stored.");
    }

    public long TotalMessages => Volatile.Read(ref _totalMessages);

    public long TotalBytes => Volatile.Read(ref _totalBytes);

    public long TotalParsed => Volatile.Read(ref _totalParsed);

    public long TotalSkipped => Volatile.Read(ref _totalSkipped);

    public long TotalRecovered => Volatile.Read(ref _totalRecovered);

    public long TotalDeadLettered => Volatile.Read(ref _totalDeadLettered);

    public long TotalRowsWritten => Volatile.Read(ref _totalRowsWritten);

    public long TotalUdpDropped => Volatile.Read(ref _totalUdpDropped);

    /// <summary>The kernel's drop count for our UDP sockets (<c>/proc/net/udp</c>); listeners register their sockets here.</summary>
    public UdpKernelDrops KernelDrops { get; } = new();

    public long TotalOversize => Volatile.Read(ref _totalOversize);

    public long TotalFlushFailures => Volatile.Read(ref _totalFlushFailures);

    /// <summary>Bytes the spool holds on disk (0 before it opens).</summary>
    public long SpoolBytes => _spool?.Bytes ?? 0;

    internal void TrackSpool(ISpoolGauges spool) => _spool = spool;

    /// <summary>Reports the parked rows of the daemon's new-value cap (<c>xraysink.dimension_values.parked</c>).</summary>
    internal void TrackNewValues(IParkedRows limit) => _newValues = limit;

    /// <summary>Reports the per-node series (<c>xraysink.node.*</c>).</summary>
    internal void TrackNodes(NodeSeries nodes) => _nodes = nodes;

    public void HostnameDisagreements(Core.NodeIdentitySource source, long lines) =>
        _hostnameDisagreements.Add(lines, new KeyValuePair<string, object?>("source", Core.NodeIdentitySourceNames.Name(source)));

    private IEnumerable<Measurement<long>> ObserveNodes(Func<NodeSeriesValues, long> value)
    {
        if (_nodes is null)
        {
            yield break;
        }

        foreach (NodeSeriesValues node in _nodes.Snapshot())
        {
            yield return new Measurement<long>(value(node), new KeyValuePair<string, object?>("node", node.Node));
        }
    }

    private IEnumerable<Measurement<long>> ObserveParked()
    {
        if (_newValues is null)
        {
            // No cap configured: the family still exists, at zero, so dashboards and scrapes see it.
            foreach (string table in DimensionNames.All)
            {
                yield return new Measurement<long>(0, new KeyValuePair<string, object?>("dimension", table));
            }

            yield break;
        }

        foreach ((string table, long rows) in _newValues.ParkedRows())
        {
            yield return new Measurement<long>(rows, new KeyValuePair<string, object?>("dimension", table));
        }
    }

    /// <summary>
    /// Exports the series the alert rules watch at zero, so the first failure or suppression is an increase
    /// Prometheus sees (a series born at 1 has no earlier sample to rise from). Called by the writer when it starts,
    /// after the metrics endpoint has begun listening to the meter.
    /// </summary>
    public void ExportWatchedSeriesAtZero()
    {
        _flushFailures.Add(0, new KeyValuePair<string, object?>("kind", "transient"));
        _flushFailures.Add(0, new KeyValuePair<string, object?>("kind", "other"));
        _deadLettersSuppressed.Add(0);
    }

    public void SpoolSynced(TimeSpan duration) => _spoolSyncDuration.Record(duration.TotalSeconds);

    /// <summary>Registers a queue whose depth <c>xraysink.queue.depth</c> (and capacity <c>xraysink.queue.capacity</c>) reports under <paramref name="stage"/>.</summary>
    public void TrackQueue(string stage, Func<int> depth, int capacity)
    {
        lock (_queues)
        {
            _queues.Add((stage, depth, capacity));
        }
    }

    public IReadOnlyList<(string Stage, int Depth)> QueueDepths()
    {
        lock (_queues)
        {
            var depths = new List<(string, int)>(_queues.Count);
            foreach ((string stage, Func<int> depth, _) in _queues)
            {
                depths.Add((stage, depth()));
            }

            return depths;
        }
    }

    public void MessagesReceived(Transport transport, long messages, long bytes)
    {
        var tag = new KeyValuePair<string, object?>("transport", transport.Name());
        _messagesReceived.Add(messages, tag);
        _bytesReceived.Add(bytes, tag);
        Interlocked.Add(ref _totalMessages, messages);
        Interlocked.Add(ref _totalBytes, bytes);
    }

    public void MessageOversize(Transport transport)
    {
        _messagesOversize.Add(1, new KeyValuePair<string, object?>("transport", transport.Name()));
        Interlocked.Increment(ref _totalOversize);
    }

    public void MessageIncomplete(Transport transport) =>
        _messagesIncomplete.Add(1, new KeyValuePair<string, object?>("transport", transport.Name()));

    public void LinesParsed(long lines)
    {
        if (lines == 0)
        {
            return;
        }

        _linesParsed.Add(lines);
        Interlocked.Add(ref _totalParsed, lines);
    }

    public void LinesSkipped(string reason, long lines)
    {
        _linesSkipped.Add(lines, new KeyValuePair<string, object?>("reason", reason));
        Interlocked.Add(ref _totalSkipped, lines);
    }

    public void LinesRecovered(string reason, long lines)
    {
        _linesRecovered.Add(lines, new KeyValuePair<string, object?>("reason", reason));
        Interlocked.Add(ref _totalRecovered, lines);
    }

    public void LineDeadLettered(string reason, long lines = 1)
    {
        _linesDeadLettered.Add(lines, new KeyValuePair<string, object?>("reason", reason));
        Interlocked.Add(ref _totalDeadLettered, lines);
    }

    /// <summary>Dead letters over <paramref name="limit"/>, counted (not stored) by reason, limit and the kind of source address.</summary>
    internal void DeadLettersSuppressed(string reason, DeadLetterLimit limit, string sourceClass, long count) =>
        _deadLettersSuppressed.Add(
            count,
            new KeyValuePair<string, object?>("reason", reason),
            new KeyValuePair<string, object?>("limit", LimitName(limit)),
            new KeyValuePair<string, object?>("source_class", sourceClass));

    private static string LimitName(DeadLetterLimit limit) => limit switch
    {
        DeadLetterLimit.SourceRate => "source_rate",
        DeadLetterLimit.Rate => "rate",
        DeadLetterLimit.SourceVolume => "source_volume",
        DeadLetterLimit.Volume => "volume",
        _ => "none",
    };

    public void BatchFlushed(int rows, TimeSpan duration)
    {
        _rowsWritten.Add(rows);
        _batchesFlushed.Add(1);
        _flushDuration.Record(duration.TotalSeconds);
        Interlocked.Add(ref _totalRowsWritten, rows);
    }

    /// <summary>Records, for each of <paramref name="rows"/>, the time from its message's receipt to <paramref name="committedAt"/>.</summary>
    public void RowsCommitted(ReadOnlySpan<AccessRecord> rows, DateTimeOffset committedAt)
    {
        if (!_commitLatency.Enabled)
        {
            return;
        }

        long committed = committedAt.UtcTicks;
        foreach (ref readonly AccessRecord row in rows)
        {
            // A row without a receive time (built outside the listeners) has no latency to report.
            if (row.ReceivedAtTicks > 0)
            {
                _commitLatency.Record((double)Math.Max(0, committed - row.ReceivedAtTicks) / TimeSpan.TicksPerSecond);
            }
        }
    }

    public void FlushFailed(bool transient)
    {
        _flushFailures.Add(1, new KeyValuePair<string, object?>("kind", transient ? "transient" : "other"));
        Interlocked.Increment(ref _totalFlushFailures);
    }

    /// <summary>Exports <c>xraysink_udp_dropped_total{reason}</c> at zero (a UDP listener declares its reasons when it starts).</summary>
    public void DeclareUdpDropReason(string reason) => _udpDropped.Add(0, new KeyValuePair<string, object?>("reason", reason));

    public void UdpDropped(string reason, long datagrams = 1)
    {
        _udpDropped.Add(datagrams, new KeyValuePair<string, object?>("reason", reason));
        Interlocked.Add(ref _totalUdpDropped, datagrams);
    }

    public void ConnectionAccepted(string listener = "tcp") =>
        _connectionsAccepted.Add(1, new KeyValuePair<string, object?>("listener", listener));

    /// <summary>A connection closed before it delivered anything, by listener (tcp, tls, relp, relp_tls) and reason.</summary>
    public void ConnectionRejected(string listener, string reason)
    {
        _connectionsRejected.Add(1, new KeyValuePair<string, object?>("listener", listener), new KeyValuePair<string, object?>("reason", reason));
        _rejectedByReason.AddOrUpdate(reason, 1, static (_, count) => count + 1);
    }

    /// <summary>Connections rejected so far for <paramref name="reason"/>, over every listener.</summary>
    public long TotalRejected(string reason) => _rejectedByReason.TryGetValue(reason, out long count) ? count : 0;

    public void RelpSessionOpened() => _relpSessionsOpened.Add(1);

    public void RelpSessionClosed(string reason) =>
        _relpSessionsClosed.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A session refused at accept (too many): counted as opened and closed at once.</summary>
    public void RelpSessionRefused()
    {
        RelpSessionOpened();
        RelpSessionClosed("too_many_sessions");
    }

    /// <summary>A per-peer log line over its limit, not written.</summary>
    public void LogSuppressed()
    {
        _logSuppressed.Add(1);
        Interlocked.Increment(ref _totalLogSuppressed);
    }

    /// <summary>Per-peer log lines suppressed so far.</summary>
    public long TotalLogSuppressed => Interlocked.Read(ref _totalLogSuppressed);

    public void RelpFrameRejected(string reason) =>
        _relpFramesRejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DimensionLookups(string dimension, long hits, long misses)
    {
        var tag = new KeyValuePair<string, object?>("dimension", dimension);
        if (hits > 0)
        {
            _cacheHits.Add(hits, tag);
        }

        if (misses > 0)
        {
            _cacheMisses.Add(misses, tag);
        }
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<int>> ObserveQueueCapacities()
    {
        lock (_queues)
        {
            return [.. _queues.Select(queue => new Measurement<int>(queue.Capacity, new KeyValuePair<string, object?>("stage", queue.Stage)))];
        }
    }

    private IEnumerable<Measurement<int>> ObserveQueues()
    {
        foreach ((string stage, int depth) in QueueDepths())
        {
            yield return new Measurement<int>(depth, new KeyValuePair<string, object?>("stage", stage));
        }
    }
}
