using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

/// <summary>
/// <c>Cache:MaxNewValuesPerMinute</c> against a real PostgreSQL: a flood of random subdomains adds at most the cap
/// to <c>endpoints</c> per minute; the rows over it are still stored (destination NULL) and go whole to
/// <c>dead_letters</c>; values the table already holds never count, even with a cold cache.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NewValueLimitTests(PostgresServer server)
{
    private static readonly DateTime Noon = new(2025, 11, 17, 12, 0, 0, DateTimeKind.Utc);
    private static readonly string Reason = NewValueLimit.ReasonFor("endpoints");

    [Fact]
    public async Task A_flood_of_random_subdomains_adds_at_most_the_cap_per_minute_and_parks_the_rest()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        await db.ExecuteAsync("INSERT INTO endpoints (address) SELECT 'known' || i || '.example' FROM generate_series(0, 9) i");
        var clock = new FakeTimeProvider(Noon);
        var limit = new NewValueLimit(perMinute: 5, deadLettersPerSecond: 1000, clock);
        var caches = new DimensionCaches(new DimensionCacheOptions());
        PostgresLogStore store = Store(db, caches, limit);

        // 10 rows to endpoints the table holds (the cache does not know them), 20 to random new subdomains.
        List<AccessRecord> records = [];
        for (int i = 0; i < 10; i++)
        {
            records.Add(StorageHarness.Record(Noon.AddSeconds(i), destination: $"known{i}.example"));
        }

        for (int i = 0; i < 20; i++)
        {
            records.Add(StorageHarness.Record(Noon.AddSeconds(10 + i), destination: $"{Guid.NewGuid():N}.flood.example"));
        }

        FlushResult first = await store.WriteBatchAsync([StorageHarness.Chunk([.. records])], CancellationToken.None);

        Assert.Equal(30, first.RowsWritten);
        Assert.Equal(15, first.DeadLettersWritten);
        Assert.Equal(0, first.RowsRejected);
        Assert.Equal(15L, await db.ScalarAsync<long>("SELECT count(*) FROM endpoints"));
        Assert.Equal(30L, await db.ScalarAsync<long>("SELECT count(*) FROM logs"));
        Assert.Equal(15L, await db.ScalarAsync<long>("SELECT count(*) FROM logs WHERE destination_id IS NULL"));

        // Every other column of a parked row is stored; its destination is in the dead letter.
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM logs WHERE user_id IS NULL OR protocol_id IS NULL OR outbound_tag_id IS NULL"));
        List<string?[]> dead = await db.RowsAsync("SELECT reason, raw FROM dead_letters ORDER BY id");
        Assert.Equal(15, dead.Count);
        Assert.All(dead, d => Assert.Equal(Reason, d[0]));
        Assert.All(dead, d => Assert.Matches("destination=\"[0-9a-f]{32}\\.flood\\.example\"", d[1]));
        Assert.All(dead, d => Assert.Contains("user=", d[1], StringComparison.Ordinal));
        long storedFlood = await db.ScalarAsync<long>("SELECT count(*) FROM endpoints WHERE address LIKE '%.flood.example'");
        Assert.Equal(5L, storedFlood);
        Assert.Equal(15L, Parked(limit));

        // Still within the same minute: every new value is parked.
        FlushResult second = await store.WriteBatchAsync([StorageHarness.Chunk(StorageHarness.Record(Noon.AddMinutes(1), destination: "late.flood.example"))], CancellationToken.None);
        Assert.Equal(1, second.RowsWritten);
        Assert.Equal(1, second.DeadLettersWritten);
        Assert.Equal(15L, await db.ScalarAsync<long>("SELECT count(*) FROM endpoints"));

        // A minute later the cap allows five more.
        clock.Advance(TimeSpan.FromMinutes(1));
        List<AccessRecord> next = [];
        for (int i = 0; i < 8; i++)
        {
            next.Add(StorageHarness.Record(Noon.AddMinutes(2).AddSeconds(i), destination: $"next{i}.flood.example"));
        }

        FlushResult third = await store.WriteBatchAsync([StorageHarness.Chunk([.. next])], CancellationToken.None);
        Assert.Equal(8, third.RowsWritten);
        Assert.Equal(3, third.DeadLettersWritten);
        Assert.Equal(20L, await db.ScalarAsync<long>("SELECT count(*) FROM endpoints"));
        Assert.Equal(19L, Parked(limit));

        // Parked values never enter the cache, so memory does not grow with the flood either.
        Assert.True(caches.Endpoints.Count <= 20, $"{caches.Endpoints.Count} cached endpoints");
    }

    [Fact]
    public async Task Values_the_table_already_holds_never_count_against_the_cap_even_with_a_cold_cache()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        await db.ExecuteAsync("INSERT INTO endpoints (address) SELECT 'host' || i || '.example' FROM generate_series(0, 49) i");
        await db.ExecuteAsync("INSERT INTO users (email) VALUES ('alice@example.com')");
        await db.ExecuteAsync("INSERT INTO protocols (name) VALUES ('tcp')");
        await db.ExecuteAsync("INSERT INTO tags (name) VALUES ('socks-in'), ('direct')");
        var limit = new NewValueLimit(perMinute: 1, deadLettersPerSecond: 1000, new FakeTimeProvider(Noon));
        PostgresLogStore store = Store(db, new DimensionCaches(new DimensionCacheOptions()), limit);

        AccessRecord[] records = [.. Enumerable.Range(0, 50).Select(i => StorageHarness.Record(Noon.AddSeconds(i), destination: $"host{i}.example"))];
        FlushResult result = await store.WriteBatchAsync([StorageHarness.Chunk(records)], CancellationToken.None);

        Assert.Equal(new FlushResult(50, 0, 0), result);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM logs WHERE destination_id IS NULL"));
        Assert.Equal(0L, Parked(limit));

        // The one new value of the minute is still available.
        FlushResult fresh = await store.WriteBatchAsync([StorageHarness.Chunk(StorageHarness.Record(Noon.AddMinutes(1), destination: "new.example"))], CancellationToken.None);
        Assert.Equal(new FlushResult(1, 0, 0), fresh);
        Assert.Equal(51L, await db.ScalarAsync<long>("SELECT count(*) FROM endpoints"));
    }

    [Fact]
    public async Task Without_a_limit_every_new_value_is_stored()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = db.CreateStore();
        AccessRecord[] records = [.. Enumerable.Range(0, 200).Select(i => StorageHarness.Record(Noon.AddSeconds(i), destination: $"{i}.flood.example"))];

        FlushResult result = await store.WriteBatchAsync([StorageHarness.Chunk(records)], CancellationToken.None);

        Assert.Equal(new FlushResult(200, 0, 0), result);
        Assert.Equal(200L, await db.ScalarAsync<long>("SELECT count(*) FROM endpoints"));
    }

    private static PostgresLogStore Store(StorageHarness db, DimensionCaches caches, NewValueLimit limit) =>
        new(db.DataSource, caches, NullLogger<PostgresLogStore>.Instance) { NewValues = limit };

    private static long Parked(NewValueLimit limit) =>
        limit.ParkedRows().Single(p => p.Key == "endpoints").Value;
}
