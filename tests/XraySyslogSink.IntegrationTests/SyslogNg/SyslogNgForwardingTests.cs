using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Rsyslog;

namespace XraySyslogSink.IntegrationTests.SyslogNg;

/// <summary>
/// A real syslog-ng (Debian's 3.38) running each configuration shipped in config/syslog-ng/ as a node would: a
/// <c>file()</c> source tails an access.log the test appends to and forwards to the sink over TCP, TLS (with a node
/// certificate) or UDP; every line must end up as exactly one row.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SyslogNgForwardingTests(PostgresServer postgres) : IDisposable
{
    private readonly SyslogNgNodes _nodes = new(postgres);

    public static TheoryData<string> Transports => new() { "tcp", "tls", "udp" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Every_line_appended_to_the_access_log_arrives_as_exactly_one_row(string transport)
    {
        NodeAccessLog log = NodeAccessLog.Build(rounds: 3);
        await using SinkUnderTest sink = await _nodes.StartSinkAsync();
        await using SyslogNgProcess node = _nodes.StartNode(sink, transport, edit: text => text, out string accessLog);
        await SyslogNgNodes.AppendAsync(accessLog, log.Lines);

        await SyslogNgNodes.AssertArrivedAsync(sink, node, log, TimeSpan.FromSeconds(30));
        await node.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await SyslogNgNodes.AssertExactRowsAsync(sink, log);
    }

    /// <summary>
    /// Without <c>flags(no-parse)</c> syslog-ng reads each line as a syslog message and sends the xray date as the
    /// APP-NAME; the collector puts the line back together and counts it, so the misconfigured node loses nothing.
    /// </summary>
    [Fact]
    public async Task Without_no_parse_the_date_taken_as_program_name_is_put_back_and_counted()
    {
        NodeAccessLog log = NodeAccessLog.Build(rounds: 2);
        await using SinkUnderTest sink = await _nodes.StartSinkAsync();
        await using SyslogNgProcess node = _nodes.StartNode(sink, "tcp", text =>
        {
            string edited = text.Replace("flags(no-parse)", "", StringComparison.Ordinal);
            Assert.NotEqual(text, edited);
            return edited;
        }, out string accessLog);
        await SyslogNgNodes.AppendAsync(accessLog, log.Lines);

        await SyslogNgNodes.AssertArrivedAsync(sink, node, log, TimeSpan.FromSeconds(30));
        await node.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await SyslogNgNodes.AssertExactRowsAsync(sink, log);
        Assert.Equal(log.Lines.Count, sink.Metrics.TotalRecovered);
    }

    public void Dispose() => _nodes.Dispose();
}
