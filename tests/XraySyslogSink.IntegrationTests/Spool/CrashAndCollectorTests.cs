using System.Net;
using Microsoft.Extensions.DependencyInjection;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Core;
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
    public async Task A_record_forged_inside_a_message_is_not_replayed_after_one_byte_of_that_message_is_damaged()
    {
        // Issue 12's reproduction: an octet-counted message carries a complete record (sequence 10^12, received in
        // 2001, a 2001 line) in both the old CRC format and the keyed format under a guessed key.
        string database = await postgres.CreateDatabaseAsync();
        byte[] forgedLine = TestLines.Build(1, 1)[..^1];
        forgedLine = [.. "2001/01/01 00:00:00"u8, .. forgedLine.AsSpan(19)];
        DateTimeOffset year2001 = new(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);
        ReceivedMessage forged = ReceivedMessage.Copy(forgedLine, InetValue.FromIPv4(0x0A000001), Transport.Tcp, year2001);
        byte[] legacy = new byte[LegacySpoolRecord.HeaderLength + forged.Length];
        LegacySpoolRecord.Write(legacy, 1_000_000_000_000, forged);
        byte[] keyed = new byte[SpoolRecord.SizeOf(forged.Length)];
        using (RecordMac guessed = new SpoolKey(new byte[32]).CreateMac(SpoolSegment.CurrentVersion))
        {
            SpoolRecord.WriteMessage(keyed, 1_000_000_000_000, forged, guessed);
        }

        forged.Release();
        byte[] attack = [.. "attack "u8, .. legacy, .. keyed];
        byte[] Frame(byte[] message) => [.. System.Text.Encoding.ASCII.GetBytes($"{message.Length} "), .. message];
        byte[][] honest = [.. Enumerable.Range(1, 6).Select(port => TestLines.Build(port, 1)[..^1])];
        using (LoggedDaemon daemon = await LoggedDaemon.StartAsync(database, _spool, LoggedDaemon.FreeTcpPort(),
                   "--Writer:BatchSize=1000000", "--Writer:FlushInterval=00:10:00"))
        {
            await TestLines.SendAsync(new IPEndPoint(IPAddress.Loopback, daemon.Port), [.. Frame(honest[0]), .. Frame(attack), .. honest[1..].SelectMany(Frame)]);
            await Task.Delay(1000);
            daemon.KillHard();
        }

        // One flipped byte in the attack message's record: its MAC (in the old format, its CRC).
        string segment = Assert.Single(Directory.GetFiles(_spool, "*.seg"));
        List<(long Offset, int Size)> records = RecordsOf(segment);
        Assert.Equal(7, records.Count);
        await using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = records[1].Offset + 12;
            int original = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(original ^ 0x01));
        }

        await using SinkUnderTest sink = await SinkUnderTest.StartAsync(database, $"--Spool:Directory={_spool}");
        Assert.Equal(6, await sink.WaitForRowsAsync(6));
        await TestLines.SendAsync(sink.TcpEndPoint, TestLines.Build(7, 1));
        Assert.Equal(7, await sink.WaitForRowsAsync(7));
        await Task.Delay(500);
        MessageSpool spool = sink.Services.GetRequiredService<MessageSpool>();
        Assert.Equal(8, spool.LastSequence);
        Assert.True(spool.CorruptBytes >= records[1].Size);
        Assert.Equal(8L, await Database.ScalarAsync<long>(database, "SELECT sequence FROM spool_checkpoints"));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], (await Database.RowsAsync(database, "SELECT source_port FROM logs ORDER BY source_port")).Select(r => (int)r[0]!));
        Assert.Equal(0L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM pg_class WHERE relname LIKE 'logs_2001%'"));
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
    private static List<(long Offset, int Size)> RecordsOf(string path)
    {
        List<(long, int)> records = [];
        PhysicalSpoolFileSystem files = PhysicalSpoolFileSystem.Instance;
        string directory = Path.GetDirectoryName(path)!;
        SpoolSegment segment = Assert.Single(SpoolRecovery.Find(files, directory));
        using RecordMacs macs = SpoolKey.LoadOrCreate(files, directory, keyedSegmentsExist: true).CreateMacs();
        using var reader = new SegmentReader(files.OpenRead(path), segment, macs, 0, segment.FirstSequence, long.MaxValue, TimeProvider.System);
        while (reader.TryReadNext(segment.Length, out SpoolRecordView record, out _))
        {
            // The first record read also passed over the segment's start record.
            long start = reader.Position - record.Size;
            records.Add((start, record.Size));
        }

        return records;
    }
}
