namespace XraySyslogSink.Telemetry;

/// <summary>The outcome of <see cref="IReadinessProbe.CheckAsync"/>: ready or the reasons why not, and one line per check.</summary>
internal sealed record HealthReport(bool Ready, IReadOnlyList<string> Reasons, string Details)
{
    /// <summary>The response body: <c>ready</c> or <c>not ready: reason; reason</c>, then the details.</summary>
    public string Text => (Ready ? "ready" : "not ready: " + string.Join("; ", Reasons)) + "\n" + Details;
}
