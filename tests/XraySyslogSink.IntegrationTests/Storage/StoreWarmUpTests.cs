using Microsoft.Extensions.Logging.Abstractions;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

/// <summary>
/// <see cref="PostgresLogStore.WarmUpAsync"/> against a real PostgreSQL: it runs the writer's statements and leaves
/// the database as it found it, with or without the node column, and the first batch after it commits as usual.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreWarmUpTests(PostgresServer server)
{
    private static readonly DateTime Noon = new(2025, 11, 17, 12, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_warm_up_stores_nothing_holds_nothing_open_and_the_first_batch_then_commits(bool seedOnly)
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server, new SchemaOptions { SeedOnly = seedOnly });
        PostgresLogStore store = new(db.DataSource, new DimensionCaches(new DimensionCacheOptions()), NullLogger<PostgresLogStore>.Instance) { CollectorId = "warm-up" };

        await store.WarmUpAsync(CancellationToken.None);

        string tables = seedOnly ? "users, protocols, endpoints, tags, logs, dead_letters, spool_checkpoints" : "users, protocols, endpoints, tags, nodes, logs, dead_letters, spool_checkpoints";
        foreach (string table in tables.Split(", "))
        {
            Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
        }

        // Rolled back, not left open: no session of this database holds a transaction.
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"));

        RecordChunk chunk = StorageHarness.Chunk(StorageHarness.Record(Noon), StorageHarness.Record(Noon.AddSeconds(1), destination: "b.example"));
        chunk.CoverSequences(1, 2);
        FlushResult result = await store.WriteBatchAsync([chunk], CancellationToken.None);

        Assert.Equal(new FlushResult(2, 0, 0), result);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT sequence FROM spool_checkpoints WHERE collector_id = 'warm-up'"));
    }
}
