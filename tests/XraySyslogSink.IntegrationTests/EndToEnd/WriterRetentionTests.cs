using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using XraySyslogSink.Hosting;
using XraySyslogSink.IntegrationTests.Infrastructure;
using XraySyslogSink.Storage;

namespace XraySyslogSink.IntegrationTests.EndToEnd;

/// <summary>
/// Retention as the least-privileged writer: whole past days are detached and dropped through the owner's
/// <c>xraysink_drop_partition(date)</c>, which drops nothing but our own partitions (attached to <c>logs</c>, in its
/// schema, named <c>logs_YYYY_MM_DD</c>, bounded by exactly that UTC day), while the writer still may not DETACH or DROP.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WriterRetentionTests(PostgresServer postgres)
{
    // Every logs table but the partitions the migration made for the real today and the days after it.
    private const string TablesSql = """
        SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relname LIKE 'logs%' AND c.relname !~ '^logs_20(2[6-9]|[3-9][0-9])_'
        ORDER BY 1
        """;

    private static readonly DateTimeOffset Later = new(2025, 1, 14, 0, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task Retention_as_the_writer_drops_old_days_and_never_a_look_alike()
    {
        (string admin, string writer) = await WriterWithLookAlikesAsync();
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(writer);
        var clock = new FixedTimeProvider(Later);
        var migrator = new SchemaMigrator(dataSource, new SchemaOptions { PrecreateDays = 1 }, clock, NullLogger<SchemaMigrator>.Instance);
        var retention = new PartitionMaintenanceService(
            migrator, dataSource, Options.Create(new RetentionOptions { Days = 10 }), clock, NullLogger<PartitionMaintenanceService>.Instance);

        // Ten days before 2025-01-14 00:30 is 2025-01-04 00:30: our days up to 01-03 go, 01-04 stays.
        IReadOnlyList<PartitionInfo> dropped = await retention.RunOnceAsync(CancellationToken.None);

        Assert.Equal(["logs_2025_01_01", "logs_2025_01_02", "logs_2025_01_03"], dropped.Select(p => p.Name));
        Assert.Empty(await retention.RunOnceAsync(CancellationToken.None));
        Assert.Equal(
            ["other.logs_2024_12_28", "public.logs", "public.logs_2024_12_29", "public.logs_2024_12_30", "public.logs_2025_01_04",
             "public.logs_2025_01_05", "public.logs_2025_01_14", "public.logs_2025_01_15", "public.logs_archive_2024"],
            (await Database.RowsAsync(admin, TablesSql)).Select(r => (string)r[0]!));
        Assert.Equal(1L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM logs_2024_12_29"));
        Assert.Equal(1L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM logs_2025_01_05"));
        Assert.Equal(1L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM other.logs_2024_12_28"));
    }

    [Fact]
    public async Task The_cli_drop_as_the_writer_goes_through_the_function()
    {
        (string admin, string writer) = await WriterWithLookAlikesAsync();

        // The list applies the function's rule too, so the dry run names exactly what the drop will drop.
        CliRun dry = await CliRunner.RunAsync(writer, Later, "partitions", "drop", "--older-than", "10d", "--dry-run");
        Assert.Equal(
            "would drop logs_2025_01_01\nwould drop logs_2025_01_02\nwould drop logs_2025_01_03\n3 partitions would be dropped (ending at or before 2025-01-04 00:30:00 UTC)\n",
            dry.Out);

        CliRun drop = await CliRunner.RunAsync(writer, Later, "partitions", "drop", "--older-than", "10d");

        Assert.Equal(0, drop.ExitCode);
        Assert.Equal(
            "dropped logs_2025_01_01\ndropped logs_2025_01_02\ndropped logs_2025_01_03\n3 partitions dropped (ending at or before 2025-01-04 00:30:00 UTC)\n",
            drop.Out);
        Assert.Equal(0L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_class WHERE relname IN ('logs_2025_01_01', 'logs_2025_01_02', 'logs_2025_01_03')"));
        Assert.Equal(1L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_class WHERE relname = 'logs_2025_01_04'"));
    }

    [Theory]
    [InlineData("2024-12-29", false)] // a plain table, not attached
    [InlineData("2024-12-30", false)] // attached, but its bound spans two days
    [InlineData("2024-12-28", false)] // attached with the right bound, but in another schema
    [InlineData("2025-01-06", false)] // no table of that name (logs_2025_01_05 holds that day's bound)
    [InlineData("2025-01-05", false)] // the right name, attached, but the bound is 01-06's
    [InlineData("2025-01-02", true)]
    public async Task The_function_drops_only_a_day_that_is_exactly_ours(string day, bool expected)
    {
        (string admin, string writer) = await WriterWithLookAlikesAsync();
        string before = string.Join(",", (await Database.RowsAsync(admin, TablesSql)).Select(r => (string)r[0]!));

        Assert.Equal(expected, await Database.ScalarAsync<bool>(writer, $"SELECT xraysink_drop_partition('{day}')"));

        string after = string.Join(",", (await Database.RowsAsync(admin, TablesSql)).Select(r => (string)r[0]!));
        Assert.Equal(expected ? before.Replace($",public.logs_{day.Replace('-', '_')}", string.Empty, StringComparison.Ordinal) : before, after);
        Assert.NotEqual(expected, before == after);
    }

    [Theory]
    [InlineData("(now() AT TIME ZONE 'UTC')::date", "has not ended yet")]
    [InlineData("(now() AT TIME ZONE 'UTC')::date + 1", "has not ended yet")]
    [InlineData("NULL", "day must not be NULL")]
    public async Task The_function_refuses_today_future_days_and_null(string day, string message)
    {
        string admin = await postgres.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(admin);
        long partitions = await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass");
        Assert.True(partitions >= 2, "the migration creates today's and tomorrow's partitions");

        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(
            () => Database.ScalarAsync<bool>(writer, $"SELECT xraysink_drop_partition(({day})::date)"));

        Assert.Contains(message, refused.MessageText, StringComparison.Ordinal);
        Assert.Equal(partitions, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'logs'::regclass"));
    }

    [Theory]
    [InlineData("ALTER TABLE logs DETACH PARTITION logs_2025_01_02")]
    [InlineData("DROP TABLE logs_2025_01_02")]
    [InlineData("DROP TABLE logs_2024_12_29")]
    [InlineData("ALTER FUNCTION xraysink_drop_partition(date) SECURITY INVOKER")]
    [InlineData("ALTER FUNCTION xraysink_drop_partition(date) RESET ALL")]
    [InlineData("DROP FUNCTION xraysink_drop_partition(date)")]
    public async Task The_writer_still_may_not_detach_or_drop_directly(string sql)
    {
        (string admin, string writer) = await WriterWithLookAlikesAsync();

        PostgresException denied = await Assert.ThrowsAsync<PostgresException>(() => Database.ScalarAsync<object?>(writer, sql));

        Assert.Equal("42501", denied.SqlState); // insufficient_privilege (must be owner)
        Assert.Equal(1L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_class WHERE relname = 'logs_2025_01_02'"));
        Assert.Equal(1L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_class WHERE relname = 'logs_2024_12_29'"));
    }

    [Fact]
    public async Task The_function_is_hardened_like_the_create_function()
    {
        string admin = await postgres.CreateDatabaseAsync();
        await DatabaseRoles.PrepareWriterAsync(admin);

        object?[] function = (await Database.RowsAsync(admin, """
            SELECT pg_get_userbyid(proowner), prosecdef, array_to_string(proconfig, ';'),
                   has_function_privilege('public', oid, 'EXECUTE'), has_function_privilege('xraysink_writer', oid, 'EXECUTE')
            FROM pg_proc WHERE oid = 'xraysink_drop_partition(date)'::regprocedure
            """)).Single();

        Assert.Equal(DatabaseRoles.Owner, function[0]);
        Assert.Equal(true, function[1]);
        Assert.Equal("search_path=pg_catalog, pg_temp;TimeZone=UTC;DateStyle=ISO, YMD;lock_timeout=30s", function[2]);
        Assert.Equal(false, function[3]);
        Assert.Equal(true, function[4]);
    }

    [Fact]
    public async Task A_writer_without_EXECUTE_on_the_drop_function_is_stopped_at_start()
    {
        string admin = await postgres.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(admin);
        await Database.ScalarAsync<object?>(admin, $"REVOKE EXECUTE ON FUNCTION xraysink_drop_partition(date) FROM {DatabaseRoles.Writer}");

        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(writer);
        var migrator = new SchemaMigrator(dataSource, new SchemaOptions(), TimeProvider.System, NullLogger<SchemaMigrator>.Instance);
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.ApplyAsync(CancellationToken.None));

        Assert.Contains("lacks EXECUTE on xraysink_drop_partition(date)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"xraysink migrate --Schema:WriterRole={DatabaseRoles.Writer}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_schema_without_the_function_is_told_to_migrate_and_keeps_its_partitions()
    {
        (string admin, _) = await WriterWithLookAlikesAsync();
        await Database.ScalarAsync<object?>(admin, "DROP FUNCTION xraysink_drop_partition(date)");

        string owner = DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword);

        InvalidOperationException missing = await Assert.ThrowsAsync<InvalidOperationException>(
            () => CliRunner.RunAsync(owner, Later, "partitions", "drop", "--older-than", "10d"));

        Assert.Equal(
            "xraysink_drop_partition(date) is missing (a schema migrated by an older version): run `xraysink migrate` as the schema owner.",
            missing.Message);
        Assert.Equal(1L, await Database.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_class WHERE relname = 'logs_2025_01_01'"));
    }

    /// <summary>
    /// roles.sql, the owner's migration, our partitions of 2025-01-01…04 (made by the writer through the create function)
    /// and look-alikes owned by the owner, so only the function's checks keep them: a plain table named like a day
    /// (with a row), a partition named like a day but covering two, an archive, a partition named for 01-05 bounded by
    /// 01-06 (with a row), and a partition with the right name and bound in another schema (with a row).
    /// </summary>
    private async Task<(string Admin, string Writer)> WriterWithLookAlikesAsync()
    {
        string admin = await postgres.CreateDatabaseAsync();
        string writer = await DatabaseRoles.PrepareWriterAsync(admin);
        await Database.ScalarAsync<object?>(writer, "SELECT xraysink_create_partition(d::date) FROM generate_series('2025-01-01'::date, '2025-01-04', '1 day') d");
        await Database.ScalarAsync<object?>(DatabaseRoles.As(admin, DatabaseRoles.Owner, DatabaseRoles.OwnerPassword), """
            CREATE TABLE logs_2024_12_29 (LIKE logs INCLUDING DEFAULTS);
            INSERT INTO logs_2024_12_29 ("timestamp", source_ip, source_port) VALUES ('2024-12-29 01:00:00+00', '10.0.0.9', 9);
            CREATE TABLE logs_2024_12_30 PARTITION OF logs FOR VALUES FROM ('2024-12-30 00:00:00+00') TO ('2025-01-01 00:00:00+00');
            CREATE TABLE logs_archive_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-12-28 00:00:00+00');
            CREATE TABLE logs_2025_01_05 PARTITION OF logs FOR VALUES FROM ('2025-01-06 00:00:00+00') TO ('2025-01-07 00:00:00+00');
            INSERT INTO logs ("timestamp", source_ip, source_port) VALUES ('2025-01-06 12:00:00+00', '10.0.0.9', 6);
            """);
        await Database.ScalarAsync<object?>(admin, $"""
            CREATE SCHEMA other AUTHORIZATION {DatabaseRoles.Owner};
            SET ROLE {DatabaseRoles.Owner};
            CREATE TABLE other.logs_2024_12_28 PARTITION OF public.logs FOR VALUES FROM ('2024-12-28 00:00:00+00') TO ('2024-12-29 00:00:00+00');
            INSERT INTO logs ("timestamp", source_ip, source_port) VALUES ('2024-12-28 12:00:00+00', '10.0.0.9', 28);
            RESET ROLE;
            """);
        return (admin, writer);
    }
}
