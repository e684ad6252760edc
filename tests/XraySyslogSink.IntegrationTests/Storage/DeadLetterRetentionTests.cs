using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using XraySyslogSink.Hosting;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;
using XraySyslogSink.Storage.Migrations;

namespace XraySyslogSink.IntegrationTests.Storage;

/// <summary>
/// Issue 12 item 3: <c>dead_letters</c> in daily partitions (schema step 3). An install from before keeps every row, id
/// and privilege; <c>Retention:DeadLetterDays</c> drops old dead-letter days through the partition maintenance and only
/// those (never a look-alike, never <c>logs</c>); the writer role expires only what the owner's floor allows.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DeadLetterRetentionTests(PostgresServer server)
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private const string PartitionsSql = "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'dead_letters'::regclass ORDER BY 1";

    private const string RowsSql = "SELECT id, received_at, host(peer), reason, raw FROM dead_letters ORDER BY id";

    [Fact]
    public async Task An_install_with_unpartitioned_dead_letters_converts_with_every_row_id_and_privilege_kept()
    {
        string database = await server.CreateDatabaseAsync();
        await MigrateAsync(database, [.. SchemaSteps.All.Where(s => s.Version < 3)]);
        Assert.Equal('r', await Database.ScalarAsync<char>(database, "SELECT relkind FROM pg_class WHERE oid = 'dead_letters'::regclass"));
        await Database.ScalarAsync<object?>(database, """
            INSERT INTO dead_letters (received_at, peer, reason, raw) VALUES
                ('2026-11-20 23:59:59.5+00', '203.0.113.5', 'no timestamp', 'garbage one'),
                ('2026-11-21 00:00:00+00', NULL, 'internal error while parsing', 'two'),
                ('2026-11-30 12:00:00+00', '2001:db8::1', 'no timestamp', E'three\n');
            GRANT SELECT ON dead_letters TO PUBLIC;
            """);
        List<object?[]> before = await Database.RowsAsync(database, RowsSql);

        await MigrateAsync(database, SchemaSteps.All);

        Assert.Equal(before, await Database.RowsAsync(database, RowsSql));
        Assert.Equal('p', await Database.ScalarAsync<char>(database, "SELECT relkind FROM pg_class WHERE oid = 'dead_letters'::regclass"));
        Assert.Equal("RANGE (received_at)", await Database.ScalarAsync<string>(database, "SELECT pg_get_partkeydef('dead_letters'::regclass)"));
        Assert.Equal(
            ["dead_letters_2026_11_20", "dead_letters_2026_11_21", "dead_letters_2026_11_30", "dead_letters_2026_12_01", "dead_letters_2026_12_02",
             "dead_letters_2026_12_03", "dead_letters_default"],
            (await Database.RowsAsync(database, PartitionsSql)).Select(r => (string)r[0]!));
        Assert.Equal(
            ["dead_letters_2026_11_20", "dead_letters_2026_11_21", "dead_letters_2026_11_30"],
            (await Database.RowsAsync(database, "SELECT tableoid::regclass::text FROM dead_letters ORDER BY id")).Select(r => (string)r[0]!));
        Assert.True(await Database.ScalarAsync<bool>(database, "SELECT has_table_privilege('public', 'dead_letters', 'SELECT')"));
        Assert.Equal(0L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM pg_class WHERE relname = 'dead_letters_unpartitioned'"));

        // Ids continue where they were; a day without a partition goes to the catch-all partition instead of failing.
        Assert.Equal(4L, await Database.ScalarAsync<long>(database, "INSERT INTO dead_letters (received_at, reason, raw) VALUES ('2026-12-01 13:00:00+00', 'r', 'x') RETURNING id"));
        Assert.Equal("dead_letters_default", await Database.ScalarAsync<string>(database, "INSERT INTO dead_letters (received_at, reason, raw) VALUES ('2001-01-01 00:00:00+00', 'r', 'x') RETURNING tableoid::regclass::text"));

        // Running again changes nothing.
        await MigrateAsync(database, SchemaSteps.All);
        Assert.Equal(5L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM dead_letters"));
    }

    [Fact]
    public async Task Retention_drops_old_dead_letter_days_and_only_those()
    {
        string database = await server.CreateDatabaseAsync();
        await MigrateAsync(database, SchemaSteps.All);
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(database);
        SchemaMigrator migrator = Migrator(dataSource, SchemaSteps.All);
        await migrator.EnsurePartitionsAsync(new DateOnly(2026, 11, 15), new DateOnly(2026, 11, 25), CancellationToken.None);
        await Database.ScalarAsync<object?>(database, """
            CREATE TABLE dead_letters_2026_11_10 (LIKE dead_letters INCLUDING DEFAULTS);
            INSERT INTO dead_letters_2026_11_10 (received_at, reason, raw) VALUES ('2026-11-10 01:00:00+00', 'r', 'plain table');
            CREATE TABLE dead_letters_archive PARTITION OF dead_letters FOR VALUES FROM ('2026-10-01 00:00:00+00') TO ('2026-11-01 00:00:00+00');
            CREATE TABLE dead_letters_2026_11_12 PARTITION OF dead_letters FOR VALUES FROM ('2026-11-12 00:00:00+00') TO ('2026-11-14 00:00:00+00');
            INSERT INTO dead_letters (received_at, reason, raw)
                SELECT d + interval '6 hours', 'r', 'day ' || to_char(d, 'MM-DD') FROM generate_series('2026-11-15'::timestamptz, '2026-11-25', '1 day') d;
            INSERT INTO dead_letters (received_at, reason, raw) VALUES
                ('2026-10-15 00:00:00+00', 'r', 'archive'), ('2026-11-12 08:00:00+00', 'r', 'two-day look-alike'),
                ('2026-11-05 00:00:00+00', 'r', 'old catch-all'), ('2026-11-28 00:00:00+00', 'r', 'recent catch-all');
            """);

        // A day the catch-all partition holds rows of gets no partition of its own (nothing fails, the rows stay).
        await migrator.EnsurePartitionsAsync(new DateOnly(2026, 11, 28), new DateOnly(2026, 11, 28), CancellationToken.None);
        Assert.Equal(0L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM pg_class WHERE relname = 'dead_letters_2026_11_28'"));
        long logsPartitions = await Database.ScalarAsync<long>(database, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass");

        var retention = new PartitionMaintenanceService(
            migrator, dataSource, Options.Create(new RetentionOptions { DeadLetterDays = 10 }), new FixedTimeProvider(Now), NullLogger<PartitionMaintenanceService>.Instance);

        // Ten days before 2026-12-01 12:00 is 2026-11-21 12:00: the days up to 11-20 go, 11-21 stays.
        Assert.Empty(await retention.RunOnceAsync(CancellationToken.None));
        Assert.Equal(
            ["dead_letters_2026_11_12", "dead_letters_2026_11_21", "dead_letters_2026_11_22", "dead_letters_2026_11_23", "dead_letters_2026_11_24",
             "dead_letters_2026_11_25", "dead_letters_2026_12_01", "dead_letters_2026_12_02", "dead_letters_2026_12_03", "dead_letters_archive",
             "dead_letters_default"],
            (await Database.RowsAsync(database, PartitionsSql)).Select(r => (string)r[0]!));
        Assert.Equal(
            ["archive", "day 11-21", "day 11-22", "day 11-23", "day 11-24", "day 11-25", "recent catch-all", "two-day look-alike"],
            (await Database.RowsAsync(database, "SELECT raw FROM dead_letters ORDER BY raw")).Select(r => (string)r[0]!));
        Assert.Equal(1L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM dead_letters_2026_11_10"));
        Assert.Equal(logsPartitions, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass"));
        Assert.Empty(await retention.ExpireDeadLettersAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_writer_expires_dead_letters_only_as_far_as_the_owners_floor_and_never_drops_directly()
    {
        string admin = await server.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(admin);
        string owner = DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword);
        await Database.ScalarAsync<object?>(owner, """
            SELECT xraysink_create_dead_letter_partition(d::date)
            FROM generate_series((now() AT TIME ZONE 'UTC')::date - 20, (now() AT TIME ZONE 'UTC')::date - 1, '1 day') d
            """);
        const string Count = "SELECT count(*) FROM pg_inherits WHERE inhparent = 'dead_letters'::regclass";
        long partitions = await Database.ScalarAsync<long>(admin, Count);

        // Without a floor from the owner the writer expires nothing, and may not drop or delete by itself.
        PostgresException noFloor = await Assert.ThrowsAsync<PostgresException>(
            () => Database.ScalarAsync<object?>(writer, "SELECT xraysink_expire_dead_letters('2000-01-01')"));
        Assert.Equal("42501", noFloor.SqlState);
        foreach (string sql in (string[])["DROP TABLE dead_letters_default", "DELETE FROM dead_letters", "ALTER TABLE dead_letters DETACH PARTITION dead_letters_default", "TRUNCATE dead_letters"])
        {
            PostgresException denied = await Assert.ThrowsAsync<PostgresException>(() => Database.ScalarAsync<object?>(writer, sql));
            Assert.Equal("42501", denied.SqlState);
        }

        await using NpgsqlDataSource writerSource = NpgsqlDataSource.Create(writer);
        var service = new PartitionMaintenanceService(
            new SchemaMigrator(writerSource, new SchemaOptions(), TimeProvider.System, NullLogger<SchemaMigrator>.Instance),
            writerSource,
            Options.Create(new RetentionOptions { DeadLetterDays = 10 }),
            TimeProvider.System,
            NullLogger<PartitionMaintenanceService>.Instance);
        Assert.Empty(await service.ExpireDeadLettersAsync(CancellationToken.None));
        Assert.Equal(partitions, await Database.ScalarAsync<long>(admin, Count));

        // The owner allows ten days: the writer may expire days that ended ten or more days ago, and nothing younger.
        await DatabaseRoles.PrepareWriterAsync(admin, DatabaseRoles.TestLimits with { DeadLetterFloorDays = 10 });
        PostgresException tooRecent = await Assert.ThrowsAsync<PostgresException>(
            () => Database.ScalarAsync<object?>(writer, "SELECT xraysink_expire_dead_letters((now() AT TIME ZONE 'UTC')::date - 9)"));
        Assert.Equal("42501", tooRecent.SqlState);

        IReadOnlyList<string> dropped = await service.ExpireDeadLettersAsync(CancellationToken.None);

        Assert.Equal(10, dropped.Count);
        Assert.Equal(partitions - 10, await Database.ScalarAsync<long>(admin, Count));
        Assert.Equal(0L, await Database.ScalarAsync<long>(admin, """
            SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'dead_letters'::regclass AND c.relname ~ '^dead_letters_[0-9]'
              AND to_date(substr(c.relname, 14), 'YYYY_MM_DD') < (now() AT TIME ZONE 'UTC')::date - 10
            """));
    }

    private static SchemaMigrator Migrator(NpgsqlDataSource dataSource, IReadOnlyList<SchemaStep> steps) =>
        new(dataSource, new SchemaOptions { PrecreateDays = 2 }, new FixedTimeProvider(Now), NullLogger<SchemaMigrator>.Instance, steps);

    private static async Task MigrateAsync(string connectionString, IReadOnlyList<SchemaStep> steps)
    {
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(connectionString);
        await Migrator(dataSource, steps).ApplyAsync(CancellationToken.None);
    }
}
