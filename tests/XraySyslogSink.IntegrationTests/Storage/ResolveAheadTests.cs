using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

/// <summary>
/// <see cref="PostgresLogStore.ResolveAheadAsync"/> against a real PostgreSQL: the dimension values of a batch still
/// being collected are stored and the records rewritten to their ids before the batch is cut; what it cannot do is
/// left to the batch's prepare, which stores the same rows as without it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ResolveAheadTests(PostgresServer server)
{
    private static readonly DateTime Noon = new(2025, 11, 17, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Values_resolved_ahead_are_stored_and_the_batch_commits_its_rows_with_them()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = db.CreateStore();
        RecordChunk first = StorageHarness.Chunk(
            StorageHarness.Record(Noon, user: "alice@example.com", destination: "a.example"),
            StorageHarness.Record(Noon.AddSeconds(1), user: "bob@example.com", destination: "b.example"));
        RecordChunk second = StorageHarness.Chunk(StorageHarness.Record(Noon.AddSeconds(2), user: "carol@example.com", destination: "c.example"));

        await store.ResolveAheadAsync([first], CancellationToken.None);

        // The first chunk's values are in their tables (committed on their own) and its records carry the ids.
        Assert.All(first.Records.ToArray(), r => Assert.True(r.User.IsResolved && r.Destination.IsResolved && r.Protocol.IsResolved && r.InboundTag.IsResolved && r.OutboundTag.IsResolved));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM endpoints"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM logs"));
        Assert.False(second.Records[0].Destination.IsResolved);

        // The batch's prepare resolves what joined later and commits every row with the right values.
        PreparedBatch prepared = await store.PrepareAsync([first, second], CancellationToken.None);
        FlushResult result = await store.CommitAsync(prepared, null, CancellationToken.None);

        Assert.Equal(new FlushResult(3, 0, 0), result);
        List<string?[]> rows = await db.RowsAsync(
            "SELECT u.email, e.address FROM logs l JOIN users u ON u.id = l.user_id JOIN endpoints e ON e.id = l.destination_id ORDER BY l.timestamp");
        Assert.Equal([["alice@example.com", "a.example"], ["bob@example.com", "b.example"], ["carol@example.com", "c.example"]], rows);
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM endpoints"));
    }

    [Fact]
    public async Task A_value_the_database_refuses_is_left_to_the_prepare_which_dead_letters_its_row_and_keeps_the_rest()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = db.CreateStore();
        string tooLong = new string('x', 290) + "@example.com";
        RecordChunk chunk = StorageHarness.Chunk(
            StorageHarness.Record(Noon, user: "alice@example.com"),
            StorageHarness.Record(Noon.AddSeconds(1), user: tooLong),
            StorageHarness.Record(Noon.AddSeconds(2), user: "bob@example.com"));

        await store.ResolveAheadAsync([chunk], CancellationToken.None);

        // The users statement was refused whole: nothing of it is stored and every user is still text.
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM users"));
        Assert.All(chunk.Records.ToArray(), r => Assert.False(r.User.IsResolved));
        Assert.All(chunk.Records.ToArray(), r => Assert.True(r.Destination.IsResolved));

        FlushResult result = await store.CommitAsync(await store.PrepareAsync([chunk], CancellationToken.None), null, CancellationToken.None);

        Assert.Equal(new FlushResult(2, 1, 1), result);
        Assert.Equal(["alice@example.com", "bob@example.com"], (await db.RowsAsync("SELECT email FROM users ORDER BY email")).Select(r => r[0]));
        List<string?[]> dead = await db.RowsAsync("SELECT reason, raw FROM dead_letters");
        string?[] letter = Assert.Single(dead);
        Assert.StartsWith("database rejected row: 22001 ", letter[0], StringComparison.Ordinal);
        Assert.Contains("user=\"xxxx", letter[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_every_value_cached_it_needs_no_connection()
    {
        var db = await StorageHarness.CreateAsync(server);
        var caches = new DimensionCaches(new DimensionCacheOptions());
        PostgresLogStore store = db.CreateStore(caches);
        await store.ResolveAheadAsync([StorageHarness.Chunk(StorageHarness.Record(Noon))], CancellationToken.None);

        // With the data source gone, a connection could not be opened: the second chunk's values are all cached.
        await db.DisposeAsync();
        RecordChunk again = StorageHarness.Chunk(StorageHarness.Record(Noon.AddSeconds(1)));
        await store.ResolveAheadAsync([again], CancellationToken.None);

        AccessRecord record = again.Records[0];
        Assert.True(record.User.IsResolved && record.Destination.IsResolved && record.Protocol.IsResolved && record.InboundTag.IsResolved && record.OutboundTag.IsResolved);
    }

    [Fact]
    public async Task Values_over_the_new_value_cap_are_parked_ahead_once_and_their_rows_still_stored()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        var limit = new NewValueLimit(perMinute: 2, deadLettersPerSecond: 1000, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Noon));
        PostgresLogStore store = new(db.DataSource, new DimensionCaches(new DimensionCacheOptions()), Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresLogStore>.Instance) { NewValues = limit };
        RecordChunk chunk = StorageHarness.Chunk(
            StorageHarness.Record(Noon, destination: "one.example"),
            StorageHarness.Record(Noon.AddSeconds(1), destination: "two.example"),
            StorageHarness.Record(Noon.AddSeconds(2), destination: "three.example"));

        await store.ResolveAheadAsync([chunk], CancellationToken.None);
        FlushResult result = await store.CommitAsync(await store.PrepareAsync([chunk], CancellationToken.None), null, CancellationToken.None);

        // The cap held two new endpoints; the third row is stored without its destination and goes whole to dead_letters, once.
        Assert.Equal(new FlushResult(3, 1, 0), result);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM endpoints"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM logs WHERE destination_id IS NULL"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
    }
}
