using Npgsql;
using Xunit.Abstractions;
using XraySyslogSink.Core;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class PostgresLogStoreTests(PostgresServer server, ITestOutputHelper output)
{
    private static readonly DateTime Noon = new(2025, 11, 17, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Writes_rows_with_their_values()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = db.CreateStore();

        AccessRecord masked = StorageHarness.Record(Noon.AddSeconds(1.5), source: InetValue.FromIPv4(0x01020000, 16));
        AccessRecord rejected = new()
        {
            TimestampUtc = Noon.AddSeconds(2),
            SourceIp = InetValue.FromIPAddress(System.Net.IPAddress.Parse("2001:db8::7")),
            SourcePort = 1234,
            Action = AccessAction.Rejected,
            Destination = new DimensionValue("10.9.8.7"),
            DestinationPort = -1,
        };

        FlushResult result = await store.WriteBatchAsync([StorageHarness.Chunk(masked, rejected)], CancellationToken.None);

        Assert.Equal(new FlushResult(2, 0, 0), result);
        List<string?[]> rows = await db.RowsAsync("""
            SELECT l.id IS NOT NULL, to_char(l."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), abbrev(l.source_ip), l.source_port,
                   l.action, p.name, e.address, l.destination_port, ti.name, t_o.name, u.email
            FROM logs l
            LEFT JOIN protocols p ON p.id = l.protocol_id
            LEFT JOIN endpoints e ON e.id = l.destination_id
            LEFT JOIN tags ti ON ti.id = l.inbound_tag_id
            LEFT JOIN tags t_o ON t_o.id = l.outbound_tag_id
            LEFT JOIN users u ON u.id = l.user_id
            ORDER BY l."timestamp"
            """);
        Assert.Equal(
            [
                ["True", "2025-11-17 12:00:01.500", "1.2.0.0/16", "50000", "accepted", "tcp", "example.com", "443", "socks-in", "direct", "alice@example.com"],
                ["True", "2025-11-17 12:00:02.000", "2001:db8::7", "1234", "rejected", null, "10.9.8.7", null, null, null, null],
            ],
            rows);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(DISTINCT id) FROM logs"));
    }

    [Fact]
    public async Task Resolves_new_dimensions_and_reuses_cached_ids()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        DimensionCaches caches = new(new DimensionCacheOptions());
        PostgresLogStore store = db.CreateStore(caches);

        RecordChunk first = StorageHarness.Chunk(StorageHarness.Record(Noon), StorageHarness.Record(Noon, user: "Bob@example.com"));
        await store.WriteBatchAsync([first], CancellationToken.None);

        // The records were rewritten in place to ids, and the caches learned them.
        Assert.True(first.Records[0].User.IsResolved);
        Assert.True(caches.Users.TryGetId("alice@example.com"u8, out int alice));
        Assert.True(caches.Users.TryGetId("Bob@example.com", out int bob));
        Assert.False(caches.Users.TryGetId("bob@example.com", out _));
        Assert.True(caches.Tags.TryGetId("socks-in", out _));
        Assert.True(caches.Tags.TryGetId("direct", out _));
        Assert.Equal(alice, await db.ScalarAsync<int>("SELECT id FROM users WHERE email = 'alice@example.com'"));

        // A second batch mixing cached ids, known texts and a new text.
        AccessRecord byId = StorageHarness.Record(Noon.AddMinutes(1));
        byId.User = new DimensionValue(bob);
        RecordChunk second = StorageHarness.Chunk(byId, StorageHarness.Record(Noon.AddMinutes(1)), StorageHarness.Record(Noon.AddMinutes(1), user: "carol@example.com"));
        FlushResult result = await store.WriteBatchAsync([second], CancellationToken.None);

        Assert.Equal(3, result.RowsWritten);
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM users"));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM tags"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM protocols"));
        Assert.Equal(
            "Bob@example.com,alice@example.com,Bob@example.com,alice@example.com,carol@example.com",
            await db.ScalarAsync<string>("SELECT string_agg(u.email, ',' ORDER BY l.\"timestamp\", u.email) FROM logs l JOIN users u ON u.id = l.user_id"));
    }

    [Fact]
    public async Task A_cold_cache_resolves_values_the_table_holds_and_new_ones_in_one_batch()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        await db.CreateStore().WriteBatchAsync([StorageHarness.Chunk(StorageHarness.Record(Noon, user: "old@example.com"))], CancellationToken.None);
        int old = await db.ScalarAsync<int>("SELECT id FROM users WHERE email = 'old@example.com'");

        // Another daemon's caches know nothing: the insert returns the new value's id, a read finds the old one's.
        DimensionCaches caches = new(new DimensionCacheOptions());
        FlushResult result = await db.CreateStore(caches).WriteBatchAsync(
            [StorageHarness.Chunk(StorageHarness.Record(Noon.AddSeconds(1), user: "old@example.com"), StorageHarness.Record(Noon.AddSeconds(2), user: "new@example.com"))],
            CancellationToken.None);

        Assert.Equal(2, result.RowsWritten);
        Assert.True(caches.Users.TryGetId("old@example.com", out int cachedOld));
        Assert.Equal(old, cachedOld);
        Assert.True(caches.Users.TryGetId("new@example.com", out int cachedNew));
        Assert.Equal(cachedNew, await db.ScalarAsync<int>("SELECT id FROM users WHERE email = 'new@example.com'"));
        Assert.Equal(
            "old@example.com,old@example.com,new@example.com",
            await db.ScalarAsync<string>("SELECT string_agg(u.email, ',' ORDER BY l.\"timestamp\") FROM logs l JOIN users u ON u.id = l.user_id"));
    }

    [Fact]
    public async Task Rows_of_two_utc_days_land_in_their_partitions()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = db.CreateStore();
        DateTime midnight = new(2025, 11, 20, 0, 0, 0, DateTimeKind.Utc);

        RecordChunk chunk = StorageHarness.Chunk(
            StorageHarness.Record(midnight.AddTicks(-1)),
            StorageHarness.Record(midnight),
            StorageHarness.Record(midnight.AddSeconds(1)));
        FlushResult result = await store.WriteBatchAsync([chunk, StorageHarness.Chunk(StorageHarness.Record(midnight.AddHours(-3)))], CancellationToken.None);

        Assert.Equal(4, result.RowsWritten);
        List<string?[]> rows = await db.RowsAsync("SELECT tableoid::regclass::text, count(*) FROM logs GROUP BY 1 ORDER BY 1");
        Assert.Equal([["logs_2025_11_19", "2"], ["logs_2025_11_20", "2"]], rows);
    }

    [Fact]
    public async Task Concurrent_stores_do_not_duplicate_new_dimension_values()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        string[] emails = Enumerable.Range(0, 300).Select(i => $"user{i}@example.com").ToArray();
        string[] hosts = Enumerable.Range(0, 300).Select(i => $"host{i}.example.net").ToArray();
        const int Writers = 4;

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            // Each writer has its own caches (another daemon) and sees the values in its own order.
            PostgresLogStore store = db.CreateStore();
            Random random = new(w);
            int[] order = Enumerable.Range(0, emails.Length).OrderBy(_ => random.Next()).ToArray();
            RecordChunk chunk = new(order.Length);
            foreach (int i in order)
            {
                chunk.Add() = StorageHarness.Record(Noon, user: emails[i], destination: hosts[(i * 7) % hosts.Length]);
            }

            FlushResult result = await store.WriteBatchAsync([chunk], CancellationToken.None);
            Assert.Equal(order.Length, result.RowsWritten);
        })));

        Assert.Equal((long)emails.Length, await db.ScalarAsync<long>("SELECT count(*) FROM users"));
        Assert.Equal((long)hosts.Length, await db.ScalarAsync<long>("SELECT count(*) FROM endpoints"));
        Assert.Equal((long)emails.Length * Writers, await db.ScalarAsync<long>("SELECT count(*) FROM logs"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM logs WHERE user_id IS NULL OR destination_id IS NULL"));
    }

    [Fact]
    public async Task Poison_rows_go_to_dead_letters_and_the_rest_commits()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = db.CreateStore();

        AccessRecord longEmail = StorageHarness.Record(Noon, user: new string('x', 290) + "@example.com");
        AccessRecord nulEndpoint = StorageHarness.Record(Noon, user: "good0@example.com", destination: "bad\0host");
        AccessRecord noSource = StorageHarness.Record(Noon, user: "good1@example.com");
        noSource.SourceIp = default;
        AccessRecord staleId = StorageHarness.Record(Noon);
        staleId.User = new DimensionValue(987_654);

        List<AccessRecord> records = [];
        for (int i = 0; i < 40; i++)
        {
            records.Add(StorageHarness.Record(Noon.AddSeconds(i), user: $"good{i % 5}@example.com"));
        }

        records.Insert(3, longEmail);
        records.Insert(11, nulEndpoint);
        records.Insert(20, noSource);
        records.Insert(33, staleId);
        RecordChunk chunk = StorageHarness.Chunk([.. records]);
        chunk.AddDeadLetter(new DeadLetter(Noon, InetValue.FromIPv4(0xC0A80001), "source is not an address", "<14>xray: garbage"));

        FlushResult result = await store.WriteBatchAsync([chunk], CancellationToken.None);

        Assert.Equal(new FlushResult(40, 5, 4), result);
        Assert.Equal(40L, await db.ScalarAsync<long>("SELECT count(*) FROM logs"));
        Assert.Equal(5L, await db.ScalarAsync<long>("SELECT count(*) FROM users"));

        List<string?[]> deadLetters = await db.RowsAsync("SELECT reason, raw FROM dead_letters ORDER BY reason");
        Assert.Equal(5, deadLetters.Count);
        Assert.Contains(deadLetters, d => d[0]!.StartsWith("database rejected row: 22001 ", StringComparison.Ordinal) && d[1]!.Contains("user=\"xxxx", StringComparison.Ordinal));
        Assert.Contains(deadLetters, d => d[0]!.StartsWith("database rejected row: 22021 ", StringComparison.Ordinal) && d[1]!.Contains("destination=\"bad\\0host\"", StringComparison.Ordinal));
        Assert.Contains(deadLetters, d => d[0]!.StartsWith("database rejected row: 23502 ", StringComparison.Ordinal) && d[1]!.Contains("source_ip=-", StringComparison.Ordinal));
        Assert.Contains(deadLetters, d => d[0]!.StartsWith("database rejected row: 23503 ", StringComparison.Ordinal) && d[1]!.Contains("user=#987654", StringComparison.Ordinal));
        Assert.Contains(deadLetters, d => d[0] == "source is not an address" && d[1] == "<14>xray: garbage");
    }

    [Fact]
    public async Task Dead_letters_of_chunks_are_stored()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = db.CreateStore();
        RecordChunk chunk = new();
        chunk.AddDeadLetter(new DeadLetter(new DateTimeOffset(2025, 11, 17, 15, 0, 0, TimeSpan.FromHours(3)), InetValue.FromIPv4(0x0A000005), "not an access line", "hello\0world"));
        chunk.AddDeadLetter(new DeadLetter(new DateTimeOffset(2025, 11, 17, 12, 0, 1, TimeSpan.Zero), default, "oversize", "…"));

        FlushResult result = await store.WriteBatchAsync([chunk, StorageHarness.Chunk(StorageHarness.Record(Noon))], CancellationToken.None);

        Assert.Equal(new FlushResult(1, 2, 0), result);
        List<string?[]> rows = await db.RowsAsync("SELECT to_char(received_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), abbrev(peer), reason, raw FROM dead_letters ORDER BY received_at");
        Assert.Equal(
            [
                ["12:00:00", "10.0.0.5", "not an access line", "hello\\0world"],
                ["12:00:01", null, "oversize", "…"],
            ],
            rows);
    }

    [Fact]
    public async Task A_dropped_partition_is_recreated_on_the_next_write()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = db.CreateStore();
        await store.WriteBatchAsync([StorageHarness.Chunk(StorageHarness.Record(Noon))], CancellationToken.None);

        await db.ExecuteAsync("DROP TABLE logs_2025_11_17");
        FlushResult result = await store.WriteBatchAsync([StorageHarness.Chunk(StorageHarness.Record(Noon.AddHours(1)))], CancellationToken.None);

        Assert.Equal(1, result.RowsWritten);
        Assert.Equal("logs_2025_11_17", await db.ScalarAsync<string>("SELECT tableoid::regclass::text FROM logs"));
    }

    [Fact]
    public async Task Days_covered_by_an_operators_partition_are_routed_through_the_parent()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);

        // A monthly partition overlaps the daily one we would create; a daily one lacks the id default.
        await db.ExecuteAsync("CREATE TABLE logs_2032_02 PARTITION OF logs FOR VALUES FROM ('2032-02-01 00:00:00+00') TO ('2032-03-01 00:00:00+00')");
        await db.ExecuteAsync("CREATE TABLE logs_2032_04_01 (LIKE logs)");
        await db.ExecuteAsync("ALTER TABLE logs ATTACH PARTITION logs_2032_04_01 FOR VALUES FROM ('2032-04-01 00:00:00+00') TO ('2032-04-02 00:00:00+00')");
        PostgresLogStore store = db.CreateStore();

        FlushResult result = await store.WriteBatchAsync(
            [StorageHarness.Chunk(
                StorageHarness.Record(new DateTime(2032, 2, 10, 1, 0, 0, DateTimeKind.Utc)),
                StorageHarness.Record(new DateTime(2032, 4, 1, 1, 0, 0, DateTimeKind.Utc)))],
            CancellationToken.None);

        Assert.Equal(new FlushResult(2, 0, 0), result);
        Assert.Equal(
            [["logs_2032_02", "True"], ["logs_2032_04_01", "True"]],
            await db.RowsAsync("SELECT tableoid::regclass::text, id IS NOT NULL FROM logs ORDER BY 1"));
    }

    [Fact]
    public async Task A_batch_retried_after_a_transient_failure_is_stored_once()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        await db.ExecuteAsync("""
            CREATE FUNCTION simulated_failure() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '40001'; END $$;
            CREATE TRIGGER simulated_failure BEFORE INSERT ON dead_letters FOR EACH ROW EXECUTE FUNCTION simulated_failure();
            """);
        PostgresLogStore store = db.CreateStore();
        RecordChunk chunk = StorageHarness.Chunk(StorageHarness.Record(Noon), StorageHarness.Record(Noon, user: "dave@example.com"));
        chunk.AddDeadLetter(new DeadLetter(Noon, default, "not an access line", "x"));

        // The rows' COPY succeeded but the transaction failed at the dead letters: nothing may be kept.
        PostgresException e = await Assert.ThrowsAsync<PostgresException>(() => store.WriteBatchAsync([chunk], CancellationToken.None));
        Assert.True(PostgresErrors.IsTransient(e));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM logs"));

        await db.ExecuteAsync("DROP TRIGGER simulated_failure ON dead_letters");
        FlushResult result = await store.WriteBatchAsync([chunk], CancellationToken.None);

        Assert.Equal(new FlushResult(2, 1, 0), result);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM logs"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM users"));
    }

    [Fact]
    public async Task Writes_a_large_batch_quickly()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        PostgresLogStore store = db.CreateStore();
        const int Batches = 10;
        const int ChunksPerBatch = 10;
        System.Diagnostics.Stopwatch watch = new();
        int total = 0;
        for (int b = 0; b < Batches; b++)
        {
            List<RecordChunk> chunks = [];
            for (int c = 0; c < ChunksPerBatch; c++)
            {
                RecordChunk chunk = new();
                while (!chunk.IsFull)
                {
                    int n = total++;
                    chunk.Add() = StorageHarness.Record(Noon.AddMilliseconds(n), user: $"u{n % 500}@example.com", destination: $"h{n % 3000}.example.org", source: InetValue.FromIPv4(0x0A000000u + (uint)(n % 200)));
                }

                chunks.Add(chunk);
            }

            watch.Start();
            FlushResult result = await store.WriteBatchAsync(chunks, CancellationToken.None);
            watch.Stop();
            Assert.Equal(chunks.Sum(c => c.Count), result.RowsWritten);
        }

        Assert.Equal((long)total, await db.ScalarAsync<long>("SELECT count(*) FROM logs"));
        output.WriteLine($"{total} rows in {watch.Elapsed.TotalSeconds:F2} s = {total / watch.Elapsed.TotalSeconds:F0} rows/s (including dimension resolution)");
    }

    [Fact]
    public async Task An_empty_batch_does_nothing()
    {
        await using StorageHarness db = await StorageHarness.CreateAsync(server);
        Assert.Equal(new FlushResult(0, 0, 0), await db.CreateStore().WriteBatchAsync([new RecordChunk()], CancellationToken.None));
    }
}
