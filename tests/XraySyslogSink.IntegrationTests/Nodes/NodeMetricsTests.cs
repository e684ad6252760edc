using System.Globalization;
using System.Net;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Operations;
using XraySyslogSink.IntegrationTests.Spool;

namespace XraySyslogSink.IntegrationTests.Nodes;

/// <summary>
/// The daemon as a process with /metrics on: per-node series appear for real nodes and stay bounded, in series and in
/// <c>nodes</c> rows, under a flood of invented HOSTNAMEs; no line is lost for it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NodeMetricsTests(PostgresServer postgres) : IDisposable
{
    private const int MaxSeries = 5;
    private const int MaxNewPerMinute = 40;
    private readonly string _spool = DaemonProcess.NewSpoolDirectory();

    [Fact]
    public async Task Per_node_series_stay_bounded_under_a_flood_of_invented_hostnames()
    {
        string database = await postgres.CreateDatabaseAsync();
        int metricsPort = LoggedDaemon.FreeTcpPort();
        using LoggedDaemon daemon = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(),
            $"--Metrics:Listen=127.0.0.1:{metricsPort}", "--Writer:FlushInterval=00:00:00.200",
            $"--Nodes:MaxSeries={MaxSeries}", $"--Nodes:MaxNewPerMinute={MaxNewPerMinute}", "--Nodes:Networks:site-a:0=127.0.0.0/8");
        using var scrape = new Scrape(metricsPort);

        // Over TCP from 127.0.0.1: the network map names the node, whatever HOSTNAME each line claims.
        const int Lines = 1000;
        await TestLines.SendAsync(new IPEndPoint(IPAddress.Loopback, daemon.Port), Flood(Lines));
        Assert.Equal(Lines, await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", Lines));
        Dictionary<string, double> metrics = await scrape.WaitForAsync("xraysink_node_rows_written_total{node=\"site-a\"}", Lines);
        Assert.Equal(Lines, metrics["xraysink_node_lines_received_total{node=\"site-a\"}"]);
        Assert.Equal(Lines, metrics["xraysink_nodes_hostname_disagreements_total{source=\"network\"}"]);
        Assert.Equal(1, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM nodes"));

        // A second connection with the map off for it is impossible (one listener, one map): restart without it.
        daemon.Process.Kill();
        await daemon.Process.WaitForExitAsync();
        int floodMetrics = LoggedDaemon.FreeTcpPort();
        using LoggedDaemon flooded = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(),
            $"--Metrics:Listen=127.0.0.1:{floodMetrics}", "--Writer:FlushInterval=00:00:00.200",
            $"--Nodes:MaxSeries={MaxSeries}", $"--Nodes:MaxNewPerMinute={MaxNewPerMinute}");
        using var floodScrape = new Scrape(floodMetrics);
        await TestLines.SendAsync(new IPEndPoint(IPAddress.Loopback, flooded.Port), Flood(Lines));
        Assert.Equal(2 * Lines, await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", 2 * Lines));

        Dictionary<string, double> after = await floodScrape.WaitForAsync("xraysink_rows_written_total", Lines);
        string[] lineSeries = [.. after.Keys.Where(k => k.StartsWith("xraysink_node_lines_received_total{", StringComparison.Ordinal))];
        Assert.Equal(MaxSeries + 1, lineSeries.Length);
        Assert.Contains("xraysink_node_lines_received_total{node=\"other\"}", lineSeries);
        Assert.Equal(Lines, lineSeries.Sum(k => after[k]));
        Assert.Equal(Lines - MaxSeries, after["xraysink_node_lines_received_total{node=\"other\"}"]);
        Assert.True(after["xraysink_nodes_series_overflow_total"] >= Lines - MaxSeries);
        Assert.Equal(MaxSeries + 1, after.Keys.Count(k => k.StartsWith("xraysink_node_last_seen_seconds{", StringComparison.Ordinal)));

        // The nodes table took at most the per-minute cap (twice, if the minute turned during the run); every row
        // is kept, those over the cap with node_id NULL and a dead letter saying why.
        long nodes = await Database.ScalarAsync<long>(database, "SELECT count(*) FROM nodes");
        Assert.InRange(nodes, 1 + MaxNewPerMinute, 1 + (2 * MaxNewPerMinute));
        long unattributed = await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs WHERE node_id IS NULL");
        Assert.Equal(Lines - (nodes - 1), unattributed);
        Assert.True(await Database.ScalarAsync<long>(database, "SELECT count(*) FROM dead_letters WHERE reason = 'new nodes value over Nodes:MaxNewPerMinute'") > 0);
    }

    public void Dispose()
    {
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    /// <summary>Access lines in RFC 5424 syslog, each claiming a HOSTNAME nobody used before.</summary>
    private static byte[] Flood(int lines)
    {
        var text = new StringBuilder();
        for (int i = 1; i <= lines; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"<14>1 2025-11-17T10:00:00Z invented-{Guid.NewGuid():N} xray - - - 2025/11/17 10:{i / 60 % 60:00}:{i % 60:00}.000000 from 10.0.0.1:{i} accepted tcp:host.example:443 [in >> out] email: user@example.com\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
