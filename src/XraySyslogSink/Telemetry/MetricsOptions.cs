using System.ComponentModel.DataAnnotations;

namespace XraySyslogSink.Telemetry;

/// <summary>Options section <c>Metrics</c>: the Prometheus scrape endpoint and the readiness check beside it.</summary>
internal sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// <c>host:port</c> of the HTTP endpoint serving <c>/metrics</c> and <c>/healthz</c> (default <c>127.0.0.1:9464</c>);
    /// <c>0.0.0.0:9464</c> listens on every IPv4 interface, <c>[::]:9464</c> on every interface; empty turns it off.
    /// </summary>
    public string Listen { get; set; } = "127.0.0.1:9464";

    /// <summary>
    /// Fraction of a queue's capacity (message queue, record queue, spool) above which <c>/healthz</c> reports
    /// not ready (default 0.9).
    /// </summary>
    [Range(0.01, 1.0)]
    public double HealthQueueHighWater { get; set; } = 0.9;

    /// <summary>How long the result of the database probe (<c>SELECT 1</c>) is reused by <c>/healthz</c> (default 2 s).</summary>
    public TimeSpan HealthDatabaseCacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the database probe may take before the database counts as unreachable (default 3 s).</summary>
    public TimeSpan HealthDatabaseTimeout { get; set; } = TimeSpan.FromSeconds(3);
}
