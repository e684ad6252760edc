namespace XraySyslogSink.Telemetry;

/// <summary>
/// Answers <c>GET /healthz</c> on the metrics port. The host implements it over the parts it composes (database,
/// queues, spool), so the metrics server serves readiness without depending on them.
/// </summary>
internal interface IReadinessProbe
{
    Task<HealthReport> CheckAsync(CancellationToken cancellationToken);
}
