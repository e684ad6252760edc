namespace XraySyslogSink.IntegrationTests.Infrastructure;

/// <summary>Settings every daemon the tests start gets unless a test passes its own.</summary>
public static class TestSettings
{
    /// <summary>
    /// The tests' xray lines carry fixed dates (November 2025) so partitions and rows are known in advance; the
    /// accept window (<c>Xray:AcceptWindowBack</c>, 30 days by default) is widened so they still count as live.
    /// Tests of the window itself pass their own value, which comes later on the command line and wins.
    /// </summary>
    public const string WideAcceptWindow = "--Xray:AcceptWindowBack=3650.00:00:00";
}
