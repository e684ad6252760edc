using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

/// <summary>The version gate, checked without a server (no PostgreSQL 10 is at hand).</summary>
public sealed class SchemaVersionCheckTests
{
    [Theory]
    [InlineData("100023", "10.23")]
    [InlineData("90624", "9.6.24")]
    [InlineData("", "unknown")]
    public void Refuses_servers_older_than_11(string versionNum, string version)
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => SchemaMigrator.EnsureSupportedVersion(versionNum, version));
        Assert.StartsWith($"PostgreSQL 11 or newer is required; server is {version}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("110000", "11.0")]
    [InlineData("150004", "15.4")]
    [InlineData("180001", "18.1")]
    public void Accepts_servers_from_11(string versionNum, string version) =>
        SchemaMigrator.EnsureSupportedVersion(versionNum, version);
}
