using System.Globalization;
using XraySyslogSink.IntegrationTests.Infrastructure;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>One collector: its own spool directory, CollectorId and ports, restartable on the same spool.</summary>
internal sealed class Collector(string id, string parent) : IDisposable
{
    public string Id { get; } = id;

    public string Spool { get; } = Path.Combine(parent, "spool-" + id);

    public int RelpPort { get; } = LoggedDaemon.FreeTcpPort();

    public int TcpPort { get; } = LoggedDaemon.FreeTcpPort();

    public LoggedDaemon? Daemon { get; private set; }

    public async Task StartAsync(string database)
    {
        Daemon?.Dispose();
        Daemon = await LoggedDaemon.StartAsync(database, Spool, TcpPort,
            $"--Listeners:Relp=127.0.0.1:{RelpPort}", $"--Spool:CollectorId={Id}", "--Writer:FlushInterval=00:00:00.200");
    }

    public void Dispose() => Daemon?.Dispose();

    /// <summary>
    /// Stops this collector while the node sends (<c>SIGTERM</c>: it drains; <c>SIGKILL</c>), waits for the node's
    /// lines to settle at <paramref name="other"/>, and restarts a killed collector on its spool (as systemd's
    /// Restart= does) so what it acknowledged but had not written is written. Counts by unique timestamp.
    /// </summary>
    public async Task<(long AtStop, long HeldInSpool, long Lost, long Duplicates)> StopMidStreamAsync(string database, Collector other, string stop, Task writing, int lines)
    {
        const string DistinctLines = "SELECT count(DISTINCT \"timestamp\") FROM logs";
        if (stop == "SIGTERM")
        {
            Assert.True(Daemon!.StopGracefully(TimeSpan.FromSeconds(30)), "the collector should drain and exit 0 on SIGTERM");
        }
        else
        {
            Daemon!.KillHard();
        }

        long atStop = await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs");
        Assert.True(atStop < lines, $"the stream was over before the stop ({atStop} rows)");
        await writing;

        // The node reconnects (omrelp's resumeInterval, 5 s) to the other collector; the quiet time outlasts that.
        long rows = await Database.WaitForSettledCountAsync(database, DistinctLines, lines, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(60));
        Assert.True(EstablishedConnections(other.RelpPort) > 0, $"the node's connection should now go to the other collector ({rows} of {lines} lines arrived)");
        long heldInSpool = lines - rows;
        if (stop == "SIGKILL")
        {
            await StartAsync(database);
            rows = await Database.WaitForSettledCountAsync(database, DistinctLines, lines, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(60));
        }

        long total = await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs");
        return (atStop, heldInSpool, lines - rows, total - rows);
    }

    /// <summary>Established TCP connections whose local port is <paramref name="port"/> (/proc/net/tcp, IPv4 loopback).</summary>
    public static int EstablishedConnections(int port)
    {
        string local = string.Create(CultureInfo.InvariantCulture, $":{port:X4}");
        return File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(fields => fields[1].EndsWith(local, StringComparison.Ordinal) && fields[3] == "01");
    }
}
