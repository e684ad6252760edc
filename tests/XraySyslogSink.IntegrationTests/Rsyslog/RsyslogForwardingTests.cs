using System.Net;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Rsyslog;

/// <summary>
/// A real rsyslogd running each configuration shipped in config/rsyslog/ exactly as a node would: imfile tails an
/// access.log the test appends to, omfwd forwards to the sink, and every line must end up as exactly one row.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RsyslogForwardingTests(PostgresServer postgres) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("xraysink-rsyslog-").FullName;

    public static TheoryData<string, bool> Variants => new()
    {
        { "xraysink-forward.conf", true },
        { "xraysink-forward-tcp-traditional.conf", true },
        { "xraysink-forward-udp.conf", false },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Every_line_appended_to_the_access_log_arrives_as_exactly_one_row(string shippedFile, bool overTcp)
    {
        NodeAccessLog log = NodeAccessLog.Build(rounds: 3);
        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(await postgres.CreateDatabaseAsync());
        string accessLog = Path.Combine(_directory, "access.log");
        string workDirectory = Directory.CreateDirectory(Path.Combine(_directory, "work")).FullName;
        // Created empty before rsyslogd starts, as xray does; imfile reads a file it meets for the first time from its start.
        await File.WriteAllBytesAsync(accessLog, []);
        IPEndPoint collector = overTcp ? sink.TcpEndPoint : sink.UdpEndPoint;

        await using RsyslogProcess rsyslog = RsyslogProcess.Start(
            RsyslogProcess.Configuration(shippedFile, collector, accessLog, workDirectory), _directory);
        await AppendLikeXrayAsync(accessLog, log.Lines);

        int expectedRows = log.RowsBySourcePort.Count;
        bool arrived = await WaitUntilAsync(() => sink.Metrics.TotalRowsWritten >= expectedRows && sink.Metrics.TotalSkipped >= log.SkippedLines);
        Assert.False(rsyslog.HasExited, "rsyslogd exited early:\n" + rsyslog.Output);
        Assert.True(arrived,
            $"after {Patience.TotalSeconds} s: {sink.Metrics.TotalMessages} messages, {sink.Metrics.TotalRowsWritten} rows, {sink.Metrics.TotalSkipped} skipped, " +
            $"{sink.Metrics.TotalDeadLettered} dead letters of {log.Lines.Count} lines; rsyslogd said:\n{rsyslog.Output}");

        // Stop the sender as systemd would (it flushes its queue), then give anything still in flight time to land
        // before asserting that nothing arrived twice.
        await rsyslog.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal(log.Lines.Count, sink.Metrics.TotalMessages);
        Assert.Equal(log.SkippedLines, sink.Metrics.TotalSkipped);
        Assert.Equal(0, await Database.ScalarAsync<long>(sink.ConnectionString, "SELECT count(*) FROM dead_letters"));
        List<object?[]> rows = await Database.RowsAsync(sink.ConnectionString, Database.LogsWithDimensions);
        Assert.Equal(expectedRows, rows.Count);
        Assert.Equal(expectedRows, rows.Select(row => (int)row[2]!).Distinct().Count());
        foreach (object?[] row in rows)
        {
            Assert.True(log.RowsBySourcePort.TryGetValue((int)row[2]!, out ExpectedRow? expected), $"a row nobody wrote: source port {row[2]}");
            var actual = new ExpectedRow(
                (DateTime)row[0]!, (string)row[1]!, (int)row[2]!, (string)row[3]!, (string?)row[4], (string?)row[5], (int?)row[6],
                (string?)row[7], (string?)row[8], (string?)row[9]);
            Assert.Equal(expected, actual);
            Assert.Equal("logs_2025_11_17", row[10]);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// Appends the way a logger does while rsyslogd tails the file: one burst, then line by line, then a line whose
    /// LF comes in a later write (imfile must wait for it and send the line once, whole).
    /// </summary>
    private static async Task AppendLikeXrayAsync(string path, IReadOnlyList<string> lines)
    {
        await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        int third = lines.Count / 3;
        await file.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(lines.Take(third).Select(line => line + "\n"))));
        await file.FlushAsync();
        foreach (string line in lines.Skip(third).Take(third))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
            await file.FlushAsync();
            await Task.Delay(20);
        }

        string split = lines[2 * third];
        await file.WriteAsync(Encoding.UTF8.GetBytes(split[..(split.Length / 2)]));
        await file.FlushAsync();
        await Task.Delay(500);
        await file.WriteAsync(Encoding.UTF8.GetBytes(split[(split.Length / 2)..] + "\n"));
        await file.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(lines.Skip((2 * third) + 1).Select(line => line + "\n"))));
        await file.FlushAsync();
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }
}
