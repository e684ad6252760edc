using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.Hosting;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Pipeline;
using XraySyslogSink.Spool;
using XraySyslogSink.Telemetry;

namespace XraySyslogSink.IntegrationTests.Operations;

/// <summary>The readiness rules against a real database and real (undrained) queues.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SinkHealthTests(PostgresServer postgres)
{
    private static readonly PipelineOptions SmallQueues = new() { MessageQueueCapacity = 100, RecordQueueCapacity = 4 };

    [Fact]
    public async Task Ready_until_a_queue_reaches_the_high_water_mark()
    {
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync());
        using var metrics = new SinkMetrics();
        var channels = new SinkChannels(SmallQueues, metrics);
        using SinkHealth health = Health(dataSource, channels, metrics, TimeProvider.System);

        for (int i = 0; i < 89; i++)
        {
            Assert.True(channels.Messages.Writer.TryWrite(default));
        }

        HealthReport report = await health.CheckAsync(CancellationToken.None);
        Assert.True(report.Ready, report.Text);
        Assert.Equal("ready\ndatabase: reachable\nmessage queue: 89/100 (89.0 %)\nrecord queue: 0/4 (0.0 %)\nspool: 0/1048576 (0.0 %)\n", report.Text);

        Assert.True(channels.Messages.Writer.TryWrite(default));
        report = await health.CheckAsync(CancellationToken.None);
        Assert.False(report.Ready);
        Assert.Equal(["message queue at 90 % of capacity (high-water mark 90 %)"], report.Reasons);

        for (int i = 0; i < 4; i++)
        {
            Assert.True(channels.Records.Writer.TryWrite(new RecordChunk()));
        }

        report = await health.CheckAsync(CancellationToken.None);
        Assert.Equal(["message queue at 90 % of capacity (high-water mark 90 %)", "record queue at 100 % of capacity (high-water mark 90 %)"], report.Reasons);
        Assert.StartsWith("not ready: message queue at 90 % of capacity (high-water mark 90 %); record queue at 100 %", report.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_report_names_the_kind_of_failure_never_the_servers_text()
    {
        string database = await postgres.CreateDatabaseAsync();
        await using NpgsqlDataSource wrongRole = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(database) { Username = "xraysink_no_such_role_healthz", Password = "secret-healthz" }.ConnectionString);
        using var metrics = new SinkMetrics();
        using SinkHealth health = Health(wrongRole, new SinkChannels(SmallQueues, metrics), metrics, new SteppedClock(DateTimeOffset.UnixEpoch));

        HealthReport report = await health.CheckAsync(CancellationToken.None);

        Assert.False(report.Ready);
        Assert.Contains("database: unreachable: the server refused the request (details in the daemon's log)\n", report.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("xraysink_no_such_role_healthz", report.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_database_is_not_ready_and_the_probe_is_reused_for_the_cache_duration()
    {
        int closedPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={closedPort};Username=nobody;Timeout=2");
        using var metrics = new SinkMetrics();
        var clock = new SteppedClock(DateTimeOffset.UnixEpoch);
        using SinkHealth health = Health(dataSource, new SinkChannels(SmallQueues, metrics), metrics, clock);

        HealthReport report = await health.CheckAsync(CancellationToken.None);
        Assert.False(report.Ready);
        Assert.Equal(["database unreachable"], report.Reasons);
        Assert.Contains("database: unreachable: connection failed (details in the daemon's log)\n", report.Text, StringComparison.Ordinal);

        // Within the cache duration the same answer comes back without a new probe, even from a reachable database.
        await using NpgsqlDataSource reachable = NpgsqlDataSource.Create(postgres.ConnectionString);
        using SinkHealth cached = Health(reachable, new SinkChannels(SmallQueues, metrics), metrics, clock);
        Assert.True((await cached.CheckAsync(CancellationToken.None)).Ready);
        await reachable.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await cached.CheckAsync(CancellationToken.None)).Ready);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False((await cached.CheckAsync(CancellationToken.None)).Ready);
    }

    private static SinkHealth Health(NpgsqlDataSource dataSource, SinkChannels channels, SinkMetrics metrics, TimeProvider clock) => new(
        dataSource,
        channels,
        metrics,
        Options.Create(SmallQueues),
        Options.Create(new SpoolOptions { MaxBytes = SpoolOptions.MiB }),
        Options.Create(new MetricsOptions()),
        clock);

    private sealed class SteppedClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
