namespace XraySyslogSink.Tests.Telemetry;

/// <summary>
/// Tests that build a meter provider with the process and runtime instrumentation (a scrape, or a host that
/// starts). That instrumentation keeps one process-wide meter between providers, so a provider built and disposed
/// by a test running in parallel could leave another test's scrape without the process_* series (seen in full
/// runs, never alone); these tests run one at a time, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeterProviderCollection
{
    public const string Name = "Meter providers";
}
