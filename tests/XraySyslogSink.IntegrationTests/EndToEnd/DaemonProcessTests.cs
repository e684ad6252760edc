using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Operations;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>The built daemon as a separate process, the way systemd runs it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DaemonProcessTests(PostgresServer postgres)
{
    [Fact]
    public async Task Sigterm_drains_the_queues_commits_every_accepted_line_and_exits_0()
    {
        string database = await postgres.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(database);
        int port = FreeTcpPort();
        int metricsPort = FreeTcpPort();
        // A flush interval longer than the test: the rows can only be committed by the shutdown drain.
        using Process daemon = DaemonProcess.Start(
            $"--ConnectionStrings:Postgres={writer}",
            $"--Listeners:Tcp=127.0.0.1:{port}",
            "--Listeners:Udp=",
            $"--Metrics:Listen=127.0.0.1:{metricsPort}",
            "--Writer:FlushInterval=00:10:00",
            "--Writer:BatchSize=1000000");
        try
        {
            await DaemonProcess.WaitForPortAsync(port, daemon);
            const int Lines = 20_000;
            var payload = new StringBuilder();
            for (int i = 0; i < Lines; i++)
            {
                payload.Append(CultureInfo.InvariantCulture, $"2025/11/17 09:00:00.{i:000000} from 198.51.100.7:{i + 1} accepted tcp:example.com:443 [in >> out]\n");
            }

            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes(payload.ToString()));
            }

            // Accepted means appended to the spool: wait for that rather than for a fixed time, which a loaded
            // machine can outrun (bytes still in the kernel's socket buffer at SIGTERM were never accepted).
            using (var scrape = new Scrape(metricsPort))
            {
                Dictionary<string, double> metrics = await scrape.WaitForAsync("xraysink_spool_appended_total", Lines, TimeSpan.FromSeconds(60));
                Assert.Equal(Lines, metrics.GetValueOrDefault("xraysink_spool_appended_total"));
            }

            Assert.Equal(0L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs"));

            DaemonProcess.SendSigterm(daemon);
            Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)), "the daemon did not exit within 30 s of SIGTERM");
            Assert.Equal(0, daemon.ExitCode);
            Assert.Equal((long)Lines, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs"));
            Assert.Equal((long)Lines, await Database.ScalarAsync<long>(database, "SELECT count(DISTINCT source_port) FROM logs"));
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public void An_invalid_setting_stops_the_start_with_one_message_naming_the_key()
    {
        using Process daemon = DaemonProcess.Start("--ConnectionStrings:Postgres=Host=127.0.0.1", "--Writer:BatchSize=0");
        Assert.True(daemon.WaitForExit(TimeSpan.FromSeconds(30)));
        string error = daemon.StandardError.ReadToEnd();
        Assert.Equal(2, daemon.ExitCode);
        Assert.Contains("Writer:BatchSize", error, StringComparison.Ordinal);
    }

    private static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
