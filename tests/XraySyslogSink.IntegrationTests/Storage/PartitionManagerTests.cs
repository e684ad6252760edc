using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class PartitionManagerTests(PostgresServer server)
{
    [Fact]
    public async Task Names_and_bounds_follow_the_seed()
    {
        DateOnly day = new(2025, 11, 17);
        Assert.Equal("logs_2025_11_17", PartitionManager.PartitionName(day));
        Assert.Equal("logs_2024_12_31", PartitionManager.PartitionName(new DateOnly(2024, 12, 31)));

        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PartitionManager manager = new(NullLogger.Instance);
        await using (NpgsqlConnection connection = await db.DataSource.OpenConnectionAsync())
        {
            await manager.EnsureAsync(connection, [new DateOnly(2024, 12, 31)], CancellationToken.None);
        }

        Assert.Equal("logs_2024_12_31", manager.TargetFor(new DateOnly(2024, 12, 31)));
        Assert.Equal(
            "FOR VALUES FROM ('2024-12-31 00:00:00+00') TO ('2025-01-01 00:00:00+00')",
            await db.ScalarAsync<string>("SELECT set_config('TimeZone', 'UTC', false) || pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'logs_2024_12_31'") is { } bound ? bound[3..] : null);
    }

    [Fact]
    public async Task Racing_managers_creating_the_same_day_never_fail()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        const int Iterations = 25;
        const int Racers = 6;
        DateOnly first = new(2030, 1, 1);

        for (int i = 0; i < Iterations; i++)
        {
            DateOnly day = first.AddDays(i);
            using Barrier barrier = new(Racers);
            await Task.WhenAll(Enumerable.Range(0, Racers).Select(_ => Task.Run(async () =>
            {
                PartitionManager manager = new(NullLogger.Instance);
                await using NpgsqlConnection connection = await db.DataSource.OpenConnectionAsync();
                barrier.SignalAndWait();
                await manager.EnsureAsync(connection, [day, day.AddDays(1)], CancellationToken.None);
                Assert.True(manager.IsKnown(day));
            })));
        }

        // 3 from the migrator (today and PrecreateDays 2 ahead) plus the 25 raced days and the day after the last one.
        Assert.Equal(3L + Iterations + 1, await db.ScalarAsync<long>("SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass"));
    }

    [Fact]
    public async Task Racing_stores_writing_a_new_day_never_fail()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        const int Iterations = 10;
        const int Racers = 4;
        DateTime first = new(2031, 3, 1, 8, 0, 0, DateTimeKind.Utc);

        for (int i = 0; i < Iterations; i++)
        {
            DateTime timestamp = first.AddDays(i);
            await Task.WhenAll(Enumerable.Range(0, Racers).Select(_ => Task.Run(async () =>
            {
                PostgresLogStore store = db.CreateStore();
                RecordChunk chunk = StorageHarness.Chunk(StorageHarness.Record(timestamp));
                FlushResult result = await store.WriteBatchAsync([chunk], CancellationToken.None);
                Assert.Equal(1, result.RowsWritten);
            })));
        }

        Assert.Equal((long)Iterations * Racers, await db.ScalarAsync<long>("SELECT count(*) FROM logs WHERE \"timestamp\" >= '2031-03-01'"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM users"));
    }
}
