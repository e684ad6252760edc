using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using XraySyslogSink.Core;

namespace XraySyslogSink.Telemetry;

/// <summary>
/// <c>/metrics</c> on <c>Metrics:Listen</c>: the OpenTelemetry SDK collects the <c>XraySyslogSink</c> meter, the
/// runtime's <c>System.Runtime</c> meter and process metrics, and its Prometheus exporter serves them in the text
/// exposition format (counters as <c>*_total</c>, units as suffixes, histograms with <c>_bucket</c>/<c>_sum</c>/<c>_count</c>).
/// <c>/healthz</c> shares the port; <see cref="MetricsServer"/> runs both.
/// </summary>
internal static class MetricsEndpoint
{
    /// <summary>Bucket bounds (seconds) of the duration histograms: flushes take milliseconds to seconds, fsyncs less.</summary>
    public static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>The meters exported besides the sink's own.</summary>
    public static readonly string[] RuntimeMeters = ["System.Runtime", "OpenTelemetry.Instrumentation.Process"];

    /// <summary>
    /// Bucket bounds (seconds) of <c>xraysink_rows_commit_latency_seconds</c>. A row waits up to
    /// <paramref name="flushInterval"/> for its batch and then for the commit, so the bounds are dense around the
    /// interval (a tenth of it up to it, then 50, 100, 250 and 500 ms past it) and reach an hour for rows replayed
    /// after an outage.
    /// </summary>
    public static double[] CommitLatencyBuckets(TimeSpan flushInterval)
    {
        double f = flushInterval > TimeSpan.Zero ? flushInterval.TotalSeconds : 1;
        double[] bounds = [0.001, 0.005, 0.01, 0.05, f * 0.1, f * 0.25, f * 0.5, f * 0.75, f * 0.9, f, f + 0.05, f + 0.1, f + 0.25, f + 0.5, f * 1.5, f * 2, f * 3, f * 5, f * 10, 60, 300, 900, 3600];
        return [.. bounds.Select(bound => Math.Round(bound, 3)).Where(bound => bound > 0).Distinct().Order()];
    }

    /// <param name="flushInterval">Reads <c>Writer:FlushInterval</c>, around which the commit latency buckets lie.</param>
    internal static void AddMetricsEndpoint(this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, TimeSpan> flushInterval)
    {
        string? listen = configuration[$"{MetricsOptions.SectionName}:{nameof(MetricsOptions.Listen)}"] ?? new MetricsOptions().Listen;
        if (!ListenAddress.TryParse(listen, out IPEndPoint? endPoint, out _) || endPoint is null || endPoint.Port == 0)
        {
            // Off (empty), or invalid: the options validator stops the start naming the key.
            return;
        }

        string prefix = Prefix(endPoint);
        services.AddHostedService(sp => new MetricsServer(
            prefix,
            endPoint.Port,
            sp.GetRequiredService<IReadinessProbe>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<MetricsServer>>(),
            flushInterval(sp)));
    }

    /// <summary>What is collected and how, independent of the exporter (tests read the same through an in-memory reader).</summary>
    /// <param name="flushInterval"><c>Writer:FlushInterval</c> (default 1 s), for <see cref="CommitLatencyBuckets"/>.</param>
    public static MeterProviderBuilder ConfigureMetrics(MeterProviderBuilder metrics, TimeSpan? flushInterval = null)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        double[] latencyBuckets = CommitLatencyBuckets(flushInterval ?? TimeSpan.FromSeconds(1));
        return metrics
            .ConfigureResource(resource => resource.AddService("xraysink"))
            .AddMeter(SinkMetrics.MeterName)
            .AddRuntimeInstrumentation()
            .AddProcessInstrumentation()
            .AddView(instrument => instrument.Meter.Name != SinkMetrics.MeterName || instrument is not Histogram<double>
                ? null
                : new ExplicitBucketHistogramConfiguration { Boundaries = instrument.Name == SinkMetrics.CommitLatencyName ? latencyBuckets : SecondsBuckets });
    }

    /// <summary>The HttpListener prefix for an endpoint: <c>+</c> for any address, brackets around IPv6.</summary>
    public static string Prefix(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        string host = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any)
            ? "+"
            : endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]" : endPoint.Address.ToString();
        return FormattableString.Invariant($"http://{host}:{endPoint.Port}/");
    }
}
