using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using XraySyslogSink.Core;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.Tests.Telemetry;

/// <summary>
/// The exporter exactly as the daemon configures it (<see cref="MetricsEndpoint.ConfigureMetrics"/>), on a loopback
/// port, after one measurement on every instrument of <see cref="SinkMetrics"/>: what Prometheus would scrape.
/// </summary>
internal static class PrometheusScrape
{
    public static async Task<string> ScrapeAllInstrumentsAsync()
    {
        int port = FreePort();
        using MeterProvider provider = MetricsEndpoint.ConfigureMetrics(Sdk.CreateMeterProviderBuilder())
            .AddPrometheusHttpListener(options =>
            {
                options.Port = port;
                options.ConfigureHttpListener = (_, listener) =>
                {
                    listener.Prefixes.Clear();
                    listener.Prefixes.Add(MetricsEndpoint.Prefix(new IPEndPoint(IPAddress.Loopback, port)) + "metrics/");
                };
            })
            .Build();
        using var metrics = new SinkMetrics();
        TouchEveryInstrument(metrics);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
    }

    /// <summary>Names of the instruments the <c>XraySyslogSink</c> meter publishes, read from the meter itself.</summary>
    public static List<string> InstrumentNames()
    {
        var names = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == SinkMetrics.MeterName)
                {
                    lock (names)
                    {
                        names.Add(instrument.Name);
                    }
                }
            },
        };
        using var metrics = new SinkMetrics();
        listener.Start();
        lock (names)
        {
            return [.. names.Distinct()];
        }
    }

    /// <summary>Sample names (<c>name</c> before <c>{</c> or the value) of every non-comment line.</summary>
    public static HashSet<string> SampleNames(string exposition)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int end = line.IndexOfAny(['{', ' ']);
            names.Add(end < 0 ? line : line[..end]);
        }

        return names;
    }

    /// <summary>Metric family names from the <c># TYPE name kind</c> lines.</summary>
    public static Dictionary<string, string> Families(string exposition)
    {
        var families = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in exposition.Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ');
                families[parts[2]] = parts[3];
            }
        }

        return families;
    }

    private static void TouchEveryInstrument(SinkMetrics metrics)
    {
        metrics.MessagesReceived(Transport.Tcp, 1, 100);
        metrics.MessageOversize(Transport.Tcp);
        metrics.MessageIncomplete(Transport.Tcp);
        metrics.LinesParsed(1);
        metrics.LinesSkipped("internal_dns", 1);
        metrics.LinesRecovered("xray_date_as_app_name", 1);
        metrics.LineDeadLettered("no timestamp");
        metrics.DeadLettersSuppressed("no timestamp", DeadLetterLimit.SourceRate, SourceClass.Public, 1);
        metrics.BatchFlushed(1, TimeSpan.FromMilliseconds(12));
        metrics.RowsCommitted([new AccessRecord { ReceivedAtTicks = DateTimeOffset.UtcNow.UtcTicks - TimeSpan.TicksPerSecond }], DateTimeOffset.UtcNow);
        metrics.FlushFailed(transient: true);
        metrics.UdpDropped("spool_full");
        metrics.ConnectionAccepted("tcp");
        metrics.ConnectionRejected("tcp", "too_many_connections");
        metrics.LogSuppressed();
        metrics.RelpSessionOpened();
        metrics.RelpSessionClosed("closed");
        metrics.RelpFrameRejected("bad_txnr");
        metrics.DimensionLookups("users", 1, 1);
        metrics.HostnameDisagreements(XraySyslogSink.Core.NodeIdentitySource.Certificate, 1);
        var nodes = new NodeSeries(2);
        var tally = new NodeTally(nodes);
        int slot = nodes.SlotOf("node-a"u8);
        tally.Line(slot, 1_763_380_800);
        tally.Rows(slot, 1);
        tally.DeadLetter(slot);
        tally.ReportTo(nodes);
        metrics.TrackNodes(nodes);
        metrics.SpoolSynced(TimeSpan.FromMilliseconds(1));
        metrics.TrackQueue("messages", () => 1, 4);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
