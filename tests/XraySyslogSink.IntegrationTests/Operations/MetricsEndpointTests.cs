using System.Net;
using System.Text;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.IntegrationTests.Spool;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>The daemon as a process with its metrics endpoint on: counters by value after real traffic, and /healthz following PostgreSQL.</summary>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private PrivatePostgres _postgres = null!;
    private string _spool = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PrivatePostgres.StartAsync();
        _spool = DaemonProcess.NewSpoolDirectory();
    }

    public async Task DisposeAsync()
    {
        await _postgres.DisposeAsync();
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    [Fact]
    public async Task Metrics_count_what_was_sent_and_healthz_turns_503_while_postgresql_is_stopped()
    {
        string database = await CreateDatabaseAsync();
        int metricsPort = LoggedDaemon.FreeTcpPort();
        using LoggedDaemon daemon = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(),
            $"--Metrics:Listen=127.0.0.1:{metricsPort}", "--Writer:FlushInterval=00:00:00.200", "--Metrics:HealthDatabaseCacheDuration=00:00:00.500");
        using var scrape = new Scrape(metricsPort);

        const int Access = 1000;
        byte[] payload =
        [
            .. TestLines.Build(1, Access),
            .. Encoding.UTF8.GetBytes(
                "2025/08/24 18:40:35.667467 from myiphere:57676 rejected  proxy/vless/encoding: invalid request user id\n" +
                "2025/08/24 18:40:36.000000 from CLIENT_IP:1 accepted tcp:a.example:443 [in >> out]\n" +
                "2025/08/24 18:40:37.000000 from 192.x.x.x:2 accepted tcp:a.example:443 [in >> out]\n" +
                "2025/11/17 10:00:00.000000 [Warning] app/dispatcher: default route for tcp:a.example:443\n" +
                "2025/11/17 10:00:01.000000 [Info] transport/internet/tcp: listening TCP on 0.0.0.0:443\n"),
        ];
        await TestLines.SendAsync(new IPEndPoint(IPAddress.Loopback, daemon.Port), payload);
        Assert.Equal(Access, await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", Access));

        Dictionary<string, double> metrics = await scrape.WaitForAsync("xraysink_rows_written_total", Access);
        Assert.Equal(Access, metrics["xraysink_lines_parsed_total"]);
        Assert.Equal(Access, metrics["xraysink_rows_written_total"]);
        Assert.Equal(Access + 5, metrics["xraysink_messages_received_total{transport=\"tcp\"}"]);
        // Message bytes, without the LF that frames each of them.
        Assert.Equal(payload.Length - (Access + 5), metrics["xraysink_bytes_received_bytes_total{transport=\"tcp\"}"]);
        Assert.Equal(3, metrics["xraysink_lines_dead_lettered_total{reason=\"source is not an address\"}"]);
        Assert.Equal(2, metrics["xraysink_lines_skipped_total{reason=\"error_log\"}"]);
        Assert.Equal(Access + 5, metrics["xraysink_spool_appended_total"]);
        Assert.Equal(2, metrics["xraysink_connections_accepted_total{listener=\"tcp\"}"]); // the start-up probe of the port, then the sender
        double batches = metrics["xraysink_batches_flushed_total"];
        Assert.InRange(batches, 1, Access);
        Assert.Equal(batches, metrics["xraysink_flush_duration_seconds_count"]);
        Assert.Equal(batches, metrics["xraysink_flush_duration_seconds_bucket{le=\"+Inf\"}"]);
        Assert.True(metrics["xraysink_flush_duration_seconds_sum"] > 0);
        Assert.Equal(0, metrics["xraysink_queue_depth{stage=\"messages\"}"]);
        Assert.Equal(0, metrics["xraysink_queue_depth{stage=\"records\"}"]);
        Assert.True(metrics.ContainsKey("xraysink_spool_bytes"));
        Assert.True(metrics["process_memory_usage_bytes"] > 10_000_000, "RSS of a running daemon");
        Assert.True(metrics["process_cpu_time_seconds_total{cpu_mode=\"user\"}"] > 0);
        Assert.True(metrics["dotnet_gc_heap_total_allocated_bytes_total"] > 0);
        Assert.Equal((long)3, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM dead_letters"));

        (HttpStatusCode status, string body) = await scrape.HealthAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("ready\ndatabase: reachable\nmessage queue: 0/65536", body, StringComparison.Ordinal);

        await _postgres.StopAsync();
        (status, body) = await scrape.WaitForHealthAsync(HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("not ready: database unreachable\ndatabase: unreachable: ", body, StringComparison.Ordinal);

        await _postgres.RestartAsync();
        (status, body) = await scrape.WaitForHealthAsync(HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("ready\n", body, StringComparison.Ordinal);
        Assert.True(daemon.StopGracefully(TimeSpan.FromSeconds(30)), "the daemon should stop with exit code 0");
    }

    private async Task<string> CreateDatabaseAsync()
    {
        string name = "metrics_" + Guid.NewGuid().ToString("N");
        await using (var connection = new Npgsql.NpgsqlConnection(_postgres.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new Npgsql.NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { Database = name }.ConnectionString;
    }
}
