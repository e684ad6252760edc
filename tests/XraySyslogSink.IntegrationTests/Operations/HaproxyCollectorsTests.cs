using System.Diagnostics;
using System.Globalization;
using System.Text;
using XraySyslogSink.IntegrationTests.EndToEnd;
using XraySyslogSink.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>
/// The several-collectors recipe: config/haproxy/xraysink-collectors.cfg run by a real HAProxy in front of two
/// daemons (each its own spool and Spool:CollectorId, one database), a real rsyslog node sending over omrelp
/// through it, and the collector serving the node stopped mid-stream. Lines carry unique timestamps, so loss and
/// duplicates are counted in <c>logs</c>.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class HaproxyCollectorsTests(PostgresServer postgres, ITestOutputHelper output)
{
    public const string ShippedFile = "xraysink-collectors.cfg";
    private const int Lines = 6000;

    [Theory]
    [InlineData("SIGTERM")]
    [InlineData("SIGKILL")]
    public async Task The_node_moves_to_the_other_collector_when_its_collector_stops_and_no_line_is_lost(string stop)
    {
        string database = await postgres.CreateDatabaseAsync();
        string directory = Directory.CreateTempSubdirectory("xraysink-haproxy-").FullName;
        var collectors = new[] { new Collector("collector-a", directory), new Collector("collector-b", directory) };
        Process? haproxy = null;
        try
        {
            foreach (Collector collector in collectors)
            {
                await collector.StartAsync(database);
            }

            int frontend = LoggedDaemon.FreeTcpPort();
            var haproxyOutput = new StringBuilder();
            string configuration = Path.Combine(directory, "haproxy.cfg");
            await File.WriteAllTextAsync(configuration, Configuration(frontend, collectors[0].RelpPort, collectors[1].RelpPort));
            haproxy = ExternalTool.Start(ExternalTool.Find("haproxy", "haproxy"), ["-db", "-f", configuration], haproxyOutput);
            await WaitForListenerAsync(frontend, haproxy, haproxyOutput);

            await using RsyslogRelpSender rsyslog = await RsyslogRelpSender.StartAsync(frontend);
            Task writing = RelpTests.WriteInChunksAsync(rsyslog, Lines);
            Assert.True(await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", Lines / 5, TimeSpan.FromSeconds(60)) >= Lines / 5, rsyslog.Output);

            Collector serving = await ServingCollectorAsync(collectors);
            Collector other = collectors.Single(c => c != serving);
            (long atStop, long heldInSpool, long lost, long duplicates) = await serving.StopMidStreamAsync(database, other, stop, writing, Lines);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{stop} of {serving.Id} after {atStop} of {Lines} rows: {heldInSpool} missing while it was down (a killed collector's spool holds them until it restarts), lost {lost}, duplicates {duplicates}"));
            Assert.Equal(0, lost);
            Assert.InRange(duplicates, 0, RsyslogRelpSender.WindowSize);
            if (stop == "SIGTERM")
            {
                Assert.Equal(0, heldInSpool);
            }

            foreach (Collector collector in collectors)
            {
                Assert.True(collector.Daemon!.Process.HasExited || collector.Daemon.Errors().Count == 0, string.Join('\n', collector.Daemon.Errors()));
            }
        }
        finally
        {
            if (haproxy is not null)
            {
                ExternalTool.Stop(haproxy);
            }

            foreach (Collector collector in collectors)
            {
                collector.Dispose();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_shipped_configuration_passes_haproxys_check()
    {
        (int exitCode, string text) = await ExternalTool.RunAsync(ExternalTool.Find("haproxy", "haproxy"), ["-c", "-f", ShippedPath], TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, text);
    }

    private static string ShippedPath => Path.Combine(Repository.Root, "config", "haproxy", ShippedFile);

    /// <summary>The shipped file with exactly its three addresses replaced by loopback ones.</summary>
    private static string Configuration(int frontend, int first, int second)
    {
        string text = File.ReadAllText(ShippedPath);
        foreach ((string shipped, string test) in new[]
        {
            ("bind 0.0.0.0:2514", $"bind 127.0.0.1:{frontend}"),
            ("server collector1 192.0.2.11:2514", $"server collector1 127.0.0.1:{first}"),
            ("server collector2 192.0.2.12:2514", $"server collector2 127.0.0.1:{second}"),
        })
        {
            int at = text.IndexOf("\n    " + shipped + "\n", StringComparison.Ordinal);
            Assert.True(at >= 0 && text.IndexOf("\n    " + shipped + "\n", at + 1, StringComparison.Ordinal) < 0, $"{ShippedFile} must contain `{shipped}` once");
            text = text.Replace(shipped, test, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>The collector whose RELP port holds the node's connection (health checks come and go; the session stays).</summary>
    private static async Task<Collector> ServingCollectorAsync(Collector[] collectors)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            Collector[] serving = [.. collectors.Where(c => Collector.EstablishedConnections(c.RelpPort) > 0)];
            if (serving.Length == 1 || DateTime.UtcNow > deadline)
            {
                return Assert.Single(serving);
            }

            await Task.Delay(100);
        }
    }

    private static async Task WaitForListenerAsync(int port, Process haproxy, StringBuilder haproxyOutput)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.ReadLines("/proc/net/tcp").Skip(1).Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is var f && f[1].EndsWith(string.Create(CultureInfo.InvariantCulture, $":{port:X4}"), StringComparison.Ordinal) && f[3] == "0A"))
        {
            Assert.False(haproxy.HasExited, "haproxy exited: " + haproxyOutput);
            Assert.True(DateTime.UtcNow < deadline, "haproxy did not listen within 15 s: " + haproxyOutput);
            await Task.Delay(100);
        }
    }
}
