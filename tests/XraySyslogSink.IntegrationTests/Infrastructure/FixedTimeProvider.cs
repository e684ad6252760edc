namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>A clock stopped at a given instant, so partition names in assertions are known.</summary>
public sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
