using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;
using XraySyslogSink.Storage.Migrations;

namespace XraySyslogSink.IntegrationTests.Storage;

/// <summary>
/// Versioned migrations against the real server: a fresh install, installs made by the oldest released schema
/// (commit f38cb44) and by the last schema before versioned migrations (commit 68f937b) upgrade with their rows kept
/// and end up with the fresh install's schema; a re-run changes nothing; a database migrated by a newer binary is
/// refused; two collectors migrating at once both succeed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SchemaUpgradeTests(PostgresServer server)
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    // Everything but the daily partitions of logs and dead_letters (which depend on the day of the install and, for
    // dead letters, on the days of the rows converted) and the migrations' timestamps.
    private const string CatalogSql = """
        SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '')
               || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END || coalesce(' default ' || column_default, '')
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name !~ '^(logs|dead_letters)_[0-9]{4}_'
        UNION ALL
        SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text !~ '^(logs|dead_letters)_[0-9]{4}_'
        UNION ALL
        SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename !~ '^(logs|dead_letters)_[0-9]{4}_'
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid))
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'view ' || viewname || ' ' || md5(definition) FROM pg_views WHERE schemaname = 'public'
        UNION ALL
        SELECT 'migration ' || version || ' ' || name || ' ' || checksum || ' ' || skipped FROM schema_migrations
        ORDER BY 1
        """;

    private const string RowsSql = """
        SELECT l."timestamp", host(l.source_ip), l.source_port, l.action, p.name, e.address, l.destination_port, ti.name, tou.name, u.email,
               l.tableoid::regclass::text
        FROM logs l
        LEFT JOIN protocols p ON p.id = l.protocol_id
        LEFT JOIN endpoints e ON e.id = l.destination_id
        LEFT JOIN tags ti ON ti.id = l.inbound_tag_id
        LEFT JOIN tags tou ON tou.id = l.outbound_tag_id
        LEFT JOIN users u ON u.id = l.user_id
        ORDER BY l.source_port
        """;

    [Fact]
    public async Task A_fresh_install_records_every_step()
    {
        string database = await server.CreateDatabaseAsync();
        await MigrateAsync(database);

        List<object?[]> steps = await Database.RowsAsync(database, "SELECT version, name, checksum, skipped, applied_by = current_user FROM schema_migrations ORDER BY version");

        Assert.Equal(SchemaSteps.All.Select(s => s.Version), steps.Select(r => (int)r[0]!));
        Assert.Equal(SchemaSteps.All.Select(s => s.Name), steps.Select(r => (string)r[1]!));
        Assert.Equal(SchemaSteps.All.Select(s => s.Checksum), steps.Select(r => (string)r[2]!));
        Assert.All(steps, r => Assert.Equal(false, r[3]));
        Assert.All(steps, r => Assert.Equal(true, r[4]));
        Assert.Equal(Enumerable.Range(1, SchemaSteps.Latest), SchemaSteps.All.Select(s => s.Version));
    }

    [Theory]
    [InlineData(SchemaFixtures.Oldest)]
    [InlineData(SchemaFixtures.BeforeVersioning)]
    public async Task An_install_of_an_earlier_version_upgrades_with_its_rows_kept(string fixture)
    {
        string fresh = await server.CreateDatabaseAsync();
        await MigrateAsync(fresh);
        string old = await server.CreateDatabaseAsync();
        await SchemaFixtures.LoadAsync(old, fixture);
        await SchemaFixtures.LoadAsync(old, SchemaFixtures.Rows);
        List<object?[]> rowsBefore = await Database.RowsAsync(old, RowsSql);
        Assert.Equal(3, rowsBefore.Count);
        Assert.Equal(0L, await Database.ScalarAsync<long>(old, "SELECT count(*) FROM pg_class WHERE relname = 'schema_migrations'"));

        await MigrateAsync(old);

        Assert.Equal(await CatalogAsync(fresh), await CatalogAsync(old));
        Assert.Equal(rowsBefore, await Database.RowsAsync(old, RowsSql));
        Assert.Equal("garbage", await Database.ScalarAsync<string>(old, "SELECT raw FROM dead_letters"));
        Assert.Equal(
            ["logs_2026_11_30", "logs_2026_12_01", "logs_2026_12_02", "logs_2026_12_03"],
            (await Database.RowsAsync(old, "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'logs'::regclass ORDER BY 1")).Select(r => (string)r[0]!));

        // The upgraded install takes new rows through the migrated functions, ids continuing where they were.
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(old);
        var migrator = Migrator(dataSource, new SchemaOptions());
        await migrator.EnsurePartitionsAsync(new DateOnly(2026, 12, 5), new DateOnly(2026, 12, 5), CancellationToken.None);
        await Database.ScalarAsync<object?>(old, "INSERT INTO logs (\"timestamp\", source_ip, source_port) VALUES ('2026-12-05 01:00:00+00', '10.0.0.3', 50004)");
        Assert.Equal(4L, await Database.ScalarAsync<long>(old, "SELECT max(id) FROM logs_2026_12_05"));
    }

    [Fact]
    public async Task The_bookkeeping_rows_of_the_last_version_survive()
    {
        string old = await server.CreateDatabaseAsync();
        await SchemaFixtures.LoadAsync(old, SchemaFixtures.BeforeVersioning);

        await MigrateAsync(old);

        Assert.Equal(41L, await Database.ScalarAsync<long>(old, "SELECT sequence FROM spool_checkpoints WHERE collector_id = 'collector-a'"));
        Assert.Equal(10L, await Database.ScalarAsync<long>(old, "SELECT lines_committed FROM import_files WHERE sha256 = '00ff'"));
    }

    [Fact]
    public async Task Running_again_changes_nothing()
    {
        string database = await server.CreateDatabaseAsync();
        await MigrateAsync(database);
        string catalog = await CatalogAsync(database);
        List<object?[]> ledger = await Database.RowsAsync(database, "SELECT version, applied_at FROM schema_migrations ORDER BY version");

        await MigrateAsync(database);
        await MigrateAsync(database);

        Assert.Equal(catalog, await CatalogAsync(database));
        Assert.Equal(ledger, await Database.RowsAsync(database, "SELECT version, applied_at FROM schema_migrations ORDER BY version"));
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_binary_is_refused()
    {
        string database = await server.CreateDatabaseAsync();
        await MigrateAsync(database);
        int newer = SchemaSteps.Latest + 1;
        await Database.ScalarAsync<object?>(database, $"INSERT INTO schema_migrations (version, name, checksum) VALUES ({newer}, 'from the future', 'x')");
        string catalog = await CatalogAsync(database);

        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => MigrateAsync(database));

        Assert.Equal(
            $"The database schema is at version {newer} (from the future), newer than this xraysink knows (version {SchemaSteps.Latest}): "
            + "it was migrated by a newer xraysink. Run that version (or newer); this one refuses to write to a schema it does not know.",
            refused.Message);
        Assert.Equal(catalog, await CatalogAsync(database));
    }

    [Fact]
    public async Task Two_collectors_migrating_at_once_both_succeed_and_each_step_runs_once()
    {
        string database = await server.CreateDatabaseAsync();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => MigrateAsync(database))));

        Assert.Equal(
            SchemaSteps.All.Select(s => (long)s.Version),
            (await Database.RowsAsync(database, "SELECT version::bigint FROM schema_migrations ORDER BY version")).Select(r => (long)r[0]!));
    }

    [Fact]
    public async Task An_extension_step_is_skipped_under_SeedOnly_and_applied_once_it_is_off()
    {
        string database = await server.CreateDatabaseAsync();
        SchemaStep extension = new(SchemaSteps.Latest + 1, "test: logs.extra", ExtendsSeed: true, _ => "ALTER TABLE logs ADD COLUMN IF NOT EXISTS extra integer;");
        IReadOnlyList<SchemaStep> steps = [.. SchemaSteps.All, extension];
        const string ExtraColumn = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'logs' AND column_name = 'extra'";
        const string Skipped = "SELECT skipped FROM schema_migrations WHERE version = ";

        await MigrateAsync(database, new SchemaOptions { SeedOnly = true }, steps);
        Assert.Equal(0L, await Database.ScalarAsync<long>(database, ExtraColumn));
        Assert.True(await Database.ScalarAsync<bool>(database, Skipped + extension.Version));

        await MigrateAsync(database, new SchemaOptions { SeedOnly = true }, steps);
        Assert.Equal(0L, await Database.ScalarAsync<long>(database, ExtraColumn));

        await MigrateAsync(database, new SchemaOptions(), steps);
        Assert.Equal(1L, await Database.ScalarAsync<long>(database, ExtraColumn));
        Assert.False(await Database.ScalarAsync<bool>(database, Skipped + extension.Version));
    }

    [Fact]
    public async Task A_step_that_fails_leaves_nothing_behind()
    {
        string database = await server.CreateDatabaseAsync();
        SchemaStep broken = new(SchemaSteps.Latest + 1, "test: broken", ExtendsSeed: false, _ => "CREATE TABLE half_done (id int); SELECT 1/0;");

        await Assert.ThrowsAsync<PostgresException>(() => MigrateAsync(database, new SchemaOptions(), [.. SchemaSteps.All, broken]));

        Assert.Equal(0L, await Database.ScalarAsync<long>(database, "SELECT count(*) FROM pg_class WHERE relname IN ('half_done', 'schema_migrations', 'logs')"));
    }

    private static SchemaMigrator Migrator(NpgsqlDataSource dataSource, SchemaOptions options, IReadOnlyList<SchemaStep>? steps = null) =>
        new(dataSource, options, new FixedTimeProvider(Now), NullLogger<SchemaMigrator>.Instance, steps ?? SchemaSteps.All);

    private static async Task MigrateAsync(string connectionString, SchemaOptions? options = null, IReadOnlyList<SchemaStep>? steps = null)
    {
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(connectionString);
        await Migrator(dataSource, options ?? new SchemaOptions { PrecreateDays = 2 }, steps).ApplyAsync(CancellationToken.None);
    }

    private static async Task<string> CatalogAsync(string connectionString) =>
        string.Join('\n', (await Database.RowsAsync(connectionString, CatalogSql)).Select(r => (string)r[0]!));
}
