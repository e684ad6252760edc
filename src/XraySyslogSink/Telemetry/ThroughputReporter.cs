using System.Globalization;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// CA1873: the summary is built once every 10 s and only when Information is enabled; the guard is explicit.
#pragma warning disable CA1873

namespace XraySyslogSink.Telemetry;

/// <summary>Writes one summary line with totals and rates every <see cref="Interval"/> (10 s) while anything moves.</summary>
internal sealed partial class ThroughputReporter : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly SinkMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ThroughputReporter> _logger;

    public ThroughputReporter(SinkMetrics metrics, TimeProvider timeProvider, ILogger<ThroughputReporter> logger)
    {
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Snapshot previous = Snapshot.Take(_metrics);
        long previousAt = _timeProvider.GetTimestamp();
        using var timer = new PeriodicTimer(Interval, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Snapshot current = Snapshot.Take(_metrics);
                double seconds = _timeProvider.GetElapsedTime(previousAt).TotalSeconds;
                previousAt = _timeProvider.GetTimestamp();
                if ((current != previous || current.Queued > 0) && _logger.IsEnabled(LogLevel.Information))
                {
                    LogSummary(Format(current, previous, seconds));
                }

                previous = current;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            LogSummary("final: " + Format(Snapshot.Take(_metrics), previous, 0));
        }
    }

    private string Format(Snapshot now, Snapshot before, double seconds)
    {
        static string Rate(long now, long before, double seconds) =>
            seconds > 0 ? ((now - before) / seconds).ToString("0.0", CultureInfo.InvariantCulture) : "-";

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"received {now.Messages} ({Rate(now.Messages, before.Messages, seconds)}/s), ");
        text.Append(CultureInfo.InvariantCulture, $"parsed {now.Parsed} ({Rate(now.Parsed, before.Parsed, seconds)}/s), ");
        text.Append(CultureInfo.InvariantCulture, $"rows written {now.Rows} ({Rate(now.Rows, before.Rows, seconds)}/s), ");
        text.Append(CultureInfo.InvariantCulture, $"skipped {now.Skipped}, dead letters {now.DeadLettered}, oversize {now.Oversize}, ");
        text.Append(CultureInfo.InvariantCulture, $"udp dropped {now.UdpDropped} (kernel {now.UdpKernelDropped}), flush failures {now.FlushFailures}, queues");
        foreach ((string stage, int depth) in _metrics.QueueDepths())
        {
            text.Append(CultureInfo.InvariantCulture, $" {stage}={depth}");
        }

        text.Append(CultureInfo.InvariantCulture, $", spool {_metrics.SpoolBytes} bytes");

        return text.ToString();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Summary}")]
    private partial void LogSummary(string summary);

    private readonly record struct Snapshot(long Messages, long Parsed, long Rows, long Skipped, long DeadLettered, long Oversize, long UdpDropped, long FlushFailures, long Queued, long UdpKernelDropped)
    {
        public static Snapshot Take(SinkMetrics metrics)
        {
            long queued = 0;
            foreach ((_, int depth) in metrics.QueueDepths())
            {
                queued += depth;
            }

            return new Snapshot(metrics.TotalMessages, metrics.TotalParsed, metrics.TotalRowsWritten, metrics.TotalSkipped, metrics.TotalDeadLettered, metrics.TotalOversize, metrics.TotalUdpDropped, metrics.TotalFlushFailures, queued, metrics.KernelDrops.Total);
        }
    }
}
