using System.Net;
using Microsoft.Extensions.DependencyInjection;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Spool;

namespace XraySyslogSink.IntegrationTests.Spool;

/// <summary>Real daemon processes: kill -9 and restart on the same spool, a damaged spool, two collectors on one database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CrashAndCollectorTests(PostgresServer postgres) : IDisposable
{
    private readonly string _spool = DaemonProcess.NewSpoolDirectory();

    public void Dispose()
    {
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }

    [Fact]
    public async Task After_kill_9_and_a_restart_every_durable_line_is_stored_exactly_once()
    {
        string database = await postgres.CreateDatabaseAsync();
        const int Lines = 12_000;
        long committedBeforeKill;
        using (LoggedDaemon daemon = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(),
                   "--Writer:BatchSize=1000", "--Writer:FlushInterval=00:10:00"))
        {
            // Full batches commit at once; the last partial batch would wait ten minutes, so the kill finds
            // some lines committed and some only in the spool.
            await TestLines.SendAsync(new IPEndPoint(IPAddress.Loopback, daemon.Port), TestLines.Build(1, Lines));
            committedBeforeKill = await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", 9000);
            await Task.Delay(1000); // longer than Spool:SyncInterval: every line is durable
            committedBeforeKill = await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs");
            daemon.KillHard();
        }

        Assert.InRange(committedBeforeKill, 9000, Lines); // almost always some short of Lines: the last partial batch waits
        using (LoggedDaemon restarted = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(), "--Writer:FlushInterval=00:00:00.200"))
        {
            Assert.Equal(Lines, await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", Lines));
            await Task.Delay(1000);
            Assert.True(restarted.StopGracefully(TimeSpan.FromSeconds(30)), "the restarted daemon should stop cleanly");
            Assert.Empty(restarted.Errors());
        }

        Assert.Equal((long)Lines, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM logs"));
        Assert.Equal((long)Lines, await Database.ScalarAsync<long>(database, "SELECT count(DISTINCT source_port) FROM logs"));
        Assert.Equal((long)Lines, await Database.ScalarAsync<long>(database, "SELECT sequence FROM spool_checkpoints"));
        Assert.Empty(Directory.GetFiles(_spool, "*.seg"));
    }

    [Fact]
    public async Task A_corrupt_and_truncated_spool_replays_its_good_records_and_reports_the_rest()
    {
        string database = await postgres.CreateDatabaseAsync();
        const int Lines = 3000;
        using (LoggedDaemon daemon = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(),
                   "--Writer:BatchSize=1000000", "--Writer:FlushInterval=00:10:00"))
        {
            await TestLines.SendAsync(new IPEndPoint(IPAddress.Loopback, daemon.Port), TestLines.Build(1, Lines));
            await Task.Delay(1000);
            daemon.KillHard();
        }

        // Power loss, simulated: one record in the middle flipped, the last one torn in half.
        string segment = Assert.Single(Directory.GetFiles(_spool, "*.seg"));
        List<(long Offset, int Size)> records = RecordsOf(segment);
        Assert.Equal(Lines, records.Count);
        (long middle, int middleSize) = records[Lines / 2];
        (long last, int lastSize) = records[^1];
        await using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = middle + middleSize - 5;
            int original = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(original ^ 0x5A));
            file.SetLength(last + (lastSize / 2));
        }

        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(database, $"--Spool:Directory={_spool}");
        Assert.Equal(Lines - 2, await sink.WaitForRowsAsync(Lines - 2));
        MessageSpool spool = sink.Services.GetRequiredService<MessageSpool>();
        Assert.Equal(middleSize + (lastSize / 2), spool.CorruptBytes);

        // New lines after the damage are numbered on and stored as usual.
        await TestLines.SendAsync(sink.TcpEndPoint, TestLines.Build(Lines + 1, 10));
        Assert.Equal(Lines + 8, await sink.WaitForRowsAsync(Lines + 8));
        await Task.Delay(500);
        Assert.Equal((long)Lines + 8, await Database.ScalarAsync<long>(database, "SELECT count(DISTINCT source_port) FROM logs"));
        List<object?[]> missing = await Database.RowsAsync(database, $"SELECT p FROM generate_series(1, {Lines + 10}) p WHERE p NOT IN (SELECT source_port FROM logs) ORDER BY p");
        Assert.Equal([(Lines / 2) + 1, Lines], missing.Select(r => (int)r[0]!));
    }

    [Fact]
    public async Task Two_collectors_writing_the_same_days_and_new_values_at_once_store_every_row_once_without_errors()
    {
        string database = await postgres.CreateDatabaseAsync();
        string otherSpool = DaemonProcess.NewSpoolDirectory();
        const int Lines = 20_000;
        try
        {
            using LoggedDaemon first = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(), "--Spool:CollectorId=collector-a", "--Writer:BatchSize=500");
            using LoggedDaemon second = await LoggedDaemon.StartAsync(database, otherSpool, LoggedDaemon.FreeTcpPort(), "--Spool:CollectorId=collector-b", "--Writer:BatchSize=500");

            // Same days, same 500 brand-new users and endpoints from both, told apart by source address.
            await Task.WhenAll(
                TestLines.SendAsync(new IPEndPoint(IPAddress.Loopback, first.Port), TestLines.Build(1, Lines, "10.0.0.1", users: 500)),
                TestLines.SendAsync(new IPEndPoint(IPAddress.Loopback, second.Port), TestLines.Build(1, Lines, "10.0.0.2", users: 500)));

            Assert.Equal(2 * Lines, await Database.WaitForCountAsync(database, "SELECT count(*) FROM logs", 2 * Lines, TimeSpan.FromSeconds(60)));
            Assert.True(first.StopGracefully(TimeSpan.FromSeconds(30)));
            Assert.True(second.StopGracefully(TimeSpan.FromSeconds(30)));
            Assert.Empty(first.Errors());
            Assert.Empty(second.Errors());
        }
        finally
        {
            if (Directory.Exists(otherSpool))
            {
                Directory.Delete(otherSpool, recursive: true);
            }
        }

        Assert.Equal(2L * Lines, await Database.ScalarAsync<long>(database, "SELECT count(DISTINCT (source_ip, source_port)) FROM logs"));
        Assert.Equal(500L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM users"));
        Assert.Equal(500L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM endpoints"));
        Assert.Equal(0L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM dead_letters"));
        List<object?[]> checkpoints = await Database.RowsAsync(database, "SELECT collector_id, sequence FROM spool_checkpoints ORDER BY collector_id");
        Assert.Equal(["collector-a", "collector-b"], checkpoints.Select(r => (string)r[0]!));
        Assert.All(checkpoints, r => Assert.Equal((long)Lines, (long)r[1]!));
    }

    /// <summary>Offsets and sizes of the valid records of a segment file, read as the spool reads them.</summary>
    private static List<(long Offset, int Size)> RecordsOf(string segment)
    {
        List<(long, int)> records = [];
        using var reader = new SpoolSegmentReader(segment, 0);
        long length = new FileInfo(segment).Length;
        long offset = reader.Position;
        while (reader.TryReadNext(length, out ReadOnlySpan<byte> record, out _))
        {
            records.Add((offset, record.Length));
            offset = reader.Position;
        }

        return records;
    }
}
