using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Hosting;

/// <summary>
/// Readiness: the database answers a cheap query (the answer is reused for <c>Metrics:HealthDatabaseCacheDuration</c>)
/// and the message queue, the record queue and the spool are each below <c>Metrics:HealthQueueHighWater</c> of
/// their capacity. <c>/healthz</c> may be reachable by more people than the database: it names only the kind of
/// failure; the database's own error text (host names, role names, server messages) goes to the daemon's log.
/// </summary>
internal sealed partial class SinkHealth : IReadinessProbe, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly SinkChannels _channels;
    private readonly SinkMetrics _metrics;
    private readonly PipelineOptions _pipeline;
    private readonly SpoolOptions _spool;
    private readonly MetricsOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SinkHealth> _logger;
    private readonly NodeSeries? _nodes;
    private readonly DateTimeOffset _startedAt;
    private readonly SemaphoreSlim _probeGate = new(1, 1);
    private DatabaseProbe? _lastProbe;

    public SinkHealth(
        NpgsqlDataSource dataSource,
        SinkChannels channels,
        SinkMetrics metrics,
        IOptions<PipelineOptions> pipeline,
        IOptions<SpoolOptions> spool,
        IOptions<MetricsOptions> options,
        TimeProvider timeProvider,
        ILogger<SinkHealth>? logger = null,
        NodeSeries? nodes = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(spool);
        ArgumentNullException.ThrowIfNull(options);
        _dataSource = dataSource;
        _channels = channels;
        _metrics = metrics;
        _pipeline = pipeline.Value;
        _spool = spool.Value;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger ?? NullLogger<SinkHealth>.Instance;
        _nodes = nodes;
        _startedAt = timeProvider.GetUtcNow();
    }

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        DatabaseProbe probe = await ProbeDatabaseAsync(cancellationToken);
        List<string> reasons = [];
        var details = new StringBuilder();
        details.Append("database: ").Append(probe.Error is null ? "reachable" : "unreachable: " + probe.Error).Append('\n');
        if (probe.Error is not null)
        {
            reasons.Add("database unreachable");
        }

        Queue("message queue", _channels.Messages.Reader.Count, _pipeline.MessageQueueCapacity, reasons, details);
        Queue("record queue", _channels.Records.Reader.Count, _pipeline.RecordQueueCapacity, reasons, details);
        Queue("spool", _metrics.SpoolBytes, _spool.MaxBytes, reasons, details);
        SilentNodes(details);
        return new HealthReport(reasons.Count == 0, reasons, details.ToString());
    }

    public void Dispose() => _probeGate.Dispose();

    /// <summary>
    /// Lists nodes silent longer than <c>Nodes:SilentAfter</c> (at most 20 by name): a detail, not a readiness reason,
    /// since the collector itself is fine; <c>xraysink report nodes</c> has the whole fleet.
    /// </summary>
    private void SilentNodes(StringBuilder details)
    {
        if (_nodes is null)
        {
            return;
        }

        const int MaxListed = 20;
        DateTimeOffset now = _timeProvider.GetUtcNow();
        IReadOnlyList<(string Node, DateTimeOffset? LastSeen)> silent = _nodes.Silent(now, _startedAt);
        details.Append(CultureInfo.InvariantCulture, $"silent nodes (nothing for {_nodes.SilentAfter}): {silent.Count}");
        foreach ((string node, DateTimeOffset? lastSeen) in silent.Take(MaxListed))
        {
            string since = lastSeen is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "not seen since start";
            details.Append(CultureInfo.InvariantCulture, $"\n  {Escape(node)}: {since}");
        }

        if (silent.Count > MaxListed)
        {
            details.Append(CultureInfo.InvariantCulture, $"\n  and {silent.Count - MaxListed} more");
        }

        details.Append('\n');
    }

    /// <summary>Node names may come from senders (HOSTNAME): control characters never reach the response.</summary>
    private static string Escape(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            text.Append(char.IsControl(c) ? '?' : c);
        }

        return text.ToString();
    }

    private void Queue(string name, long depth, long capacity, List<string> reasons, StringBuilder details)
    {
        double fill = capacity > 0 ? (double)depth / capacity : 0;
        details.Append(CultureInfo.InvariantCulture, $"{name}: {depth}/{capacity} ({fill:P1})\n");
        if (fill >= _options.HealthQueueHighWater)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{name} at {fill:P0} of capacity (high-water mark {_options.HealthQueueHighWater:P0})"));
        }
    }

    private async Task<DatabaseProbe> ProbeDatabaseAsync(CancellationToken cancellationToken)
    {
        DatabaseProbe? last = Volatile.Read(ref _lastProbe);
        if (last is not null && _timeProvider.GetUtcNow() - last.At < _options.HealthDatabaseCacheDuration)
        {
            return last;
        }

        await _probeGate.WaitAsync(cancellationToken);
        try
        {
            last = _lastProbe;
            if (last is not null && _timeProvider.GetUtcNow() - last.At < _options.HealthDatabaseCacheDuration)
            {
                return last;
            }

            string? error = null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.HealthDatabaseTimeout);
            try
            {
                await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(timeout.Token);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                error = $"no answer within {_options.HealthDatabaseTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or IOException or InvalidOperationException or TimeoutException)
            {
                // Logged at most once per probe, so once per Metrics:HealthDatabaseCacheDuration however often /healthz is asked.
                error = ex is PostgresException ? "the server refused the request (details in the daemon's log)" : "connection failed (details in the daemon's log)";
                LogProbeFailed(ex.GetType().Name, ex.Message);
            }

            DatabaseProbe probe = new(_timeProvider.GetUtcNow(), error);
            Volatile.Write(ref _lastProbe, probe);
            return probe;
        }
        finally
        {
            _probeGate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health probe: the database did not answer ({Kind}: {Error})")]
    private partial void LogProbeFailed(string kind, string error);

    private sealed record DatabaseProbe(DateTimeOffset At, string? Error);
}
